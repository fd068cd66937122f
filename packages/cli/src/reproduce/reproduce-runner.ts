import type { CallOptions, TraceResolver } from "@modeltrail/core";
import {
  classifyRun,
  type DatabricksClient,
  deployJob,
  type FailedTask,
  type JobSettings,
  LocalJobRunner,
  type LocalJobRunnerOptions,
  type LocalRunEvent,
  localJobTraceResolver,
  runJob,
  type WaitForRunOptions,
} from "@modeltrail/databricks";

/**
 * Where `reproduce()` runs the job: here with the LocalJobRunner (tasks run in the checkout of the
 * recorded commit; `options` are the runner's, without `cwd`), or on Databricks (the job definition
 * is deployed as a separate job named `<name> (reproduce)` so the original job is left as it is,
 * and run with the recorded parameters; Databricks checks the commit out from `git_source` itself).
 */
export type ReproduceRunner =
  | { kind: "local"; options?: Omit<LocalJobRunnerOptions, "cwd"> | undefined }
  | {
      kind: "databricks";
      client: DatabricksClient;
      /** Options of the wait for the run (timeout, poll interval, ...). */
      wait?: WaitForRunOptions | undefined;
    };

/** How the reproduction run went. */
export interface ReproductionRun {
  platform: "local" | "databricks";
  jobId: string | undefined;
  jobRunId: string;
  runPageUrl: string | undefined;
  outcome: string;
  message: string | undefined;
  failedTasks: FailedTask[];
  /**
   * For a local run: a resolver that reads it (its job parameters, environment and host), so that
   * the reproduction's trace has the job run as a Databricks one would.
   */
  resolver?: TraceResolver | undefined;
}

/** Options of {@link runReproduction}. */
export interface RunReproductionOptions extends CallOptions {
  /** The checkout of the recorded commit: the local runner's working directory. */
  checkoutDir: string;
  /** The commit, for deploying on Databricks. */
  commit: string;
  jobParameters: Record<string, string>;
  runName: string;
  onEvent?: ((event: LocalRunEvent) => void) | undefined;
}

/**
 * Runs the re-rendered job definition to the end, locally or on Databricks, and says how it ended (a
 * failed run is an outcome, not an exception). Throws ValidationError for invalid settings, and the
 * Databricks client's errors.
 */
export async function runReproduction(
  runner: ReproduceRunner,
  settings: JobSettings,
  options: RunReproductionOptions,
): Promise<ReproductionRun> {
  const { checkoutDir, commit, jobParameters, runName, onEvent, ...call } = options;
  if (runner.kind === "local") {
    const local = new LocalJobRunner({
      ...runner.options,
      cwd: checkoutDir,
      // the run's record (parameters, interpreter and packages, host) makes it traceable like the original
      records: runner.options?.records ?? true,
      // the checkout is read-only: Python must not try to write its bytecode cache there
      env: { PYTHONDONTWRITEBYTECODE: "1", ...(runner.options?.env ?? {}) },
    });
    const run = await local.run(settings, {
      jobParameters,
      runName,
      ...(call.signal ? { signal: call.signal } : {}),
      ...(onEvent ? { onEvent } : {}),
    });
    const outcome = classifyRun(run);
    return {
      platform: "local",
      jobId: run.job_id === undefined ? undefined : String(run.job_id),
      jobRunId: String(run.run_id),
      runPageUrl: undefined,
      outcome: outcome?.kind ?? "unknown",
      message: outcome?.message,
      failedTasks: outcome?.failedTasks ?? [],
      resolver: localJobTraceResolver({ runner: local }),
    };
  }
  const ctx = { code: { gitSha: commit } };
  const name = `${String(settings.name ?? "job")} (reproduce)`;
  const deployed = await deployJob(
    runner.client,
    ctx,
    { ...settings, name },
    { ...call, key: `${String(settings.name ?? "job")}#reproduce` },
  );
  const started = await runJob(runner.client, ctx, deployed.jobId, {
    ...call,
    jobParameters,
    idempotencyToken: false,
    wait: { ...(call.signal ? { signal: call.signal } : {}), ...(runner.wait ?? {}) },
  });
  return {
    platform: "databricks",
    jobId: String(deployed.jobId),
    jobRunId: String(started.runId),
    runPageUrl: started.run.run_page_url,
    outcome: started.outcome?.kind ?? "unknown",
    message: started.outcome?.message,
    failedTasks: started.outcome?.failedTasks ?? [],
  };
}
