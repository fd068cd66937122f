import nunjucks from "nunjucks";

/**
 * How a template value becomes JSON data (for a whole value) and text (inside a string): the two forms
 * an output value can take in a job definition.
 */

/** Nesting deeper than this is refused (a job definition is a few levels deep; this bounds recursion). */
export const MAX_VALUE_DEPTH = 256;

/** Why a value cannot be written into a job definition, and where inside it (`""` for the value itself). */
export class UnrepresentableValue extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${path ? `${path} ` : ""}${what}`);
    this.name = "UnrepresentableValue";
  }
}

const SafeString = nunjucks.runtime.SafeString;

function kindOf(v: unknown): string {
  if (typeof v === "bigint") return `${v}n (a bigint)`;
  if (typeof v === "number") return String(v);
  if (typeof v === "function") return "a function (call it, or output what it returns)";
  if (typeof v === "symbol") return "a symbol";
  if (v === undefined) return "undefined";
  if (v instanceof Map) return "a Map";
  if (v instanceof Set) return "a Set";
  return `a ${Object.prototype.toString.call(v).slice(8, -1)}`;
}

/**
 * The value as plain JSON data: strings, finite numbers, booleans, null, arrays and plain objects, as
 * `JSON.stringify` would write them, except that nothing is changed or dropped silently. Dates become ISO
 * strings, objects with `toJSON` are converted, nunjucks' safe strings become strings, properties whose
 * value is undefined are left out (as JSON does). Throws UnrepresentableValue (naming the path inside the
 * value) for NaN and infinities, bigints, functions, symbols, Maps and Sets, undefined array items,
 * invalid dates, cycles and nesting deeper than {@link MAX_VALUE_DEPTH}.
 */
export function toJsonData(value: unknown): unknown {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string, depth: number): unknown => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") {
      if (!Number.isFinite(v))
        throw new UnrepresentableValue(path, `is ${kindOf(v)}, which JSON cannot hold`);
      return v;
    }
    if (typeof v !== "object")
      throw new UnrepresentableValue(path, `is ${kindOf(v)}, which JSON cannot hold`);
    if (v instanceof SafeString) return String(v);
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new UnrepresentableValue(path, "is an invalid Date");
      return v.toISOString();
    }
    if (v instanceof Map || v instanceof Set) {
      throw new UnrepresentableValue(path, `is ${kindOf(v)}; convert it to an object or array first`);
    }
    if (depth >= MAX_VALUE_DEPTH) {
      throw new UnrepresentableValue(path, `nests deeper than ${MAX_VALUE_DEPTH} levels`);
    }
    if (seen.has(v)) throw new UnrepresentableValue(path, "contains itself (a cycle)");
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      seen.add(v);
      const out = walk(toJSON.call(v), path, depth + 1);
      seen.delete(v);
      return out;
    }
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = v.map((item, i) => {
        const p = `${path}[${i}]`;
        if (item === undefined) throw new UnrepresentableValue(p, "is undefined");
        return walk(item, p, depth + 1);
      });
    } else {
      const obj: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        if (item === undefined) continue;
        const p = path ? `${path}.${key}` : key;
        // defineProperty: a key named "__proto__" stays an ordinary key.
        Object.defineProperty(obj, key, {
          value: walk(item, p, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      out = obj;
    }
    seen.delete(v);
    return out;
  };
  return walk(value, "", 0);
}

/** How JSON data reads inside a string: strings as they are, numbers and booleans as written, null as `null`, arrays and objects as compact JSON. */
export function textOf(data: unknown): string {
  if (typeof data === "string") return data;
  if (typeof data === "number" || typeof data === "boolean") return String(data);
  return JSON.stringify(data);
}
