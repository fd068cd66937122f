/**
 * Serializes a JSON value with object keys sorted (recursively) and no whitespace, as UTF-8 bytes.
 * The same value always gives the same bytes, whatever order its keys were added in: manifests and
 * configs written this way have stable digests. `undefined` object members are left out.
 * @throws TypeError for values JSON cannot hold (functions, symbols, bigint, non-finite numbers).
 */
export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(canonicalString(value), "utf8");
}

/** The string form of {@link canonicalJson}. */
export function canonicalString(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value))
        return `[${value.map((v) => (v === undefined ? "null" : canonicalString(v))).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalString(v)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not a JSON value`);
  }
}
