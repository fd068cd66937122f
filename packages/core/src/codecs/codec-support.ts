/**
 * Internals shared by the codecs: reading scalar fields from a context, and assembling a context
 * from decoded values with every problem collected (never a half-filled context).
 */
import { ValidationError, type ValidationIssue } from "../errors/validation-error.js";
import {
  DEFAULT_CONVENTIONS,
  type FieldNames,
  SCALAR_FIELDS,
  type ScalarField,
  type TraceConventions,
} from "../trace/conventions.js";
import { hasOwn, setOwn } from "../trace/own-keys.js";
import { classifyRunId, runIdOf } from "../trace/run-id.js";
import { TRACE_SCHEMA_VERSION } from "../trace/schema.js";
import { assertReadableVersion, createTraceContext, type TraceContext } from "../trace/trace-context.js";

/** Options every codec accepts. */
export interface CodecOptions {
  /** Names to use; defaults to `DEFAULT_CONVENTIONS`. Build custom ones with `defineConventions`. */
  conventions?: TraceConventions;
}

/** The conventions to use for a call. */
export function conventionsOf(options: CodecOptions | undefined): TraceConventions {
  return options?.conventions ?? DEFAULT_CONVENTIONS;
}

/** The value of a scalar field of a context, if set. */
export function getField(ctx: TraceContext, field: ScalarField): string | boolean | undefined {
  const [section, name] = field.split(".") as [string, string];
  const s = (ctx as unknown as Record<string, Record<string, unknown> | undefined>)[section];
  const v = s?.[name];
  return typeof v === "string" || typeof v === "boolean" ? v : undefined;
}

/** A scalar field value as a string (`true`/`false` for booleans). */
export function fieldString(value: string | boolean): string {
  return typeof value === "boolean" ? String(value) : value;
}

/** Writes the schema version and every set scalar field under each of its names into `out`. */
export function encodeScalars(
  ctx: TraceContext,
  names: { readonly fields: FieldNames; readonly schemaVersion: string | null },
  out: Record<string, string>,
): void {
  if (names.schemaVersion) out[names.schemaVersion] = String(TRACE_SCHEMA_VERSION);
  for (const field of SCALAR_FIELDS) {
    const value = getField(ctx, field);
    if (value === undefined) continue;
    for (const name of names.fields[field]) out[name] = fieldString(value);
  }
}

/** Names of a flat key/value codec whose collections are single JSON values (env vars, annotations). */
export interface FlatJsonNames {
  readonly fields: FieldNames;
  /** Name holding "the run id" (job run id, else MLflow run id; see `runIdOf`), when the codec has one. */
  readonly runId?: string | null;
  readonly runtime: string | null;
  readonly data: string | null;
  readonly extra: string | null;
  readonly schemaVersion: string | null;
}

/** Encodes a context as flat key/values: scalars under their names, runtime/data/extra as JSON. */
export function encodeFlatJson(ctx: TraceContext, names: FlatJsonNames): Record<string, string> {
  const out: Record<string, string> = {};
  encodeScalars(ctx, names, out);
  const run = runIdOf(ctx);
  if (names.runId && run) out[names.runId] = run.runId;
  const runtime = ctx.environment?.runtime;
  if (names.runtime && runtime) out[names.runtime] = JSON.stringify(runtime);
  if (names.data && ctx.data) out[names.data] = JSON.stringify(ctx.data);
  if (names.extra && ctx.extra) out[names.extra] = JSON.stringify(ctx.extra);
  return out;
}

/**
 * Decodes what `encodeFlatJson` wrote, reading only the keys `names` defines. Throws one
 * ValidationError naming every bad key (see DecodeCollector).
 */
export function decodeFlatJson(
  subject: string,
  input: Readonly<Record<string, string | undefined>>,
  names: FlatJsonNames,
): TraceContext {
  if (!isPlainObject(input)) {
    throw new ValidationError(`Invalid ${subject}`, {
      issues: [{ path: "(root)", message: `must be an object of strings, got ${describeValue(input)}` }],
    });
  }
  const collector = new DecodeCollector(subject);
  // every value read must be a string (or absent); anything else is reported under its name
  const source: Record<string, string | undefined> = {};
  for (const name of namesRead(names)) {
    const value: unknown = input[name];
    if (value === undefined || typeof value === "string") source[name] = value;
    else collector.issue(name, `value must be a string, got ${describeValue(value)}`);
  }
  if (names.schemaVersion) collector.version(source[names.schemaVersion], names.schemaVersion);
  for (const field of SCALAR_FIELDS) {
    for (const name of names.fields[field]) collector.scalar(field, source[name], name);
  }
  if (names.runId) {
    const first = (field: ScalarField) =>
      names.fields[field].map((n) => source[n]?.trim()).find((v) => v !== undefined && v !== "");
    collector.runId(source[names.runId], names.runId, {
      jobRunId: first("job.runId"),
      mlflowRunId: first("model.mlflowRunId"),
    });
  }
  if (names.runtime) collector.mapJson("environment.runtime", source[names.runtime], names.runtime);
  if (names.data) collector.dataJson(source[names.data], names.data);
  if (names.extra) collector.mapJson("extra", source[names.extra], names.extra);
  return collector.finish();
}

/** Every key `decodeFlatJson` reads with these names. */
function namesRead(names: FlatJsonNames): Set<string> {
  const out = new Set<string>();
  for (const field of SCALAR_FIELDS) for (const name of names.fields[field]) out.add(name);
  for (const name of [names.schemaVersion, names.runId, names.runtime, names.data, names.extra]) {
    if (name) out.add(name);
  }
  return out;
}

/** Boolean fields; every other scalar field is a string. */
const BOOLEAN_FIELDS: ReadonlySet<ScalarField> = new Set<ScalarField>(["code.dirty"]);

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a number`, `null`, `an array`, ...: what a value is, for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "undefined") return "undefined";
  return `a ${typeof value}`;
}

/**
 * Collects decoded values and problems, then builds the context or throws one ValidationError
 * whose issues name the source keys (env var, tag, annotation, baggage key) to fix.
 */
export class DecodeCollector {
  private readonly issues: ValidationIssue[] = [];
  private readonly input: Json = {};
  private readonly scalarSources = new Map<ScalarField, { value: string; source: string }>();
  /** ctx path prefix -> source key, for renaming schema issues. */
  private readonly sources = new Map<string, string>();

  constructor(private readonly subject: string) {}

  /** Records a problem with one source key. */
  issue(source: string, message: string): void {
    this.issues.push({ path: source, message });
  }

  /** Checks a schema version value; throws at once (upgrade advice) when it is newer than this release. */
  version(raw: string | undefined, source: string): void {
    if (raw === undefined || raw.trim() === "") return;
    const v = raw.trim();
    if (/^\d+$/.test(v) && Number(v) > TRACE_SCHEMA_VERSION) {
      assertReadableVersion(Number(v), `The trace context read from ${source}`);
    } else if (v !== String(TRACE_SCHEMA_VERSION)) {
      this.issue(source, `schema version must be ${TRACE_SCHEMA_VERSION}`);
    }
  }

  /** Sets a scalar field from a raw string; empty values count as absent; disagreeing sources are an error. */
  scalar(field: ScalarField, raw: string | undefined, source: string): void {
    if (raw === undefined || raw.trim() === "") return;
    const norm = field === "code.gitSha" ? raw.trim().toLowerCase() : raw.trim();
    const previous = this.scalarSources.get(field);
    if (previous) {
      if (previous.value !== norm) {
        this.issue(
          `${previous.source}, ${source}`,
          `both carry ${field} but disagree; make them equal or remove one`,
        );
      }
      return;
    }
    this.scalarSources.set(field, { value: norm, source });
    let value: unknown = raw;
    if (BOOLEAN_FIELDS.has(field)) {
      if (norm === "true") value = true;
      else if (norm === "false") value = false;
      else {
        this.issue(source, `${field} must be "true" or "false"`);
        return;
      }
    }
    const [section, name] = field.split(".") as [string, string];
    const target = this.child(this.input, section);
    setOwn(target, name, value);
    this.sources.set(field, source);
  }

  /**
   * Reads "the run id" (`RUN_ID`) into the field it belongs to. With a job run id given by its own
   * name (`MODELTRAIL_JOB_RUN_ID`), the run id must be that job run id. Without one, a value equal to
   * the MLflow run id given by its own name is the MLflow run id standing in for the job run id (what
   * `toEnv` writes for a model trained outside a job). Otherwise its shape decides
   * ({@link classifyRunId}): 32 hex characters are an MLflow run id, anything else a job run id.
   */
  runId(raw: string | undefined, source: string, named: { jobRunId?: string; mlflowRunId?: string }): void {
    if (raw === undefined || raw.trim() === "") return;
    const value = raw.trim();
    if (named.jobRunId !== undefined) {
      if (value !== named.jobRunId && value === named.mlflowRunId) {
        this.issue(
          source,
          "holds the MLflow run id, but there is a job run id: the run id is the job run id (job.runId); the MLflow run id stands in only when there is no job run",
        );
        return;
      }
      this.scalar("job.runId", raw, source);
    } else if (named.mlflowRunId !== undefined && value === named.mlflowRunId) {
      this.scalar("model.mlflowRunId", raw, source);
    } else {
      this.scalar(classifyRunId(value) === "mlflow-run" ? "model.mlflowRunId" : "job.runId", raw, source);
    }
  }

  /** Sets one key of `extra` or `environment.runtime`. */
  mapEntry(map: "extra" | "environment.runtime", key: string, raw: string | undefined, source: string): void {
    if (raw === undefined || raw.trim() === "") return;
    const target = this.mapTarget(map);
    if (hasOwn(target, key) && target[key] !== raw) {
      this.issue(source, `${map}.${key} is given twice with different values`);
      return;
    }
    setOwn(target, key, raw);
    this.sources.set(`${map}.${key}`, source);
  }

  /** Sets a whole map (`extra` or `environment.runtime`) from JSON text. */
  mapJson(map: "extra" | "environment.runtime", raw: string | undefined, source: string): void {
    if (raw === undefined || raw.trim() === "") return;
    const value = this.parseJson(raw, source);
    if (value === undefined) return;
    if (!isPlainObject(value)) {
      this.issue(source, `${map} must be a JSON object of strings`);
      return;
    }
    const target = this.mapTarget(map);
    for (const [key, entry] of Object.entries(value)) setOwn(target, key, entry);
    this.sources.set(map, source);
  }

  /** Sets the whole `data` list from JSON text. */
  dataJson(raw: string | undefined, source: string): void {
    if (raw === undefined || raw.trim() === "") return;
    const value = this.parseJson(raw, source);
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      this.issue(source, "data must be a JSON array of data sets");
      return;
    }
    this.input.data = value;
    this.sources.set("data", source);
  }

  /** Sets data entries from `[index, JSON text, source]` triples; indexes must run 0..n-1. */
  dataEntries(entries: ReadonlyArray<readonly [number, string, string]>): void {
    if (entries.length === 0) return;
    const sorted = [...entries].sort((a, b) => a[0] - b[0]);
    const list: unknown[] = [];
    sorted.forEach(([index, raw, source], i) => {
      if (index !== i) {
        this.issue(source, `data set index ${index} found but index ${i} is missing`);
        return;
      }
      const value = this.parseJson(raw, source);
      if (value === undefined) return;
      list.push(value);
      this.sources.set(`data[${i}]`, source);
    });
    this.input.data = list;
  }

  /** Builds the context, or throws one ValidationError listing every problem by source key. */
  finish(): TraceContext {
    let ctx: TraceContext | undefined;
    const issues = [...this.issues];
    try {
      ctx = createTraceContext(this.input);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const issue of error.issues) issues.push(this.rename(issue));
    }
    if (issues.length > 0 || ctx === undefined) {
      throw new ValidationError(`Invalid ${this.subject}`, { issues });
    }
    return ctx;
  }

  private mapTarget(map: "extra" | "environment.runtime"): Json {
    if (map === "extra") return this.child(this.input, "extra");
    return this.child(this.child(this.input, "environment"), "runtime");
  }

  private child(parent: Json, key: string): Json {
    const existing = hasOwn(parent, key) ? parent[key] : undefined;
    if (isPlainObject(existing)) return existing;
    const created: Json = {};
    setOwn(parent, key, created);
    return created;
  }

  private parseJson(raw: string, source: string): unknown {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      this.issue(source, "is not valid JSON");
      return undefined;
    }
  }

  /** Renames a schema issue (`code.gitSha: ...`) to the source key that supplied the value. */
  private rename(issue: ValidationIssue): ValidationIssue {
    let best: string | undefined;
    for (const prefix of this.sources.keys()) {
      const matches =
        issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`);
      if (matches && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    if (best === undefined) return issue;
    return { path: this.sources.get(best) as string, message: `${issue.path}: ${issue.message}` };
  }
}
