/**
 * skops (the format MLflow 3 saves scikit-learn models in, `model.skops`) writes a ZIP archive whose
 * `schema.json` describes the object tree and whose other entries hold the arrays. It names the
 * array files, and marks shared objects (`__id__`), with Python's `id()` of each object: a memory
 * address, different in every process. Two runs that trained the same model therefore write
 * different archives. This module gives the archive a canonical form: `__id__` values renumbered in
 * order of first appearance (keeping which nodes are the same object), and every reference to an
 * array file replaced by the sha256 of that file's content.
 * @module
 */

/** True when `schema.json` of an archive looks like a skops schema (a root node with `__loader__`). */
export function isSkopsSchema(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "__loader__" in value;
}

/**
 * The canonical text of a skops schema: `__id__` numbers renumbered 1, 2, ... in order of first
 * appearance, strings that name another entry of the archive replaced by `sha256:<hex>` of its
 * content (`entryDigests`: entry name -> hex digest). Never throws.
 */
export function canonicalSkopsSchema(
  schema: Record<string, unknown>,
  entryDigests: ReadonlyMap<string, string>,
): string {
  const ids = new Map<unknown, number>();
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "__id__" && (typeof x === "number" || typeof x === "string")) {
          if (!ids.has(x)) ids.set(x, ids.size + 1);
          out[k] = ids.get(x);
        } else out[k] = walk(x);
      }
      return out;
    }
    if (typeof v === "string" && entryDigests.has(v)) return `sha256:${entryDigests.get(v)}`;
    return v;
  };
  return JSON.stringify(walk(schema));
}
