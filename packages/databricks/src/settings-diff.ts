import { redactText } from "@modeltrail/core/internal";

/** Arrays whose elements Databricks identifies by a key field; they are compared element by element. */
const KEYED_ARRAYS: Readonly<Record<string, string>> = {
  tasks: "task_key",
  job_clusters: "job_cluster_key",
  parameters: "name",
  environments: "environment_key",
  depends_on: "task_key",
};

/**
 * Lists where `actual` (settings read back with `jobs/get`) does not match `desired`, as short
 * human-readable paths (`tags.git_sha: "a" -> "b"`, `tasks[train] added`, `schedule missing`).
 *
 * Comparison is "desired is contained in actual": fields the server fills in with defaults
 * (`format`, `email_notifications: {}`, `timeout_seconds: 0`, `run_as`, ...) and that the desired
 * settings do not mention are ignored; an empty object or array in `desired` matches a missing
 * field. Elements of `tasks`, `job_clusters`, `parameters`, `environments` and `depends_on` are
 * matched by their key, so a task added or removed is reported. Never throws.
 */
export function diffJobSettings(desired: unknown, actual: unknown, path = ""): string[] {
  if (isEmpty(desired) && (actual === undefined || isEmpty(actual))) return [];
  if (Array.isArray(desired)) {
    if (!Array.isArray(actual)) return [`${path || "(root)"} missing`];
    const keyField = KEYED_ARRAYS[lastSegment(path)];
    if (keyField && desired.every((d) => isObject(d) && typeof d[keyField] === "string")) {
      return diffKeyed(desired as Record<string, unknown>[], actual, keyField, path);
    }
    if (desired.length !== actual.length)
      return [`${path}: ${desired.length} element(s) wanted, ${actual.length} present`];
    return desired.flatMap((d, i) => diffJobSettings(d, actual[i], `${path}[${i}]`));
  }
  if (isObject(desired)) {
    if (!isObject(actual)) return [`${path || "(root)"} missing`];
    const out: string[] = [];
    for (const [key, value] of Object.entries(desired)) {
      if (value === undefined) continue;
      const sub = path ? `${path}.${key}` : key;
      if (!(key in actual) && !isEmpty(value)) {
        out.push(`${sub} missing`);
        continue;
      }
      out.push(...diffJobSettings(value, actual[key], sub));
    }
    return out;
  }
  if (desired === actual) return [];
  if (actual === undefined) return [`${path} missing`];
  return [`${path}: ${short(actual)} -> ${short(desired)}`];
}

function diffKeyed(
  desired: Record<string, unknown>[],
  actual: unknown[],
  keyField: string,
  path: string,
): string[] {
  const out: string[] = [];
  const byKey = new Map<string, unknown>();
  for (const a of actual) if (isObject(a) && typeof a[keyField] === "string") byKey.set(a[keyField], a);
  const wanted = new Set<string>();
  for (const d of desired) {
    const key = d[keyField] as string;
    wanted.add(key);
    const a = byKey.get(key);
    if (a === undefined) out.push(`${path}[${key}] added`);
    else out.push(...diffJobSettings(d, a, `${path}[${key}]`));
  }
  for (const key of byKey.keys()) if (!wanted.has(key)) out.push(`${path}[${key}] removed`);
  if (out.length === 0) {
    // Same elements: Databricks keeps the order it was given, so an order change is a change too
    // (except for `depends_on`, which the service may reorder).
    const order = actual.filter(isObject).map((a) => a[keyField]);
    const wantedOrder = desired.map((d) => d[keyField]);
    if (lastSegment(path) !== "depends_on" && order.join("\u0000") !== wantedOrder.join("\u0000"))
      out.push(`${path}: order changed`);
  }
  return out;
}

function lastSegment(path: string): string {
  const m = /([A-Za-z_]+)$/.exec(path);
  return m?.[1] ?? "";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
}

/** A value quoted in a change description: redacted first, then cut to about 60 characters. */
function short(value: unknown): string {
  const text = redactText(JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
