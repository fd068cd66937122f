import type { ValidationIssue } from "../errors/validation-error.js";
import { ValidationError } from "../errors/validation-error.js";

/**
 * Every single-valued field of a TraceContext, as `section.field`, in priority order (codecs that
 * must drop something, such as baggage, drop from the end of this list first).
 */
export const SCALAR_FIELDS = [
  "code.gitSha",
  "job.runId",
  "model.mlflowRunId",
  "job.jobId",
  "model.name",
  "model.version",
  "image.digest",
  "environment.name",
  "code.repoUrl",
  "code.branch",
  "code.dirty",
  "ci.provider",
  "ci.runId",
  "ci.runAttempt",
  "ci.runUrl",
  "ci.workflow",
  "job.platform",
  "job.taskRunId",
  "job.taskKey",
  "job.workspaceUrl",
  "model.uri",
  "image.ref",
  "deployment.platform",
  "deployment.cluster",
  "deployment.namespace",
  "deployment.name",
  "deployment.revision",
] as const;

/** A single-valued TraceContext field, as `section.field`. */
export type ScalarField = (typeof SCALAR_FIELDS)[number];

/**
 * For each scalar field, the names (env var names, tag keys, ...) that carry it in one codec.
 * Encoders write every name; decoders read every name and require present values to agree.
 * An empty list means the codec does not carry the field.
 */
export type FieldNames = { readonly [F in ScalarField]: readonly string[] };

/** Names used by `toEnv` / `fromEnv`. */
export interface EnvConventions {
  readonly fields: FieldNames;
  /**
   * Variable holding "the run id" (default `RUN_ID`): `job.runId`, or `model.mlflowRunId` when the
   * context has no job run (see `runIdOf`). `fromEnv` reads it back as whichever field the
   * namespaced variables say, else by its shape (`classifyRunId`: decimal = job run id, 32 hex =
   * MLflow run id, anything else = job run id). `null`: not carried.
   */
  readonly runId: string | null;
  /** Variable holding `environment.runtime` as a JSON object. `null`: not carried. */
  readonly runtime: string | null;
  /** Variable holding `data` as a JSON array. `null`: not carried. */
  readonly data: string | null;
  /** Variable holding `extra` as a JSON object. `null`: not carried. */
  readonly extra: string | null;
  /** Variable holding the schema version (`"1"`). `null`: not written, not checked. */
  readonly schemaVersion: string | null;
}

/** Names used by `toMlflowTags` / `fromMlflowTags`. */
export interface MlflowTagConventions {
  readonly fields: FieldNames;
  /** Prefix of one tag per `environment.runtime` key. `null`: not carried. */
  readonly runtimePrefix: string | null;
  /** Prefix of one tag per `extra` key. `null`: not carried. */
  readonly extraPrefix: string | null;
  /** Prefix of one tag per data set, `<prefix><index>` holding it as JSON. `null`: not carried. */
  readonly dataPrefix: string | null;
  /** Tag holding the schema version. `null`: not written, not checked. */
  readonly schemaVersion: string | null;
}

/** Names used by `toAnnotations` / `fromAnnotations` (OCI image annotations and Kubernetes annotations). */
export interface AnnotationConventions {
  readonly fields: FieldNames;
  /** Annotation for the image creation time, written only when `toAnnotations` is given `created`. */
  readonly created: string | null;
  /** Annotation holding `environment.runtime` as JSON. */
  readonly runtime: string | null;
  /** Annotation holding `data` as JSON. */
  readonly data: string | null;
  /** Annotation holding `extra` as JSON. */
  readonly extra: string | null;
  /** Annotation holding the schema version. */
  readonly schemaVersion: string | null;
}

/** Names used by `toK8sLabels`: which fields become labels, under which keys. */
export interface LabelConventions {
  readonly fields: FieldNames;
}

/** Names and limits used by `toBaggage` / `fromBaggage`. */
export interface BaggageConventions {
  readonly fields: FieldNames;
  readonly runtimePrefix: string | null;
  readonly extraPrefix: string | null;
  /** Member holding `data` as JSON. */
  readonly data: string | null;
  /** Most list-members `toBaggage` writes (W3C: every platform propagates at least 64). */
  readonly maxMembers: number;
  /** Most bytes of the whole header value (W3C: every platform propagates at least 8192). */
  readonly maxBytes: number;
  /** Most bytes of one list-member (OpenTelemetry SDKs drop larger members). */
  readonly maxMemberBytes: number;
}

/** Names used by `toOtelAttributes`. */
export interface OtelConventions {
  readonly fields: FieldNames;
  readonly runtimePrefix: string | null;
  readonly extraPrefix: string | null;
  /** Attribute holding the data set names as a string array. */
  readonly dataNames: string | null;
  /** `container.image.name`: the image reference without tag and digest. */
  readonly containerImageName: string | null;
  /** `container.image.tags`: the tag of the image reference, as a one-element array. */
  readonly containerImageTags: string | null;
  /** `container.image.repo_digests`: `<name>@<digest>`, as a one-element array. */
  readonly containerImageRepoDigests: string | null;
}

/** Names used by `toLogFields`. */
export interface LogFieldConventions {
  readonly fields: FieldNames;
  /** Field holding "the run id" (default `run_id`): the job run id, else the MLflow run id (see `runIdOf`). `null`: not logged. */
  readonly runId: string | null;
  /** Prefix of one field per runtime key (key with `.` and `-` turned into `_`). */
  readonly runtimePrefix: string | null;
  /** Prefix of one field per extra key (key with `.` and `-` turned into `_`). */
  readonly extraPrefix: string | null;
  /** Field holding the data set names as a string array. `null` (default): not logged. */
  readonly dataNames: string | null;
}

/** Every name every codec uses. Build one with {@link defineConventions}; defaults: {@link DEFAULT_CONVENTIONS}. */
export interface TraceConventions {
  readonly env: EnvConventions;
  readonly mlflowTags: MlflowTagConventions;
  readonly annotations: AnnotationConventions;
  readonly labels: LabelConventions;
  readonly baggage: BaggageConventions;
  readonly otel: OtelConventions;
  readonly logFields: LogFieldConventions;
}

/** A partial override of {@link TraceConventions}: objects merge, arrays and strings replace. */
export type TraceConventionsOverride = {
  readonly [C in keyof TraceConventions]?: {
    readonly [K in keyof TraceConventions[C]]?: K extends "fields"
      ? Partial<FieldNames>
      : TraceConventions[C][K];
  };
};

type Parts = readonly [section: string, snake: string, kebab: string];

function parts(field: ScalarField): Parts {
  const [section = "", name = ""] = field.split(".");
  const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return [section, snake, snake.replace(/_/g, "-")];
}

function build(fn: (field: ScalarField, p: Parts) => readonly string[]): FieldNames {
  const out = {} as Record<ScalarField, readonly string[]>;
  for (const f of SCALAR_FIELDS) out[f] = fn(f, parts(f));
  return out;
}

/** The annotation/label prefix: a DNS name modeltrail owns, in the Kubernetes `domain/name` style. */
export const ANNOTATION_PREFIX = "modeltrail.dev/";

/** Short env names that sit next to the namespaced ones (`RUN_ID` is `EnvConventions.runId`). */
const ENV_SEEDS: Partial<Record<ScalarField, string>> = {
  "code.gitSha": "GIT_SHA",
  "job.jobId": "JOB_ID",
};
const ENV_NAMES: Partial<Record<ScalarField, string>> = { "job.jobId": "MODELTRAIL_JOB_ID" };

const MLFLOW_NAMES: Partial<Record<ScalarField, readonly string[]>> = {
  "code.gitSha": ["GIT_SHA", "mlflow.source.git.commit"],
  "code.repoUrl": ["mlflow.source.git.repoURL"],
  "code.branch": ["mlflow.source.git.branch"],
  "job.runId": ["DBR_RUN_ID"],
  "job.jobId": ["DBR_JOB_ID"],
};

const OCI_NAMES: Partial<Record<ScalarField, readonly string[]>> = {
  "code.gitSha": ["org.opencontainers.image.revision"],
  "code.repoUrl": ["org.opencontainers.image.source"],
};

const LABEL_FIELDS: readonly ScalarField[] = [
  "code.gitSha",
  "code.branch",
  "ci.runId",
  "job.jobId",
  "job.runId",
  "model.name",
  "model.version",
  "model.mlflowRunId",
  "environment.name",
  "deployment.revision",
];

const OTEL_NAMES: Partial<Record<ScalarField, readonly string[]>> = {
  "code.gitSha": ["vcs.ref.head.revision"],
  "code.repoUrl": ["vcs.repository.url.full"],
  "code.branch": ["vcs.ref.head.name"],
  "ci.runId": ["cicd.pipeline.run.id"],
  "ci.runUrl": ["cicd.pipeline.run.url.full"],
  "ci.workflow": ["cicd.pipeline.name"],
  "environment.name": ["deployment.environment.name"],
  "deployment.name": ["k8s.deployment.name"],
  "deployment.namespace": ["k8s.namespace.name"],
  "deployment.cluster": ["k8s.cluster.name"],
  "image.digest": ["oci.manifest.digest"],
};

/** Log field names; job.runId has none of its own: it is `run_id` (`LogFieldConventions.runId`). */
const LOG_NAMES: Partial<Record<ScalarField, string>> = {
  "code.gitSha": "git_sha",
  "code.repoUrl": "repo_url",
  "code.branch": "git_branch",
  "code.dirty": "git_dirty",
  "ci.provider": "ci_provider",
  "ci.runId": "ci_run_id",
  "ci.runAttempt": "ci_run_attempt",
  "ci.runUrl": "ci_run_url",
  "ci.workflow": "ci_workflow",
  "job.platform": "job_platform",
  "job.jobId": "job_id",
  "job.taskRunId": "task_run_id",
  "job.taskKey": "task_key",
  "job.workspaceUrl": "workspace_url",
  "model.name": "model_name",
  "model.version": "model_version",
  "model.mlflowRunId": "mlflow_run_id",
  "model.uri": "model_uri",
  "image.ref": "image_ref",
  "image.digest": "image_digest",
  "deployment.platform": "deployment_platform",
  "deployment.cluster": "deployment_cluster",
  "deployment.namespace": "deployment_namespace",
  "deployment.name": "deployment_name",
  "deployment.revision": "deployment_revision",
  "environment.name": "environment",
};

/**
 * The default names. In short (`<s>`/`<f>` = section and field, snake_case or kebab-case):
 *
 * Ids follow DESIGN.md's table "Which id is which": "the run id" is the Databricks job run id
 * (`job.runId`), and the MLflow run id (`model.mlflowRunId`) has names of its own.
 *
 * - env: seeds `GIT_SHA` (code.gitSha), `RUN_ID` (the run id: job.runId, the Databricks job run id
 *   the image is named with; `model.mlflowRunId` only when there is no job run, see `runIdOf`),
 *   `JOB_ID` (job.jobId: the Databricks job id), plus the complete namespaced set
 *   `MODELTRAIL_<S>_<F>` (e.g. `MODELTRAIL_CODE_GIT_SHA`, `MODELTRAIL_JOB_RUN_ID`,
 *   `MODELTRAIL_JOB_TASK_RUN_ID`, `MODELTRAIL_MODEL_MLFLOW_RUN_ID`, `MODELTRAIL_MODEL_VERSION`,
 *   `MODELTRAIL_JOB_ID`; never `MLFLOW_RUN_ID`, which MLflow itself reads to resume a run) and, for
 *   the collections, JSON in `MODELTRAIL_ENVIRONMENT_RUNTIME`,
 *   `MODELTRAIL_DATA`, `MODELTRAIL_EXTRA`; `MODELTRAIL_SCHEMA_VERSION=1`. There is no single
 *   whole-context JSON variable: one variable per field can be set or overridden on its own
 *   (a Kubernetes manifest, a Databricks task) and shows up readably in `kubectl describe`.
 * - MLflow tags: `GIT_SHA` and `mlflow.source.git.commit` (code.gitSha), `mlflow.source.git.repoURL`,
 *   `mlflow.source.git.branch`, `DBR_RUN_ID` (job.runId), `DBR_JOB_ID` (job.jobId); everything else
 *   `modeltrail.<s>.<f>` (e.g. `modeltrail.model.mlflow_run_id`), `modeltrail.environment.runtime.<key>`,
 *   `modeltrail.extra.<key>`, `modeltrail.data.<index>` (JSON of one data set), `modeltrail.schema_version`.
 * - annotations: `org.opencontainers.image.revision` (code.gitSha), `.source` (code.repoUrl),
 *   `.created` (optional, from `toAnnotations` options); everything else under the prefix
 *   `modeltrail.dev/` as `modeltrail.dev/<s>.<f>` (e.g. `modeltrail.dev/model.mlflow-run-id`), with JSON in
 *   `modeltrail.dev/environment.runtime`, `modeltrail.dev/data`, `modeltrail.dev/extra`, and
 *   `modeltrail.dev/schema-version`.
 * - labels: the same `modeltrail.dev/<s>.<f>` keys for code.gitSha (`modeltrail.dev/code.git-sha`),
 *   code.branch, ci.runId, job.jobId, job.runId, model.name, model.version, model.mlflowRunId,
 *   environment.name, deployment.revision.
 * - baggage: `modeltrail.<s>.<f>` per field, `modeltrail.environment.runtime.<key>`,
 *   `modeltrail.extra.<key>`, `modeltrail.data` (JSON); at most 64 members, 8192 bytes, 4096 bytes a member.
 * - otel: `vcs.ref.head.revision`, `vcs.repository.url.full`, `vcs.ref.head.name`, `cicd.pipeline.run.id`,
 *   `cicd.pipeline.run.url.full`, `cicd.pipeline.name`, `deployment.environment.name`,
 *   `k8s.deployment.name`, `k8s.namespace.name`, `k8s.cluster.name`, `oci.manifest.digest`,
 *   `container.image.name`, `container.image.tags`, `container.image.repo_digests`; the rest
 *   `modeltrail.<s>.<f>`, `modeltrail.environment.runtime.<key>`, `modeltrail.extra.<key>`, `modeltrail.data.names`.
 * - log fields: `git_sha`, `repo_url`, `git_branch`, `git_dirty`, `ci_provider`, `ci_run_id`,
 *   `ci_run_attempt`, `ci_run_url`, `ci_workflow`, `job_platform`, `job_id`, `run_id` (the run id, as
 *   `RUN_ID`: job.runId, else model.mlflowRunId), `task_run_id`, `task_key`, `workspace_url`,
 *   `model_name`, `model_version`, `mlflow_run_id`, `model_uri`, `image_ref`, `image_digest`, `deployment_platform`, `deployment_cluster`,
 *   `deployment_namespace`, `deployment_name`, `deployment_revision`, `environment`, `runtime_<key>`,
 *   `extra_<key>`.
 */
export const DEFAULT_CONVENTIONS: TraceConventions = deepFreeze({
  env: {
    fields: build((f, [s, snake]) => {
      const namespaced = ENV_NAMES[f] ?? `MODELTRAIL_${s.toUpperCase()}_${snake.toUpperCase()}`;
      const seed = ENV_SEEDS[f];
      return seed ? [seed, namespaced] : [namespaced];
    }),
    runId: "RUN_ID",
    runtime: "MODELTRAIL_ENVIRONMENT_RUNTIME",
    data: "MODELTRAIL_DATA",
    extra: "MODELTRAIL_EXTRA",
    schemaVersion: "MODELTRAIL_SCHEMA_VERSION",
  },
  mlflowTags: {
    fields: build((f, [s, snake]) => MLFLOW_NAMES[f] ?? [`modeltrail.${s}.${snake}`]),
    runtimePrefix: "modeltrail.environment.runtime.",
    extraPrefix: "modeltrail.extra.",
    dataPrefix: "modeltrail.data.",
    schemaVersion: "modeltrail.schema_version",
  },
  annotations: {
    fields: build((f, [s, , kebab]) => OCI_NAMES[f] ?? [`${ANNOTATION_PREFIX}${s}.${kebab}`]),
    created: "org.opencontainers.image.created",
    runtime: `${ANNOTATION_PREFIX}environment.runtime`,
    data: `${ANNOTATION_PREFIX}data`,
    extra: `${ANNOTATION_PREFIX}extra`,
    schemaVersion: `${ANNOTATION_PREFIX}schema-version`,
  },
  labels: {
    fields: build((f, [s, , kebab]) =>
      LABEL_FIELDS.includes(f) ? [`${ANNOTATION_PREFIX}${s}.${kebab}`] : [],
    ),
  },
  baggage: {
    fields: build((_f, [s, snake]) => [`modeltrail.${s}.${snake}`]),
    runtimePrefix: "modeltrail.environment.runtime.",
    extraPrefix: "modeltrail.extra.",
    data: "modeltrail.data",
    maxMembers: 64,
    maxBytes: 8192,
    maxMemberBytes: 4096,
  },
  otel: {
    fields: build((f, [s, snake]) => OTEL_NAMES[f] ?? [`modeltrail.${s}.${snake}`]),
    runtimePrefix: "modeltrail.environment.runtime.",
    extraPrefix: "modeltrail.extra.",
    dataNames: "modeltrail.data.names",
    containerImageName: "container.image.name",
    containerImageTags: "container.image.tags",
    containerImageRepoDigests: "container.image.repo_digests",
  },
  logFields: {
    fields: build((f) => {
      const name = LOG_NAMES[f];
      return name ? [name] : [];
    }),
    runId: "run_id",
    runtimePrefix: "runtime_",
    extraPrefix: "extra_",
    dataNames: null,
  },
});

/** Env var names: letters, digits, underscore, not starting with a digit. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** MLflow tag keys: alphanumerics, underscores, periods, dashes, spaces, slashes; at most 250. */
const MLFLOW_KEY = /^[A-Za-z0-9_.\-/ ]{1,250}$/;
/** Kubernetes qualified name: optional DNS subdomain prefix and `/`, then a 1-63 character name. */
const K8S_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 7230 token characters (W3C baggage keys). */
const BAGGAGE_KEY = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** OpenTelemetry attribute names / log field names: no whitespace, not empty. */
const PLAIN_NAME = /^[^\s]{1,255}$/;
const LOG_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** True when `key` is a valid Kubernetes label or annotation key (`[prefix/]name`). Never throws. */
export function isValidK8sKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (!K8S_NAME.test(name)) return false;
  return prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
}

const NAME_RULES: Record<keyof TraceConventions, { test: (s: string) => boolean; rule: string }> = {
  env: { test: (s) => ENV_NAME.test(s), rule: "an environment variable name ([A-Za-z_][A-Za-z0-9_]*)" },
  mlflowTags: { test: (s) => MLFLOW_KEY.test(s), rule: "an MLflow tag key ([A-Za-z0-9_.-/ ], 1-250 chars)" },
  annotations: { test: isValidK8sKey, rule: "a Kubernetes annotation key ([prefix/]name, name 1-63 chars)" },
  labels: { test: isValidK8sKey, rule: "a Kubernetes label key ([prefix/]name, name 1-63 chars)" },
  baggage: { test: (s) => BAGGAGE_KEY.test(s), rule: "a W3C baggage key (RFC 7230 token characters)" },
  otel: { test: (s) => PLAIN_NAME.test(s), rule: "an attribute name without whitespace" },
  logFields: { test: (s) => LOG_NAME.test(s), rule: "a log field name ([A-Za-z_][A-Za-z0-9_.]*)" },
};

const PREFIX_KEYS = new Set(["runtimePrefix", "extraPrefix", "dataPrefix"]);
const NUMBER_KEYS = new Set(["maxMembers", "maxBytes", "maxMemberBytes"]);

/**
 * Builds a complete, validated convention object from the defaults and `override` (objects merge,
 * field name lists replace; `[]` or `null` switches a name off). Throws ValidationError when a
 * name is invalid for its target, when two fields of one codec share a name, or when a field name
 * starts with one of that codec's prefixes.
 */
export function defineConventions(
  override: TraceConventionsOverride = {},
  base: TraceConventions = DEFAULT_CONVENTIONS,
): TraceConventions {
  const merged: Record<string, Record<string, unknown>> = {};
  const issues: ValidationIssue[] = [];
  for (const codec of Object.keys(base) as Array<keyof TraceConventions>) {
    const baseCodec = base[codec] as unknown as Record<string, unknown>;
    const over = (override[codec] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(over)) {
      if (!(key in baseCodec)) issues.push({ path: `${codec}.${key}`, message: "unknown convention" });
    }
    const fields = { ...(baseCodec.fields as FieldNames), ...((over.fields ?? {}) as Partial<FieldNames>) };
    for (const key of Object.keys(over.fields ?? {})) {
      if (!(SCALAR_FIELDS as readonly string[]).includes(key)) {
        issues.push({ path: `${codec}.fields.${key}`, message: "unknown TraceContext field" });
      }
    }
    merged[codec] = { ...baseCodec, ...over, fields: fields };
  }
  for (const codec of Object.keys(merged) as Array<keyof TraceConventions>) {
    issues.push(...checkCodec(codec, merged[codec] as Record<string, unknown>));
  }
  if (issues.length > 0) throw new ValidationError("Invalid trace conventions", { issues });
  return deepFreeze(merged) as unknown as TraceConventions;
}

/** Env names modeltrail never writes: MLflow reads `MLFLOW_RUN_ID` to resume that run in any process that logs. */
const RESERVED_ENV_NAMES: Readonly<Record<string, string>> = {
  MLFLOW_RUN_ID:
    "MLflow itself reads MLFLOW_RUN_ID and resumes that run in any process that logs to MLflow; use MODELTRAIL_MODEL_MLFLOW_RUN_ID",
};

function checkCodec(codec: keyof TraceConventions, conv: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const rule = NAME_RULES[codec];
  const owner = new Map<string, string>();
  const prefixes: Array<[string, string]> = [];
  const claim = (name: string, path: string) => {
    const reserved = codec === "env" ? RESERVED_ENV_NAMES[name] : undefined;
    if (reserved) issues.push({ path, message: `"${name}" is not allowed: ${reserved}` });
    const previous = owner.get(name);
    if (previous !== undefined && previous !== path) {
      issues.push({ path, message: `name "${name}" is also used by ${previous}` });
    }
    owner.set(name, path);
  };
  const fields = conv.fields as Record<string, unknown>;
  for (const [field, names] of Object.entries(fields)) {
    const path = `${codec}.fields.${field}`;
    if (names === null || names === undefined) {
      fields[field] = [];
      continue;
    }
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
      issues.push({ path, message: "must be an array of names" });
      continue;
    }
    for (const name of names as string[]) {
      if (!rule.test(name)) issues.push({ path, message: `"${name}" is not ${rule.rule}` });
      claim(name, path);
    }
  }
  for (const [key, value] of Object.entries(conv)) {
    if (key === "fields") continue;
    const path = `${codec}.${key}`;
    if (NUMBER_KEYS.has(key)) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
        issues.push({ path, message: "must be a positive integer" });
      }
      continue;
    }
    if (value === null) continue;
    if (typeof value !== "string" || value.length === 0) {
      issues.push({ path, message: "must be a non-empty string or null" });
      continue;
    }
    if (PREFIX_KEYS.has(key)) {
      const probe = `${value}a`;
      if (!rule.test(probe))
        issues.push({ path, message: `"${value}" is not a valid prefix of ${rule.rule}` });
      prefixes.push([value, path]);
    } else {
      if (!rule.test(value)) issues.push({ path, message: `"${value}" is not ${rule.rule}` });
      claim(value, path);
    }
  }
  for (const [prefix, path] of prefixes) {
    for (const [name, by] of owner) {
      if (name.startsWith(prefix))
        issues.push({ path, message: `prefix "${prefix}" also matches ${by} ("${name}")` });
    }
    for (const [other, otherPath] of prefixes) {
      if (otherPath !== path && other.startsWith(prefix)) {
        issues.push({ path, message: `prefix "${prefix}" overlaps ${otherPath} ("${other}")` });
      }
    }
  }
  return issues;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
