import { type FieldNames, SCALAR_FIELDS, type ScalarField } from "../../trace/conventions.js";
import { classifyRunId } from "../../trace/run-id.js";
import type { TraceSource } from "../trace-source.js";

/** One value of one TraceContext field as one source states it. */
export interface FieldFact {
  field: ScalarField;
  value: string | boolean;
  source: TraceSource;
}

/** One named value (a runtime version, a parameter) with its source. */
export interface NamedFact {
  value: string | number | boolean;
  source: TraceSource;
}

/** A data set as a trace (tags, annotations, env) lists it. */
export interface DataFact {
  name: string;
  uri?: string | undefined;
  version?: string | undefined;
  digest?: string | undefined;
  source: TraceSource;
}

/** How a map names its entries in a source's `field`: `tag GIT_SHA`, `env GIT_SHA`, ... */
export type MapKind = "tag" | "env" | "annotation" | "label" | "log field";

/**
 * Reads every scalar field a flat map states, under every name the conventions give it (so that
 * `GIT_SHA` and `mlflow.source.git.commit` are two facts, each naming its key). "The run id"
 * (`RUN_ID`, `run_id`) is read as the job run id or the MLflow run id by its shape. Empty values are
 * absent; commits are lowercased. Never throws.
 */
export function flatFacts(
  map: Readonly<Record<string, string | boolean | undefined>>,
  names: { readonly fields: FieldNames; readonly runId?: string | null },
  base: TraceSource,
  kind: MapKind,
): FieldFact[] {
  const out: FieldFact[] = [];
  const push = (field: ScalarField, name: string, raw: string | boolean | undefined) => {
    if (raw === undefined) return;
    if (typeof raw === "boolean") {
      out.push({ field, value: raw, source: { ...base, field: `${kind} ${name}` } });
      return;
    }
    const text = String(raw).trim();
    if (text === "") return;
    const value =
      field === "code.gitSha"
        ? text.toLowerCase()
        : field === "code.dirty" && (text === "true" || text === "false")
          ? text === "true"
          : text;
    out.push({ field, value, source: { ...base, field: `${kind} ${name}` } });
  };
  for (const field of SCALAR_FIELDS) for (const name of names.fields[field]) push(field, name, map[name]);
  if (names.runId) {
    const raw = map[names.runId];
    if (typeof raw === "string" && raw.trim() !== "") {
      const field = classifyRunId(raw) === "mlflow-run" ? "model.mlflowRunId" : "job.runId";
      push(field, names.runId, raw);
    }
  }
  return out;
}

/** Reads a JSON object of strings (`MODELTRAIL_ENVIRONMENT_RUNTIME`, an annotation); {} when absent or invalid. */
export function jsonMapFacts(raw: string | undefined, source: TraceSource): Record<string, NamedFact> {
  if (raw === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, NamedFact> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") out[k] = { value: v, source };
    return out;
  } catch {
    return {};
  }
}

/** Reads the entries of a map under a prefix (`modeltrail.environment.runtime.<key>` tags). */
export function prefixedFacts(
  map: Readonly<Record<string, string>>,
  prefix: string | null,
  base: TraceSource,
  kind: MapKind,
): Record<string, NamedFact> {
  const out: Record<string, NamedFact> = {};
  if (!prefix) return out;
  for (const [k, v] of Object.entries(map)) {
    if (k.startsWith(prefix) && k.length > prefix.length && v.trim() !== "") {
      out[k.slice(prefix.length)] = { value: v.trim(), source: { ...base, field: `${kind} ${k}` } };
    }
  }
  return out;
}

/** Reads data sets from a JSON array (one value) or from one JSON object per prefixed key. */
export function dataFacts(values: ReadonlyArray<{ raw: string; source: TraceSource }>): DataFact[] {
  const out: DataFact[] = [];
  for (const { raw, source } of values) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      continue;
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof item !== "object" || item === null) continue;
      const d = item as Record<string, unknown>;
      if (typeof d.name !== "string" || d.name.trim() === "") continue;
      const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
      out.push({
        name: d.name.trim(),
        uri: str(d.uri),
        version: str(d.version),
        digest: str(d.digest),
        source,
      });
    }
  }
  return out;
}

/** The values a list of facts states for one field, in order. */
export function factsOf(facts: readonly FieldFact[], field: ScalarField): FieldFact[] {
  return facts.filter((f) => f.field === field);
}

/** The first value a list of facts states for a field. */
export function firstValue(facts: readonly FieldFact[], field: ScalarField): string | undefined {
  const f = facts.find((x) => x.field === field);
  return f === undefined ? undefined : String(f.value);
}
