import { createHash } from "node:crypto";
import type { DeployContext } from "./deploy-context.js";

/** Databricks accepts idempotency tokens of at most 64 characters. */
export const MAX_IDEMPOTENCY_TOKEN_LENGTH = 64;

/** What a run-now idempotency token is derived from, besides the context. */
export interface RunTokenInput {
  jobId: number;
  jobParameters?: Record<string, string> | undefined;
  only?: ReadonlyArray<string> | undefined;
}

/**
 * Derives the `jobs/run-now` idempotency token for a CI step: a hash of the commit, the CI provider,
 * run id and attempt, the job id, the job parameters and `only`. The same CI step retried (same
 * attempt) gets the same token, so Databricks returns the run it already started; a new attempt of
 * the CI run, another commit, job or parameter set gets a new one. Returns `mt1-` plus 43
 * base64url characters (47 characters, within Databricks' 64).
 *
 * Returns undefined when the context has no CI run id: outside CI there is nothing that identifies
 * "the same step", and a fixed token would make every later local launch return the first run.
 */
export function runIdempotencyToken(ctx: DeployContext, input: RunTokenInput): string | undefined {
  const runId = ctx.ci?.runId;
  if (runId === undefined || String(runId) === "") return undefined;
  const params = Object.entries(input.jobParameters ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify([
    "modeltrail.run-now.v1",
    ctx.code?.gitSha ?? "",
    ctx.ci?.provider ?? "",
    String(runId),
    String(ctx.ci?.runAttempt ?? ""),
    input.jobId,
    params,
    [...(input.only ?? [])].sort(),
  ]);
  return `mt1-${createHash("sha256").update(canonical).digest("base64url")}`;
}
