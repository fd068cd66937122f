import { SCALAR_FIELDS } from "../trace/conventions.js";
import { TRACE_SCHEMA_VERSION } from "../trace/schema.js";
import type { TraceContext } from "../trace/trace-context.js";
import { type CodecOptions, conventionsOf, DecodeCollector, fieldString, getField } from "./codec-support.js";

/**
 * Encodes a context as environment variables (for a Databricks task or a container). Every scalar
 * field is written under each of its names (by default a seed such as `GIT_SHA` and the namespaced
 * `MODELTRAIL_CODE_GIT_SHA`); `environment.runtime`, `data` and `extra` are written as JSON; the
 * schema version goes to `MODELTRAIL_SCHEMA_VERSION`. Lossless: `fromEnv(toEnv(ctx))` equals `ctx`.
 * Never throws.
 */
export function toEnv(ctx: TraceContext, options?: CodecOptions): Record<string, string> {
  const c = conventionsOf(options).env;
  const out: Record<string, string> = {};
  if (c.schemaVersion) out[c.schemaVersion] = String(TRACE_SCHEMA_VERSION);
  for (const field of SCALAR_FIELDS) {
    const value = getField(ctx, field);
    if (value === undefined) continue;
    for (const name of c.fields[field]) out[name] = fieldString(value);
  }
  const runtime = ctx.environment?.runtime;
  if (c.runtime && runtime) out[c.runtime] = JSON.stringify(runtime);
  if (c.data && ctx.data) out[c.data] = JSON.stringify(ctx.data);
  if (c.extra && ctx.extra) out[c.extra] = JSON.stringify(ctx.extra);
  return out;
}

/**
 * Decodes a context from environment variables (default `process.env`). Only the variables named
 * by the conventions are read; everything else is ignored. Empty values count as absent. When a
 * field has several names (`GIT_SHA` and `MODELTRAIL_CODE_GIT_SHA`), the values present must agree.
 * Throws ValidationError naming each bad variable (invalid value, invalid JSON, disagreeing
 * names), or when `MODELTRAIL_SCHEMA_VERSION` is newer than this release (upgrade modeltrail).
 */
export function fromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options?: CodecOptions,
): TraceContext {
  const c = conventionsOf(options).env;
  const collector = new DecodeCollector("TraceContext in environment variables");
  if (c.schemaVersion) collector.version(env[c.schemaVersion], c.schemaVersion);
  for (const field of SCALAR_FIELDS) {
    for (const name of c.fields[field]) collector.scalar(field, env[name], name);
  }
  if (c.runtime) collector.mapJson("environment.runtime", env[c.runtime], c.runtime);
  if (c.data) collector.dataJson(env[c.data], c.data);
  if (c.extra) collector.mapJson("extra", env[c.extra], c.extra);
  return collector.finish();
}
