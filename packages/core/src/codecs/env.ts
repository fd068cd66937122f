import type { TraceContext } from "../trace/trace-context.js";
import { type CodecOptions, conventionsOf, decodeFlatJson, encodeFlatJson } from "./codec-support.js";

/**
 * Encodes a context as environment variables (for a Databricks task or a container). Every scalar
 * field is written under each of its names (by default a seed such as `GIT_SHA` and the namespaced
 * `MODELTRAIL_CODE_GIT_SHA`); `RUN_ID` gets "the run id" (the Databricks job run id, or the MLflow
 * run id when there is no job run: see `runIdOf`); `environment.runtime`, `data` and `extra` are
 * written as JSON; the schema version goes to `MODELTRAIL_SCHEMA_VERSION`. Never writes
 * `MLFLOW_RUN_ID`. Lossless: `fromEnv(toEnv(ctx))` equals `ctx`. Never throws.
 */
export function toEnv(ctx: TraceContext, options?: CodecOptions): Record<string, string> {
  return encodeFlatJson(ctx, conventionsOf(options).env);
}

/**
 * Decodes a context from environment variables (default `process.env`). Only the variables named
 * by the conventions are read; everything else is ignored. Empty values count as absent. When a
 * field has several names (`GIT_SHA` and `MODELTRAIL_CODE_GIT_SHA`), the values present must agree.
 * `RUN_ID` is read as the job run id, or as the MLflow run id when `MODELTRAIL_MODEL_MLFLOW_RUN_ID`
 * says so or (alone) when it has the shape of one (32 hex characters; see `classifyRunId`).
 * Throws ValidationError naming each bad variable (invalid value, invalid JSON, disagreeing
 * names), or when `MODELTRAIL_SCHEMA_VERSION` is newer than this release (upgrade modeltrail).
 */
export function fromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options?: CodecOptions,
): TraceContext {
  return decodeFlatJson("TraceContext in environment variables", env, conventionsOf(options).env);
}
