import { inspect } from "node:util";
import { ValidationError } from "../errors/validation-error.js";
import { hasOwn, PROTO_KEY_MESSAGE, setOwn } from "./own-keys.js";
import {
  type CiSection,
  type CodeSection,
  type DatasetRef,
  type DeploymentSection,
  type EnvironmentSection,
  type ImageSection,
  type JobSection,
  type ModelSection,
  TRACE_SCHEMA_VERSION,
  type TraceContextData,
  type TraceContextInput,
  type TraceContextPatch,
  traceContextInputSchema,
  traceContextSchema,
} from "./schema.js";
import { zodIssuesToValidationIssues } from "./validation-issues.js";

/** Deeply readonly view of a value. */
export type DeepReadonly<T> =
  T extends ReadonlyArray<infer U>
    ? ReadonlyArray<DeepReadonly<U>>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

const BRAND: unique symbol = Symbol.for("modeltrail.trace-context") as never;
const CONSTRUCT = Symbol("TraceContext.construct");

/**
 * The lineage of a model run or deployment: code, CI, job, model, image, deployment, environment,
 * data and user extras. Immutable (deeply frozen) and always valid; build one with
 * {@link createTraceContext}, {@link parseTraceContext} or a codec's decoder, extend it with
 * {@link TraceContext.with}.
 */
export class TraceContext {
  readonly #data: DeepReadonly<TraceContextData>;
  declare readonly [BRAND]: true;

  /** Internal: use `createTraceContext`. Throws TypeError when called directly. */
  constructor(token: symbol, data: TraceContextData) {
    if (token !== CONSTRUCT) throw new TypeError("Use createTraceContext() or parseTraceContext()");
    this.#data = deepFreeze(data);
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    Object.freeze(this);
  }

  /** The schema version of this context's serialized form. */
  get schemaVersion(): typeof TRACE_SCHEMA_VERSION {
    return this.#data.schemaVersion;
  }
  /** Git commit, repository, branch, dirty state. */
  get code(): DeepReadonly<CodeSection> | undefined {
    return this.#data.code;
  }
  /** The CI run. */
  get ci(): DeepReadonly<CiSection> | undefined {
    return this.#data.ci;
  }
  /** The training job run (Databricks or local). */
  get job(): DeepReadonly<JobSection> | undefined {
    return this.#data.job;
  }
  /** The model: registered name and version, MLflow run id, URI. */
  get model(): DeepReadonly<ModelSection> | undefined {
    return this.#data.model;
  }
  /** The container image: reference and digest. */
  get image(): DeepReadonly<ImageSection> | undefined {
    return this.#data.image;
  }
  /** Where the model is deployed. */
  get deployment(): DeepReadonly<DeploymentSection> | undefined {
    return this.#data.deployment;
  }
  /** Environment name and runtime versions. */
  get environment(): DeepReadonly<EnvironmentSection> | undefined {
    return this.#data.environment;
  }
  /** Data sets used for training. */
  get data(): ReadonlyArray<DeepReadonly<DatasetRef>> | undefined {
    return this.#data.data;
  }
  /** User-defined string values. */
  get extra(): Readonly<Record<string, string>> | undefined {
    return this.#data.extra;
  }

  /**
   * Returns a new, validated context with `patch` applied. Sections merge field by field; `data`
   * merges by `name`; `extra` and `environment.runtime` merge by key. `undefined` leaves a field as
   * is; `null` removes it (or the whole section). Throws ValidationError listing every bad field.
   */
  with(patch: TraceContextPatch): TraceContext {
    const { schemaVersion: _v, ...current } = this.toJSON();
    return createTraceContext(applyPatch(current, patch) as TraceContextInput);
  }

  /** The plain, validated data (a fresh mutable copy), as `JSON.stringify(ctx)` writes it. */
  toJSON(): TraceContextData {
    return structuredClone(this.#data) as TraceContextData;
  }

  /** True when `other` holds exactly the same data. */
  equals(other: TraceContext): boolean {
    return stableStringify(this.#data) === stableStringify(other.toJSON());
  }

  /** `util.inspect` shows the data. */
  [inspect.custom](depth: number, options: object): string {
    return `TraceContext ${inspect(this.#data, { ...options, depth: Math.max(depth, 4) })}`;
  }
}

/** True for a TraceContext, also one created by another copy of @modeltrail/core. Never throws. */
export function isTraceContext(value: unknown): value is TraceContext {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Builds a validated, immutable TraceContext. Strings are trimmed, `code.gitSha` is lowercased,
 * credentials are stripped from URLs, empty sections are dropped and map keys sorted.
 * Throws ValidationError listing every bad field path (unknown fields included).
 */
export function createTraceContext(input: TraceContextInput = {}): TraceContext {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ValidationError("Invalid TraceContext input", {
      issues: [{ path: "(root)", message: "must be an object" }],
    });
  }
  let rest: Record<string, unknown> = input as Record<string, unknown>;
  if ("schemaVersion" in rest) {
    assertReadableVersion(rest.schemaVersion, "TraceContext input");
    const { schemaVersion: _v, ...others } = rest;
    rest = others;
  }
  const parsed = traceContextInputSchema.safeParse(rest);
  const protoIssues = protoKeyIssues(rest);
  if (!parsed.success || protoIssues.length > 0) {
    throw new ValidationError("Invalid TraceContext", {
      issues: [...protoIssues, ...(parsed.success ? [] : zodIssuesToValidationIssues(parsed.error.issues))],
    });
  }
  return new TraceContext(CONSTRUCT, normalize({ schemaVersion: TRACE_SCHEMA_VERSION, ...parsed.data }));
}

/**
 * Reads a serialized TraceContext (a JSON string or an already parsed object), as written by
 * `ctx.toJSON()`. Accepts `schemaVersion` 1; throws ValidationError for invalid JSON, a missing
 * version, a version newer than this release understands (upgrade modeltrail), or invalid fields.
 */
export function parseTraceContext(json: unknown): TraceContext {
  let value = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch {
      throw new ValidationError("Invalid TraceContext: not valid JSON", {
        issues: [{ path: "(root)", message: "expected a JSON object as written by ctx.toJSON()" }],
      });
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError("Invalid TraceContext", {
      issues: [{ path: "(root)", message: "must be an object" }],
    });
  }
  const raw = value as Record<string, unknown>;
  if (raw.schemaVersion === undefined) {
    throw new ValidationError("Invalid TraceContext", {
      issues: [{ path: "schemaVersion", message: `required (this release writes ${TRACE_SCHEMA_VERSION})` }],
    });
  }
  assertReadableVersion(raw.schemaVersion, "TraceContext");
  const parsed = traceContextSchema.safeParse(raw);
  const protoIssues = protoKeyIssues(raw);
  if (!parsed.success || protoIssues.length > 0) {
    throw new ValidationError("Invalid TraceContext", {
      issues: [...protoIssues, ...(parsed.success ? [] : zodIssuesToValidationIssues(parsed.error.issues))],
    });
  }
  return new TraceContext(CONSTRUCT, normalize(parsed.data));
}

/**
 * Throws ValidationError unless `version` is a schema version this release reads. A higher version
 * means the context was written by a newer modeltrail: the message says to upgrade.
 */
export function assertReadableVersion(version: unknown, subject = "TraceContext"): void {
  const n = typeof version === "string" && /^\d+$/.test(version.trim()) ? Number(version) : version;
  if (n === TRACE_SCHEMA_VERSION) return;
  if (typeof n === "number" && Number.isInteger(n) && n > TRACE_SCHEMA_VERSION) {
    throw new ValidationError(
      `${subject} has schemaVersion ${n}, but this release of modeltrail reads only schemaVersion ${TRACE_SCHEMA_VERSION}: upgrade modeltrail (@modeltrail/core) to read it`,
      { issues: [{ path: "schemaVersion", message: `unsupported version ${n}` }] },
    );
  }
  throw new ValidationError(`Invalid ${subject}`, {
    issues: [{ path: "schemaVersion", message: `must be ${TRACE_SCHEMA_VERSION}` }],
  });
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Own `__proto__` keys in the maps (`extra`, `environment.runtime`): zod drops them silently from a
 * record, so they are reported here, with what is wrong with them. (Sections and data sets are strict
 * objects: zod reports the key as unknown.)
 */
function protoKeyIssues(input: Json): Array<{ path: string; message: string }> {
  const maps: Array<[string, unknown]> = [
    ["extra", hasOwn(input, "extra") ? input.extra : undefined],
    [
      "environment.runtime",
      isPlainObject(input.environment) && hasOwn(input.environment, "runtime")
        ? input.environment.runtime
        : undefined,
    ],
  ];
  return maps
    .filter(([, map]) => isPlainObject(map) && hasOwn(map, "__proto__"))
    .map(([path]) => ({ path: `${path}.__proto__`, message: PROTO_KEY_MESSAGE }));
}

/** Applies a patch to plain data; anything malformed is passed through for the schema to reject. */
function applyPatch(base: Json, patch: unknown): Json {
  if (!isPlainObject(patch)) {
    throw new ValidationError("Invalid TraceContext patch", {
      issues: [{ path: "(root)", message: "must be an object" }],
    });
  }
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      if (hasOwn(out, key)) delete out[key];
    } else if (key === "data") {
      out.data = mergeData(out.data, value);
    } else if (key === "extra") {
      out.extra = mergeFields(out.extra, value);
    } else if (key === "environment" && isPlainObject(value)) {
      const env = mergeFields(out.environment, { ...value, runtime: undefined });
      if (isPlainObject(env)) {
        if (value.runtime === null) delete env.runtime;
        else if (value.runtime !== undefined) env.runtime = mergeFields(env.runtime, value.runtime);
      }
      out.environment = env;
    } else {
      setOwn(out, key, mergeFields(hasOwn(out, key) ? out[key] : undefined, value));
    }
  }
  return out;
}

/** Merges field by field: `undefined` keeps, `null` removes. Non-objects replace (and fail validation). */
function mergeFields(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Json = isPlainObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      if (hasOwn(out, key)) delete out[key];
    } else setOwn(out, key, value);
  }
  return out;
}

/** Merges data sets by name: a patch entry updates the entry of the same name or is appended. */
function mergeData(base: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) return patch;
  const out: unknown[] = Array.isArray(base) ? [...base] : [];
  for (const entry of patch) {
    const name = isPlainObject(entry) && typeof entry.name === "string" ? entry.name.trim() : undefined;
    const index = name === undefined ? -1 : out.findIndex((d) => isPlainObject(d) && d.name === name);
    if (index === -1) out.push(mergeFields(undefined, entry));
    else out[index] = mergeFields(out[index], { ...(entry as Json), name });
  }
  return out;
}

/** Drops empty sections and undefined fields, sorts map keys: one canonical form per context. */
function normalize(data: TraceContextData): TraceContextData {
  const out: Json = { schemaVersion: data.schemaVersion };
  for (const [key, value] of Object.entries(data)) {
    if (key === "schemaVersion" || value === undefined) continue;
    if (key === "data") {
      const list = (value as DatasetRef[]).map((d) => dropUndefined(d));
      if (list.length > 0) out.data = list;
    } else if (key === "extra") {
      const map = sortKeys(value as Record<string, string>);
      if (Object.keys(map).length > 0) out.extra = map;
    } else {
      const section = dropUndefined(value as Json);
      if (key === "environment" && isPlainObject(section.runtime)) {
        const runtime = sortKeys(section.runtime as Record<string, string>);
        if (Object.keys(runtime).length > 0) section.runtime = runtime;
        else delete section.runtime;
      }
      if (Object.keys(section).length > 0) out[key] = section;
    }
  }
  return out as TraceContextData;
}

function dropUndefined<T extends object>(value: T): T {
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

function sortKeys(map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key] as string;
  return out;
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
