import type { CallOptions } from "@modeltrail/core";
import { startCall } from "@modeltrail/core/internal";
import { assertDatabricksId, assertIdempotencyToken } from "./argument-checks.js";
import type { DatabricksClient } from "./client.js";
import type { DeployContext } from "./deploy-context.js";
import { runIdempotencyToken } from "./idempotency.js";
import type { RunOutcome } from "./run-outcome.js";
import type { Run } from "./schemas/api/run.js";
import { type WaitForRunOptions, waitForRun } from "./wait-for-run.js";

/**
 * Options of `runJob`: the per-call options of its requests (`deadlineMs` bounds the whole call, the
 * wait included unless the wait options set their own), plus what to start and whether to wait.
 */
export interface RunJobOptions extends CallOptions {
  /** Job parameter values for this run. */
  jobParameters?: Record<string, string> | undefined;
  /** Run only these task keys. */
  only?: string[] | undefined;
  /**
   * The idempotency token: default derived from the context (see `runIdempotencyToken`); a string
   * to use your own; `false` to send none.
   */
  idempotencyToken?: string | false | undefined;
  /** Queue the run when the job is at its concurrency limit. */
  queue?: boolean | undefined;
  /** Wait for the run to finish: `true`, or `waitForRun` options. */
  wait?: boolean | WaitForRunOptions | undefined;
}

/** What `runJob` started, and with `wait` how it ended. */
export interface RunJobResult {
  runId: number;
  /** The run's number within the job, when Databricks reported it. */
  numberInJob: number | undefined;
  /** The idempotency token sent, if any. */
  idempotencyToken: string | undefined;
  /** The run as fetched after starting it (or, with `wait`, when it finished). */
  run: Run;
  /** How the run ended; present only with `wait`. */
  outcome?: RunOutcome;
}

/**
 * Starts a run of a job (`jobs/run-now`) with an idempotency token derived from the context (commit,
 * CI provider, run id and attempt, job id, parameters), so that a CI step that is retried gets the
 * run it already started instead of launching a second one; with a token the request itself is
 * retried on transient failures. Outside CI (no `ctx.ci.runId`) no token is sent. Returns the run;
 * with `wait` also its outcome (a failed run is an outcome, not an exception).
 *
 * Throws the client's errors (NotFoundError for an unknown job...) and, with `wait`, what
 * `waitForRun` throws (TimeoutError, AbortError).
 */
export async function runJob(
  client: DatabricksClient,
  ctx: DeployContext,
  jobId: number,
  options: RunJobOptions = {},
): Promise<RunJobResult> {
  // everything is checked before the first request
  assertDatabricksId(jobId, "jobId");
  if (options.idempotencyToken !== false) assertIdempotencyToken(options.idempotencyToken);
  const call = startCall(options);
  const token =
    options.idempotencyToken === false
      ? undefined
      : (options.idempotencyToken ??
        runIdempotencyToken(ctx, { jobId, jobParameters: options.jobParameters, only: options.only }));
  const started = await client.jobs.runNow(jobId, {
    jobParameters: options.jobParameters,
    only: options.only,
    idempotencyToken: token,
    queue: options.queue,
    ...call,
  });
  const base = { runId: started.run_id, numberInJob: started.number_in_job, idempotencyToken: token };
  if (options.wait) {
    const waitOptions: WaitForRunOptions = options.wait === true ? {} : options.wait;
    const outcome = await waitForRun(client, started.run_id, { ...call, ...waitOptions });
    return { ...base, run: outcome.run, outcome };
  }
  const run = await client.runs.get(started.run_id, call);
  return { ...base, run };
}
