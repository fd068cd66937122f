/** A label selector: a string (`app=web,tier!=db`) or a map of required label values. */
export type LabelSelector = string | Readonly<Record<string, string>>;

/** A field selector: a string (`involvedObject.name=web`) or a map of required field values. */
export type FieldSelector = string | Readonly<Record<string, string>>;

/**
 * Renders a selector for the `labelSelector` / `fieldSelector` query parameters: a string as is, a
 * map as `key=value` pairs joined with commas (sorted by key, so the same map gives the same query).
 * Never throws.
 */
export function selectorString(selector: LabelSelector | FieldSelector | undefined): string | undefined {
  if (selector === undefined) return undefined;
  if (typeof selector === "string") return selector === "" ? undefined : selector;
  const entries = Object.entries(selector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? undefined : entries.map(([k, v]) => `${k}=${v}`).join(",");
}
