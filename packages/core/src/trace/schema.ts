import { z } from "zod";
import { stripUrlCredentials } from "./strip-url-credentials.js";

/** The schema version this release writes. Readers accept this version and reject higher ones. */
export const TRACE_SCHEMA_VERSION = 1 as const;

/** Longest accepted string value, in characters. Keeps every codec's target (tags, headers) within bounds. */
export const MAX_TRACE_VALUE_LENGTH = 1024;

/** Most entries accepted in `data`, `extra` and `environment.runtime`. */
export const MAX_TRACE_ENTRIES = 64;

/** Keys of `extra` and `environment.runtime`: lowercase, start with a letter, at most 63 characters. */
export const TRACE_KEY_PATTERN: RegExp = /^[a-z][a-z0-9_.-]{0,62}$/;

/** CI providers that detection knows by name. `ci.provider` accepts any other non-empty string too. */
export const KNOWN_CI_PROVIDERS = [
  "github-actions",
  "azure-pipelines",
  "gitlab-ci",
  "jenkins",
  "circleci",
  "buildkite",
  "local",
] as const;

/** A CI provider: one of {@link KNOWN_CI_PROVIDERS} or another name. */
export type CiProvider = (typeof KNOWN_CI_PROVIDERS)[number] | (string & {});

/** Platforms a training job can run on. */
export const JOB_PLATFORMS = ["databricks", "local"] as const;

/** The platform a training job ran on. */
export type JobPlatform = (typeof JOB_PLATFORMS)[number];

/** No control characters (C0, DEL, C1) and no unpaired UTF-16 surrogates (they cannot be encoded as UTF-8). */
const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

/** A trimmed, non-empty string of at most {@link MAX_TRACE_VALUE_LENGTH} characters without control characters. */
const text = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(MAX_TRACE_VALUE_LENGTH, `must be at most ${MAX_TRACE_VALUE_LENGTH} characters`)
  .regex(PRINTABLE, "must not contain control characters (newline, tab, NUL, ...) or unpaired surrogates");

/** A URL-like string; credentials in it are stripped (see `stripUrlCredentials`). */
const url = text.overwrite(stripUrlCredentials);

const gitSha = z
  .string()
  .trim()
  .overwrite((s) => s.toLowerCase())
  .regex(/^[0-9a-f]{40}$/, "must be a full 40-character hexadecimal git commit SHA");

const imageDigest = z
  .string()
  .trim()
  .regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" followed by 64 lowercase hexadecimal characters');

/** Longest key of `extra` and `environment.runtime`, in characters. */
const MAX_TRACE_KEY_LENGTH = 63;

const mapKey = z.string().superRefine((key, ctx) => {
  if (TRACE_KEY_PATTERN.test(key)) return;
  // a key that breaks only the length limit is reported as too long, not as a pattern mismatch
  const tooLong = key.length > MAX_TRACE_KEY_LENGTH && /^[a-z][a-z0-9_.-]*$/.test(key);
  ctx.addIssue({
    code: "custom",
    message: tooLong
      ? `key is ${key.length} characters long; the limit is ${MAX_TRACE_KEY_LENGTH}`
      : "key must match /^[a-z][a-z0-9_.-]{0,62}$/ (lowercase, starts with a letter)",
  });
});

const stringMap = z
  .record(mapKey, text)
  .refine((m) => Object.keys(m).length <= MAX_TRACE_ENTRIES, `at most ${MAX_TRACE_ENTRIES} entries`);

/** Where the code came from. */
export const codeSectionSchema = z.strictObject({
  gitSha: gitSha.optional(),
  repoUrl: url.optional(),
  branch: text.optional(),
  dirty: z.boolean().optional(),
});

/** The CI run that built or deployed. */
export const ciSectionSchema = z.strictObject({
  provider: text.optional(),
  runId: text.optional(),
  runAttempt: text.optional(),
  runUrl: url.optional(),
  workflow: text.optional(),
});

/** The training job run. */
export const jobSectionSchema = z.strictObject({
  platform: z.enum(JOB_PLATFORMS).optional(),
  jobId: text.optional(),
  runId: text.optional(),
  taskRunId: text.optional(),
  taskKey: text.optional(),
  workspaceUrl: url.optional(),
});

/** The model (MLflow registered model version and the run that produced it). */
export const modelSectionSchema = z.strictObject({
  name: text.optional(),
  version: text.optional(),
  mlflowRunId: text.optional(),
  uri: url.optional(),
});

/** The container image that serves the model. */
export const imageSectionSchema = z.strictObject({
  ref: text.optional(),
  digest: imageDigest.optional(),
});

/** Where the model is deployed. */
export const deploymentSectionSchema = z.strictObject({
  platform: text.optional(),
  cluster: text.optional(),
  namespace: text.optional(),
  name: text.optional(),
  revision: text.optional(),
});

/** The environment: its name (dev, staging, prod) and runtime versions (`node`, `python`, ...). */
export const environmentSectionSchema = z.strictObject({
  name: text.optional(),
  runtime: stringMap.optional(),
});

/** One data set used for training. */
export const datasetRefSchema = z.strictObject({
  name: text,
  uri: url.optional(),
  version: text.optional(),
  digest: text.optional(),
});

const dataList = z
  .array(datasetRefSchema)
  .max(MAX_TRACE_ENTRIES, `at most ${MAX_TRACE_ENTRIES} data sets`)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((d, i) => {
      if (seen.has(d.name)) {
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate data set name "${d.name}"` });
      }
      seen.add(d.name);
    });
  });

const sections = {
  code: codeSectionSchema.optional(),
  ci: ciSectionSchema.optional(),
  job: jobSectionSchema.optional(),
  model: modelSectionSchema.optional(),
  image: imageSectionSchema.optional(),
  deployment: deploymentSectionSchema.optional(),
  environment: environmentSectionSchema.optional(),
  data: dataList.optional(),
  extra: stringMap.optional(),
};

/**
 * The zod schema of a serialized TraceContext (`schemaVersion` 1). Objects are strict: an unknown
 * field is an error, so typos never pass silently. Strings are trimmed; `gitSha` is lowercased;
 * URLs (`repoUrl`, `runUrl`, `workspaceUrl`, `model.uri`, `data[].uri`) have credentials stripped.
 */
export const traceContextSchema = z.strictObject({
  schemaVersion: z.literal(TRACE_SCHEMA_VERSION),
  ...sections,
});

/** The schema of `createTraceContext` input: the sections of {@link traceContextSchema}, all optional. */
export const traceContextInputSchema = z.strictObject(sections);

/** A validated, plain TraceContext as it is serialized (`ctx.toJSON()`). */
export type TraceContextData = z.output<typeof traceContextSchema>;

/** What `createTraceContext` accepts: every section optional, no `schemaVersion`. */
export type TraceContextInput = z.input<typeof traceContextInputSchema>;

/** The `code` section. */
export type CodeSection = z.output<typeof codeSectionSchema>;
/** The `ci` section. */
export type CiSection = z.output<typeof ciSectionSchema>;
/** The `job` section. */
export type JobSection = z.output<typeof jobSectionSchema>;
/** The `model` section. */
export type ModelSection = z.output<typeof modelSectionSchema>;
/** The `image` section. */
export type ImageSection = z.output<typeof imageSectionSchema>;
/** The `deployment` section. */
export type DeploymentSection = z.output<typeof deploymentSectionSchema>;
/** The `environment` section. */
export type EnvironmentSection = z.output<typeof environmentSectionSchema>;
/** One entry of `data`. */
export type DatasetRef = z.output<typeof datasetRefSchema>;

/** A patch of one section: `undefined` leaves a field as is, `null` removes it. */
export type SectionPatch<T> = { [K in keyof T]?: T[K] | null };

/**
 * What `ctx.with(patch)` accepts. Sections merge field by field; `data` merges by `name` (entries
 * are section patches keyed by name); `extra` and `environment.runtime` merge by key. `undefined`
 * leaves a field as is, `null` removes it (a whole section, a field, a map key).
 */
export interface TraceContextPatch {
  code?: SectionPatch<CodeSection> | null;
  ci?: SectionPatch<CiSection> | null;
  job?: SectionPatch<JobSection> | null;
  model?: SectionPatch<ModelSection> | null;
  image?: SectionPatch<ImageSection> | null;
  deployment?: SectionPatch<DeploymentSection> | null;
  environment?: {
    name?: string | null;
    runtime?: Record<string, string | null> | null;
  } | null;
  data?: Array<{ name: string } & SectionPatch<Omit<DatasetRef, "name">>> | null;
  extra?: Record<string, string | null> | null;
}
