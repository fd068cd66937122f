import {
  ConfigError,
  type ConfigErrorOptions,
  type ModelTrailErrorOptions,
  TimeoutError,
} from "@modeltrail/core";

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

const NO_LOG: ServingLog = { deployment: "", revision: 0, logFile: "", logTail: "" };

/** Options of {@link ServingExitedError}. */
export interface ServingExitedErrorOptions extends ConfigErrorOptions {
  log?: ServingLog | undefined;
  exitCode?: number | undefined;
  exitSignal?: string | undefined;
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

  constructor(message: string, options: ServingExitedErrorOptions = {}) {
    const { log = NO_LOG, exitCode, exitSignal, ...rest } = options;
    super(message, rest);
    this.deployment = log.deployment;
    this.revision = log.revision;
    this.logFile = log.logFile;
    this.logTail = log.logTail;
    this.exitCode = exitCode;
    this.exitSignal = exitSignal;
  }
}

/** Options of {@link ServingNotReadyError}. */
export interface ServingNotReadyErrorOptions extends ModelTrailErrorOptions {
  log?: ServingLog | undefined;
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

  constructor(message: string, timeoutMs: number, options: ServingNotReadyErrorOptions = {}) {
    const { log = NO_LOG, ...rest } = options;
    super(message, timeoutMs, rest);
    this.deployment = log.deployment;
    this.revision = log.revision;
    this.logFile = log.logFile;
    this.logTail = log.logTail;
  }
}

/** The error for a serving process that exited before it was ready, with its log's last lines. */
export function servingExitedError(
  log: ServingLog,
  exit: { code: number | null | undefined; signal: string | null | undefined },
): ServingExitedError {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? "?"}`;
  return new ServingExitedError(
    `The serving process of ${log.deployment} revision ${log.revision} ${how} before it became ready; last lines of ${log.logFile}:\n${log.logTail || "(no output)"}`,
    {
      hint: "Fix what the log says (the image's command, its env, the model), then deploy again",
      log,
      exitCode: exit.code ?? undefined,
      exitSignal: exit.signal ?? undefined,
    },
  );
}

/** The error for a serving process that did not become ready in time, with its log's last lines. */
export function servingNotReadyError(
  log: ServingLog,
  timeoutMs: number,
  probe: string,
): ServingNotReadyError {
  return new ServingNotReadyError(
    `The serving process of ${log.deployment} revision ${log.revision} was not ready after ${Math.round(timeoutMs / 1000)} s (${probe}); it was stopped. Last lines of ${log.logFile}:\n${log.logTail || "(no output)"}`,
    timeoutMs,
    { hint: "Check the log above; give a longer readiness timeout if the app is only slow to load", log },
  );
}
