/** One page as returned by a page fetcher. */
export interface Page<T> {
  items: ReadonlyArray<T>;
  /** Token of the next page; empty, null or undefined ends the iteration. */
  nextPageToken?: string | null | undefined;
}

/** Options of `paginate`. */
export interface PaginateOptions {
  /** Stops after this many pages (a guard against servers that loop). Default 10 000. */
  maxPages?: number;
  /** Stops between pages when aborted. */
  signal?: AbortSignal;
}

/**
 * Iterates over every item of a paginated API. `fetchPage` receives the previous page's token
 * (undefined for the first page). Pages are fetched lazily, one at a time. Throws whatever
 * `fetchPage` throws, and an Error if a server repeats a page token (which would loop forever).
 */
export async function* paginate<T>(
  fetchPage: (pageToken: string | undefined) => Promise<Page<T>>,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const maxPages = options.maxPages ?? 10_000;
  const seen = new Set<string>();
  let token: string | undefined;
  for (let pageNo = 0; pageNo < maxPages; pageNo++) {
    options.signal?.throwIfAborted();
    const page = await fetchPage(token);
    yield* page.items;
    const next = page.nextPageToken;
    if (!next) return;
    if (seen.has(next)) throw new Error(`Pagination loop: the server returned page token "${next}" twice`);
    seen.add(next);
    token = next;
  }
}
