import { ValidationError, type ValidationIssue } from "@modeltrail/core";

/**
 * MLflow's limits (mlflow/utils/validation.py, MLflow 3.17), checked before a request is sent so that
 * a bad key fails early with every problem listed, rather than halfway through a split batch.
 */
export const MLFLOW_LIMITS = Object.freeze({
  /** Metrics per log-batch call. */
  metricsPerBatch: 1000,
  /** Params per log-batch call. */
  paramsPerBatch: 100,
  /** Tags per log-batch call. */
  tagsPerBatch: 100,
  /** Metrics + params + tags per log-batch call. */
  entitiesPerBatch: 1000,
  /** Size of one log-batch request body, in bytes. */
  batchRequestBytes: 1_000_000,
  /** Length of a metric, param or tag key. */
  keyLength: 250,
  /** Length of a param value. */
  paramValueLength: 6000,
  /** Length of a run tag value. */
  tagValueLength: 8000,
  /** Length of an experiment tag value. */
  experimentTagValueLength: 20_000,
  /** Length of a registered model / model version tag key. */
  registryTagKeyLength: 250,
  /** Length of a registered model / model version tag value. */
  registryTagValueLength: 100_000,
  /** Datasets per log-inputs call. */
  datasetsPerCall: 1000,
  /** Length of a dataset name. */
  datasetNameLength: 500,
  /** Length of a dataset digest. */
  datasetDigestLength: 36,
  /** Length of a dataset source. */
  datasetSourceLength: 65_535,
  /** Length of a dataset schema. */
  datasetSchemaLength: 1_048_575,
  /** Length of a dataset profile. */
  datasetProfileLength: 16_777_215,
  /** Length of an input tag key. */
  inputTagKeyLength: 255,
  /** Length of an input tag value. */
  inputTagValueLength: 500,
});

/** Characters MLflow allows in metric, param and tag keys (POSIX servers): `\w / . - space :`. */
const KEY_CHARS = /^[/\p{L}\p{N}_.\- :]*$/u;

/** Length in code points, as Python's `len()` counts. */
export function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * True when `name` would stay the same under POSIX path normalisation, as MLflow requires of keys
 * (it stores them as file names in some stores): no leading or trailing `/`, no `//`, no `.` or
 * `..` segment, and not starting with `..`.
 */
function isUniquePath(name: string): boolean {
  if (name === "" || name.startsWith("/") || name.endsWith("/") || name.includes("//")) return false;
  if (name.startsWith("..")) return false;
  return name.split("/").every((segment) => segment !== "." && segment !== "..");
}

/** `a number`, `null`, `an object`, ...: what a value is, for messages. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined"
    ? type === "object"
      ? "an object"
      : "undefined"
    : `a ${type}`;
}

/** Checks a metric, param or tag key; pushes issues at `path`. */
export function checkKey(
  key: unknown,
  path: string,
  issues: ValidationIssue[],
  maxLength = MLFLOW_LIMITS.keyLength,
): void {
  if (key === undefined || key === null || key === "") {
    issues.push({ path, message: "key is missing or empty" });
    return;
  }
  if (typeof key !== "string") {
    issues.push({ path, message: `key must be a string, got ${describeType(key)}` });
    return;
  }
  if (!KEY_CHARS.test(key)) {
    issues.push({
      path,
      message: `key "${key}" has characters MLflow refuses; keys may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)`,
    });
    return;
  }
  if (!isUniquePath(key)) {
    issues.push({
      path,
      message: `key "${key}" is not a normalized path (no leading/trailing "/", "//", "." or ".." segments)`,
    });
  }
  const len = codePointLength(key);
  if (len > maxLength)
    issues.push({ path, message: `key is ${len} characters long; the limit is ${maxLength}` });
}

/**
 * Checks a string's length in code points (as MLflow counts); pushes an issue at `path` when it is
 * too long, naming `what` (`value`, `key`), or when it is not a string at all. Undefined is accepted.
 */
export function checkLength(
  value: unknown,
  limit: number,
  path: string,
  issues: ValidationIssue[],
  what = "value",
): void {
  if (value === undefined) return;
  if (typeof value !== "string") {
    issues.push({ path, message: `${what} must be a string, got ${describeType(value)}` });
    return;
  }
  const len = value.length <= limit ? value.length : codePointLength(value);
  if (len > limit) issues.push({ path, message: `${what} is ${len} characters long; the limit is ${limit}` });
}

/** What a tag is set on; each has MLflow's limit for the value (keys: 250 characters everywhere). */
export type TagTarget = "run" | "experiment" | "registered model" | "model version";

const TAG_VALUE_LIMITS: Readonly<Record<TagTarget, number>> = {
  run: MLFLOW_LIMITS.tagValueLength,
  experiment: MLFLOW_LIMITS.experimentTagValueLength,
  "registered model": MLFLOW_LIMITS.registryTagValueLength,
  "model version": MLFLOW_LIMITS.registryTagValueLength,
};

/**
 * Checks one tag as MLflow does for its target (`_validate_tag_name` and the length limits of
 * mlflow/utils/validation.py): the key's characters, that it is a normalized path, at most 250
 * characters; a string value within the target's limit (run 8000, experiment 20 000, registered model
 * and model version 100 000). Pushes issues at `path.key` / `path.value`, naming the tag.
 */
export function checkTag(
  key: unknown,
  value: unknown,
  path: string,
  issues: ValidationIssue[],
  target: TagTarget,
): void {
  checkKey(key, `${path}.key`, issues);
  const name = typeof key === "string" && key !== "" ? `tag "${key}": ` : "";
  const before = issues.length;
  checkLength(value, TAG_VALUE_LIMITS[target], `${path}.value`, issues);
  for (let i = before; i < issues.length; i++) {
    const issue = issues[i] as ValidationIssue;
    issues[i] = { path: issue.path, message: `${name}${issue.message}` };
  }
  if (value === undefined) issues.push({ path: `${path}.value`, message: `${name}value is missing` });
}

/** Tags as the API methods take them: a record, or a list of `{ key, value }` pairs. */
export type TagsInput = Readonly<Record<string, string>> | ReadonlyArray<{ key: string; value: string }>;

/**
 * Validates tags for `target` with {@link checkTag} and returns them as MLflow's `[{ key, value }]`
 * list. Throws one ValidationError listing every bad tag (by key) before anything is sent; a
 * non-object `tags` is an error too.
 */
export function validateTags(
  tags: TagsInput | undefined,
  target: TagTarget,
): Array<{ key: string; value: string }> {
  if (tags === undefined || tags === null) return [];
  const issues: ValidationIssue[] = [];
  let pairs: Array<{ key: unknown; value: unknown }> = [];
  if (Array.isArray(tags)) {
    pairs = (tags as ReadonlyArray<unknown>).map((t) =>
      typeof t === "object" && t !== null
        ? { key: (t as { key?: unknown }).key, value: (t as { value?: unknown }).value }
        : { key: undefined, value: t },
    );
  } else if (typeof tags === "object") {
    pairs = Object.entries(tags).map(([key, value]) => ({ key, value }));
  } else {
    issues.push({ path: "tags", message: `must be an object of tag values, got ${describeType(tags)}` });
  }
  pairs.forEach((t, i) => {
    checkTag(t.key, t.value, `tags[${i}]`, issues, target);
  });
  if (issues.length > 0) {
    throw new ValidationError(`Invalid ${target} tags; nothing was sent`, {
      issues,
      hint: "Fix the listed tags: keys of letters, digits, _ - . / : and spaces (at most 250 characters), string values",
    });
  }
  return pairs as Array<{ key: string; value: string }>;
}
