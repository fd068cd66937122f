import { SCALAR_FIELDS } from "../trace/conventions.js";
import { runIdOf } from "../trace/run-id.js";
import type { TraceContext } from "../trace/trace-context.js";
import { type CodecOptions, conventionsOf, getField } from "./codec-support.js";

/** A log field value as modeltrail produces it. */
export type LogFieldValue = string | boolean | string[];

/** `node.version` / `my-key` become `node_version` / `my_key`. */
function snake(key: string): string {
  return key.replace(/[.-]/g, "_");
}

/**
 * Flat snake_case fields to stamp on every log line (e.g. every prediction a serving app logs):
 * `git_sha`, `run_id` (the run id, as the `RUN_ID` env var: the Databricks job run id, or the MLflow
 * run id when there is no job run; see `runIdOf`), `job_id`, `task_run_id`, `model_name`,
 * `model_version`, `mlflow_run_id`, `image_digest`, `environment`, ... (see `DEFAULT_CONVENTIONS.logFields`),
 * plus `runtime_<key>` and `extra_<key>` with `.` and `-` in keys turned into `_`. When two keys
 * collapse to the same field name, the first in sorted key order wins. `git_dirty` is a boolean.
 * Data sets are left out by default (set `logFields.dataNames` to log their names).
 * One-way. Never throws.
 */
export function toLogFields(ctx: TraceContext, options?: CodecOptions): Record<string, LogFieldValue> {
  const c = conventionsOf(options).logFields;
  const out: Record<string, LogFieldValue> = {};
  for (const field of SCALAR_FIELDS) {
    const value = getField(ctx, field);
    if (value === undefined) continue;
    for (const name of c.fields[field]) out[name] = value;
  }
  const run = runIdOf(ctx);
  if (c.runId && run) out[c.runId] = run.runId;
  const addMap = (prefix: string | null, map: Readonly<Record<string, string>> | undefined) => {
    if (!prefix || !map) return;
    for (const key of Object.keys(map).sort()) {
      const name = `${prefix}${snake(key)}`;
      if (!(name in out)) out[name] = map[key] as string;
    }
  };
  addMap(c.runtimePrefix, ctx.environment?.runtime);
  addMap(c.extraPrefix, ctx.extra);
  if (c.dataNames && ctx.data) out[c.dataNames] = ctx.data.map((d) => d.name);
  return out;
}
