import { ConfigError, TimeoutError } from "@modeltrail/core";

/** Where a serving process's output went, and its last lines (redacted, bounded). */
export interface ServingLog {
  /** The deployment and revision the process served. */
  deployment: string;
  revision: number;
  /** The log file (stdout and stderr of the process). */
  logFile: string;
  /** Its last lines, redacted, at most 4 KiB. */
  logTail: string;
}

/**
 * A serving process of the local deploy target exited before it became ready (a bad image command,
 * a missing trace variable, a model that does not load). The previous revision, if there was one,
 * serves again. Carries the exit code or signal and the last lines of its log (redacted, bounded).
 */
export class ServingExitedError extends ConfigError implements ServingLog {
  readonly deployment: string;
  readonly revision: number;
  readonly logFile: string;
  readonly logTail: string;
  /** The exit code, or the signal that ended it. */
  readonly exitCode: number | undefined;
  readonly exitSignal: string | undefined;

  constructor(
    log: ServingLog,
    exit: { code: number | null | undefined; signal: string | null | undefined },
    hint?: string,
  ) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? "?"}`;
    super(
      `The serving process of ${log.deployment} revision ${log.revision} ${how} before it became ready; last lines of ${log.logFile}:\n${log.logTail || "(no output)"}`,
      { hint: hint ?? "Fix what the log says (the image's command, its env, the model), then deploy again" },
    );
    this.deployment = log.deployment;
    this.revision = log.revision;
    this.logFile = log.logFile;
    this.logTail = log.logTail;
    this.exitCode = exit.code ?? undefined;
    this.exitSignal = exit.signal ?? undefined;
  }
}

/**
 * A serving process of the local deploy target did not become ready in time; it was stopped (its
 * whole process group), and the previous revision, if there was one, serves again. Carries the last
 * lines of its log (redacted, bounded).
 */
export class ServingNotReadyError extends TimeoutError implements ServingLog {
  readonly deployment: string;
  readonly revision: number;
  readonly logFile: string;
  readonly logTail: string;

  constructor(log: ServingLog, timeoutMs: number, probe: string) {
    super(
      `The serving process of ${log.deployment} revision ${log.revision} was not ready after ${Math.round(timeoutMs / 1000)} s (${probe}); it was stopped. Last lines of ${log.logFile}:\n${log.logTail || "(no output)"}`,
      timeoutMs,
      { hint: "Check the log above; give a longer readiness timeout if the app is only slow to load" },
    );
    this.deployment = log.deployment;
    this.revision = log.revision;
    this.logFile = log.logFile;
    this.logTail = log.logTail;
  }
}
