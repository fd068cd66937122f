import type { ValidationIssue } from "@modeltrail/core";

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

/** Checks a metric, param or tag key; pushes issues at `path`. */
export function checkKey(
  key: unknown,
  path: string,
  issues: ValidationIssue[],
  maxLength = MLFLOW_LIMITS.keyLength,
): void {
  if (typeof key !== "string" || key === "") {
    issues.push({ path, message: "key is missing or empty" });
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

/** Checks a string value's length; pushes an issue at `path` when it is too long. */
export function checkLength(
  value: string | undefined,
  limit: number,
  path: string,
  issues: ValidationIssue[],
): void {
  if (value === undefined) return;
  const len = value.length <= limit ? value.length : codePointLength(value);
  if (len > limit) issues.push({ path, message: `value is ${len} characters long; the limit is ${limit}` });
}
