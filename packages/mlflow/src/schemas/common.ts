import { z } from "zod";

/** An int64 as MLflow sends it: a JSON number (or a string from protobuf JSON encoders). */
export const int64 = z.union([z.number(), z.string()]).transform((v) => Number(v));

/** A double as MLflow sends it: a number, or `"NaN"` / `"Infinity"` / `"-Infinity"` strings. */
export const double = z.union([z.number(), z.string()]).transform((v) => Number(v));

/** A `{key, value}` pair (tags, params); MLflow omits empty values. */
export const keyValueSchema = z.looseObject({ key: z.string(), value: z.string().default("") });

/** A `{key, value}` pair. */
export type KeyValue = z.infer<typeof keyValueSchema>;

/** A list of `{key, value}` pairs, empty when the server omits it. */
export const keyValueList = z.array(keyValueSchema).default([]);

/** Turns MLflow's `[{key, value}]` lists into a plain record (later keys win). */
export function tagsToRecord(
  tags: ReadonlyArray<{ key: string; value?: string }> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) out[t.key] = t.value ?? "";
  return out;
}

/** Turns a record (or a list of pairs) into MLflow's `[{key, value}]` list. */
export function recordToTags(
  tags: Record<string, string> | ReadonlyArray<{ key: string; value: string }> | undefined,
): Array<{ key: string; value: string }> {
  if (!tags) return [];
  if (Array.isArray(tags)) return tags.map((t) => ({ key: t.key, value: t.value }));
  return Object.entries(tags as Record<string, string>).map(([key, value]) => ({
    key,
    value: String(value),
  }));
}

/** Paging fields of list responses. */
export const nextPageToken = z.string().optional();
