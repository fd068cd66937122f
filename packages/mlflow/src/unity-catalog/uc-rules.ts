import { ValidationError, type ValidationIssue } from "@modeltrail/core";

/** Unity Catalog's limits on names and tags (Databricks docs, "Apply tags to Unity Catalog securable objects"). */
export const UC_LIMITS = Object.freeze({
  /** Longest catalog, schema or model name. */
  nameLength: 255,
  /** Longest tag key. */
  tagKeyLength: 255,
  /** Longest tag value. */
  tagValueLength: 1000,
  /** Most tags on one registered model or model version. */
  tagsPerObject: 50,
});

/** Characters a Unity Catalog tag key may not contain. */
const FORBIDDEN_TAG_KEY_CHARS = /[.,\-=/:]/;

/**
 * Splits a three-level Unity Catalog model name `catalog.schema.model`. Throws ValidationError
 * for any other shape (a workspace-registry name such as `churn` says to use `catalog.schema.churn`
 * or the `databricks` registry), for empty parts, parts longer than 255 characters, or parts with
 * spaces, slashes or control characters.
 */
export function splitUcModelName(name: string): { catalog: string; schema: string; model: string } {
  const parts = String(name).split(".");
  const issues: ValidationIssue[] = [];
  if (parts.length !== 3 || parts.some((p) => p === "")) {
    throw new ValidationError(`"${name}" is not a Unity Catalog model name`, {
      issues: [{ path: "name", message: "must have three levels: catalog.schema.model" }],
      hint:
        "Name the model <catalog>.<schema>.<model>, or register it in the workspace model registry " +
        '(registry "databricks") where one-level names are used',
    });
  }
  const labels = ["catalog", "schema", "model"] as const;
  parts.forEach((p, i) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
    if (/[\s/\u0000-\u001f\u007f]/.test(p))
      issues.push({ path: labels[i] as string, message: "contains a space, '/' or a control character" });
    if (p.length > UC_LIMITS.nameLength)
      issues.push({
        path: labels[i] as string,
        message: `is longer than ${UC_LIMITS.nameLength} characters`,
      });
  });
  if (issues.length > 0) throw new ValidationError(`Invalid Unity Catalog model name "${name}"`, { issues });
  return { catalog: parts[0] as string, schema: parts[1] as string, model: parts[2] as string };
}

/**
 * Checks tags against Unity Catalog's rules before anything is sent: at most 50 tags, keys of 1 to
 * 255 characters without `. , - = / :`, values of at most 1000 characters. Throws ValidationError
 * listing every problem.
 */
export function validateUcTags(tags: Record<string, string> | undefined, subject: string): void {
  const entries = Object.entries(tags ?? {});
  const issues: ValidationIssue[] = [];
  if (entries.length > UC_LIMITS.tagsPerObject) {
    issues.push({
      path: "tags",
      message: `${entries.length} tags; Unity Catalog allows ${UC_LIMITS.tagsPerObject}`,
    });
  }
  for (const [key, value] of entries) {
    if (key === "") issues.push({ path: "tags", message: "a tag key is empty" });
    if ([...key].length > UC_LIMITS.tagKeyLength)
      issues.push({
        path: `tags.${key}`,
        message: `key is longer than ${UC_LIMITS.tagKeyLength} characters`,
      });
    if (FORBIDDEN_TAG_KEY_CHARS.test(key))
      issues.push({
        path: `tags.${key}`,
        message: "key contains one of . , - = / : (not allowed in Unity Catalog)",
      });
    if (typeof value !== "string") issues.push({ path: `tags.${key}`, message: "value must be a string" });
    else if ([...value].length > UC_LIMITS.tagValueLength)
      issues.push({
        path: `tags.${key}`,
        message: `value is longer than ${UC_LIMITS.tagValueLength} characters`,
      });
  }
  if (issues.length > 0) {
    throw new ValidationError(`Invalid Unity Catalog ${subject} tags`, {
      issues,
      hint: "Unity Catalog tag keys are at most 255 characters without . , - = / : and values at most 1000 characters",
    });
  }
}

/**
 * The Unity Catalog form of a tag key: each character Unity Catalog refuses (`. , - = / :`) becomes
 * `_`, so that trace tags such as `mlflow.source.git.commit` are stored as
 * `mlflow_source_git_commit`. `GIT_SHA`, `DBR_RUN_ID` and `DBR_JOB_ID` are unchanged.
 */
export function ucTagKey(key: string): string {
  return key.replace(/[.,\-=/:]/g, "_");
}

/** Re-keys tags with `ucTagKey`. Throws ValidationError when two keys collide once re-keyed. */
export function toUcTagKeys(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    const uk = ucTagKey(k);
    if (from[uk] !== undefined && from[uk] !== k) {
      throw new ValidationError(`Tags "${from[uk]}" and "${k}" are the same tag in Unity Catalog ("${uk}")`, {
        issues: [{ path: `tags.${k}`, message: `collides with "${from[uk]}"` }],
      });
    }
    from[uk] = k;
    out[uk] = v;
  }
  return out;
}

/**
 * Maps Unity Catalog tag keys back to the names `known` (and keys below the `prefixes`) that
 * `ucTagKey` turned them into; other keys stay as they are.
 */
export function fromUcTagKeys(
  tags: Record<string, string>,
  known: readonly string[],
  prefixes: readonly string[],
): Record<string, string> {
  const back = new Map(known.map((k) => [ucTagKey(k), k]));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    const exact = back.get(k);
    if (exact) {
      out[exact] = v;
      continue;
    }
    const prefix = prefixes.find((p) => p !== "" && k.startsWith(ucTagKey(p)));
    out[prefix ? `${prefix}${k.slice(ucTagKey(prefix).length)}` : k] = v;
  }
  return out;
}

/** Throws the error Unity Catalog's model registry gives for stages: it has none, aliases replace them. */
export function noStagesInUnityCatalog(what: string): never {
  throw new ValidationError(`${what}: Unity Catalog has no model stages`, {
    hint: "Use aliases instead: registeredModels.setAlias(name, 'champion', version) and models:/<catalog.schema.model>@champion",
  });
}
