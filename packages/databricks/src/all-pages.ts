import { paginate } from "@modeltrail/core/internal";

/** Stops following page tokens after this many pages (a guard against servers that loop). */
export const MAX_PAGES = 10_000;

/**
 * Fetches every page of a Jobs API 2.2 `get` call (`jobs/get`, `jobs/runs/get`), following
 * `next_page_token` through core's `paginate` (which throws when a server repeats a token), and
 * returns them in order. Throws whatever `fetchPage` throws.
 */
export async function allPages<P extends { next_page_token?: string | undefined }>(
  fetchPage: (pageToken: string | undefined) => Promise<P>,
  signal?: AbortSignal,
): Promise<P[]> {
  const pages: P[] = [];
  for await (const page of paginate(
    async (token) => {
      const p = await fetchPage(token);
      return { items: [p], nextPageToken: p.next_page_token };
    },
    { maxPages: MAX_PAGES, ...(signal ? { signal } : {}) },
  ))
    pages.push(page);
  return pages;
}

/** Appends the array fields `keys` of `more` to those of `target` (in place), as the SDKs merge 2.2 pages. */
export function appendArrays<T extends object>(target: T, more: T, keys: ReadonlyArray<keyof T>): void {
  for (const key of keys) {
    const extra = more[key];
    if (Array.isArray(extra) && extra.length > 0) {
      const current = target[key];
      target[key] = [...(Array.isArray(current) ? current : []), ...extra] as T[keyof T];
    }
  }
}
