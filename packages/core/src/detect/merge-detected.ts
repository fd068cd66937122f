import type { DetectedContext, DetectionSourceName, SourceResult, TraceFieldPath } from "./types.js";

/** Which source supplied each field of a detected context, keyed by dotted path (`code.gitSha`). */
export type FieldSources = Partial<Record<TraceFieldPath, DetectionSourceName>>;

/**
 * Merges source results field by field; `results` are ordered by precedence, highest first. A field
 * takes the value of the first result that has it, and `sources` records that result's source.
 * Map entries (`extra.<key>`, `environment.runtime.<key>`) merge key by key; `data` is taken whole
 * from the first result that has a list. Never throws.
 */
export function mergeDetected(results: readonly SourceResult[]): {
  context: DetectedContext;
  sources: FieldSources;
} {
  const merged: Record<string, unknown> = {};
  const sources: Record<string, DetectionSourceName> = {};

  const objectAt = (parent: Record<string, unknown>, key: string): Record<string, unknown> => {
    const existing = parent[key];
    if (existing && typeof existing === "object") return existing as Record<string, unknown>;
    const created: Record<string, unknown> = {};
    parent[key] = created;
    return created;
  };
  const setLeaf = (section: string, field: string, value: unknown, source: DetectionSourceName) => {
    const path = `${section}.${field}`;
    if (value === undefined || path in sources) return;
    objectAt(merged, section)[field] = value;
    sources[path] = source;
  };

  for (const { source, context } of results) {
    for (const [section, value] of Object.entries(context)) {
      if (value === undefined || value === null) continue;
      if (section === "data") {
        if (!("data" in sources) && Array.isArray(value)) {
          merged.data = value.map((entry) => ({ ...entry }));
          sources.data = source;
        }
        continue;
      }
      for (const [field, fieldValue] of Object.entries(value as Record<string, unknown>)) {
        if (
          section === "environment" &&
          field === "runtime" &&
          fieldValue &&
          typeof fieldValue === "object"
        ) {
          for (const [key, v] of Object.entries(fieldValue as Record<string, unknown>)) {
            const path = `environment.runtime.${key}`;
            if (v === undefined || path in sources) continue;
            objectAt(objectAt(merged, "environment"), "runtime")[key] = v;
            sources[path] = source;
          }
          continue;
        }
        setLeaf(section, field, fieldValue, source);
      }
    }
  }
  return { context: merged as DetectedContext, sources: sources as FieldSources };
}
