import { ValidationError } from "../errors/validation-error.js";
import { SCALAR_FIELDS, type ScalarField } from "../trace/conventions.js";
import type { TraceContext } from "../trace/trace-context.js";
import {
  type CodecOptions,
  conventionsOf,
  DecodeCollector,
  describeValue,
  encodeScalars,
} from "./codec-support.js";

/** MLflow tags as the REST API returns them (`[{ key, value }]`) or as a plain map. */
export type MlflowTagsInput =
  | Readonly<Record<string, string | undefined>>
  | ReadonlyArray<{ readonly key: string; readonly value?: string | undefined }>;

/**
 * Encodes a context as MLflow tags (for a run or a model version): `GIT_SHA`,
 * `mlflow.source.git.commit`, `mlflow.source.git.repoURL`, `mlflow.source.git.branch`, `DBR_RUN_ID`,
 * `DBR_JOB_ID`, and `modeltrail.*` for everything else (one tag per runtime/extra key, one JSON tag
 * per data set, so that no value exceeds MLflow's 5000-character limit). Lossless:
 * `fromMlflowTags(toMlflowTags(ctx))` equals `ctx`. Never throws.
 */
export function toMlflowTags(ctx: TraceContext, options?: CodecOptions): Record<string, string> {
  const c = conventionsOf(options).mlflowTags;
  const out: Record<string, string> = {};
  encodeScalars(ctx, c, out);
  const runtime = ctx.environment?.runtime;
  if (c.runtimePrefix && runtime) {
    for (const [k, v] of Object.entries(runtime)) out[`${c.runtimePrefix}${k}`] = v;
  }
  if (c.extraPrefix && ctx.extra) {
    for (const [k, v] of Object.entries(ctx.extra)) out[`${c.extraPrefix}${k}`] = v;
  }
  if (c.dataPrefix && ctx.data) {
    ctx.data.forEach((d, i) => {
      out[`${c.dataPrefix}${i}`] = JSON.stringify(d);
    });
  }
  return out;
}

/**
 * Decodes a context from MLflow tags. Tags that are not named by the conventions are ignored
 * (MLflow's own `mlflow.*` tags, user tags). Empty values count as absent; tags carrying the same
 * field (`GIT_SHA`, `mlflow.source.git.commit`) must agree. Throws ValidationError naming each bad
 * tag, or when `modeltrail.schema_version` is newer than this release (upgrade modeltrail).
 */
export function fromMlflowTags(tags: MlflowTagsInput, options?: CodecOptions): TraceContext {
  const c = conventionsOf(options).mlflowTags;
  const collector = new DecodeCollector("TraceContext in MLflow tags");
  const input: unknown = tags ?? {};
  if (typeof input !== "object") {
    throw new ValidationError("Invalid TraceContext in MLflow tags", {
      issues: [
        {
          path: "(root)",
          message: `must be an object of tag values or a list of { key, value }, got ${describeValue(input)}`,
        },
      ],
    });
  }
  const entries: Array<[string, string | undefined]> = [];
  if (Array.isArray(input)) {
    input.forEach((t: unknown, i) => {
      if (typeof t === "object" && t !== null) {
        const { key, value } = t as { key?: unknown; value?: unknown };
        if (typeof key === "string") entries.push([key, value as string | undefined]);
        else collector.issue(`tags[${i}].key`, `must be a string, got ${describeValue(key)}`);
      } else collector.issue(`tags[${i}]`, `must be { key, value }, got ${describeValue(t)}`);
    });
  } else entries.push(...Object.entries(input as Record<string, string | undefined>));
  const byName = new Map<string, ScalarField>();
  for (const field of SCALAR_FIELDS) for (const name of c.fields[field]) byName.set(name, field);
  const data: Array<[number, string, string]> = [];
  const seen = new Map<string, string | undefined>();
  for (const [key, value] of entries) {
    if (typeof key !== "string") continue;
    if (seen.has(key)) {
      if (seen.get(key) !== value) collector.issue(key, "tag is given twice with different values");
      continue;
    }
    seen.set(key, value);
    if (value !== undefined && typeof value !== "string") {
      collector.issue(key, `tag value must be a string, got ${describeValue(value)}`);
      continue;
    }
    const field = byName.get(key);
    if (field) collector.scalar(field, value, key);
    else if (key === c.schemaVersion) collector.version(value, key);
    else if (c.runtimePrefix && key.startsWith(c.runtimePrefix)) {
      collector.mapEntry("environment.runtime", key.slice(c.runtimePrefix.length), value, key);
    } else if (c.extraPrefix && key.startsWith(c.extraPrefix)) {
      collector.mapEntry("extra", key.slice(c.extraPrefix.length), value, key);
    } else if (c.dataPrefix && key.startsWith(c.dataPrefix)) {
      const index = key.slice(c.dataPrefix.length);
      if (!/^(0|[1-9]\d{0,5})$/.test(index)) collector.issue(key, `expected ${c.dataPrefix}<index>`);
      else if (value !== undefined && value.trim() !== "") data.push([Number(index), value, key]);
    }
  }
  collector.dataEntries(data);
  return collector.finish();
}
