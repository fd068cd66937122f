import type { CodecOptions } from "../codecs/codec-support.js";
import { fromEnv } from "../codecs/env.js";
import type { DetectInputs, SourceResult } from "./types.js";

/**
 * A serving container (or any process) that received its lineage through environment variables,
 * as written by the `toEnv` codec: the seeds `GIT_SHA` (code.gitSha), `RUN_ID` (the run id: job.runId,
 * or model.mlflowRunId for a model trained outside a job), `JOB_ID` (job.jobId) and the namespaced
 * `MODELTRAIL_*` set, decoded with `fromEnv` (names from `options.conventions` when given).
 *
 * Returns undefined when none of those variables is set. Throws `ValidationError` (from `fromEnv`)
 * naming each bad variable, e.g. a `GIT_SHA` that is not a full commit SHA.
 */
export function detectFromContainerEnv(
  inputs: Pick<DetectInputs, "env">,
  options?: CodecOptions,
): SourceResult | undefined {
  const { schemaVersion: _version, ...context } = fromEnv(inputs.env, options).toJSON();
  if (Object.keys(context).length === 0) return undefined;
  return { source: "container", context };
}
