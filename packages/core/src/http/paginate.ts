import { throwIfAborted } from "../errors/abort-error.js";
import { ValidationError } from "../errors/validation-error.js";
import { redactText } from "../redact.js";

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
  /** Stops between pages when aborted (AbortError). */
  signal?: AbortSignal | undefined;
  /** What is being listed, for error messages (e.g. `mlflow model versions`). */
  subject?: string | undefined;
}

/** Longest part of a page token quoted in an error message. */
const TOKEN_PREVIEW = 40;

/**
 * Iterates over every item of a paginated API. `fetchPage` receives the previous page's token
 * (undefined for the first page). Pages are fetched lazily, one at a time. Throws whatever
 * `fetchPage` throws, AbortError when `signal` aborts between pages, and ValidationError when the
 * server repeats a page token (which would loop forever) or sends a token that is not a string.
 */
export async function* paginate<T>(
  fetchPage: (pageToken: string | undefined) => Promise<Page<T>>,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const maxPages = options.maxPages ?? 10_000;
  const listing = options.subject ? ` of ${options.subject}` : "";
  const seen = new Set<string>();
  let token: string | undefined;
  for (let pageNo = 0; pageNo < maxPages; pageNo++) {
    throwIfAborted(options.signal, `Paging${listing ? ` through the pages${listing}` : ""}`);
    const page = await fetchPage(token);
    yield* page.items;
    const next: unknown = page.nextPageToken;
    if (next === undefined || next === null || next === "") return;
    if (typeof next !== "string") {
      throw new ValidationError(`The server's page ${pageNo + 1}${listing} has an invalid next page token`, {
        issues: [{ path: "next_page_token", message: `must be a string, got ${typeof next}` }],
        hint: "The server answered with an unexpected shape; check the server version",
      });
    }
    if (seen.has(next)) {
      throw new ValidationError(
        `Pagination loop: the server returned page token ${preview(next)} twice in the pages${listing}; stopped after ${pageNo + 1} pages instead of looping forever`,
        {
          issues: [{ path: "next_page_token", message: "repeated" }],
          hint: "The server's paging is broken; report it to the server's operators, or narrow the listing with a filter",
        },
      );
    }
    seen.add(next);
    token = next;
  }
}

/** A page token quoted for a message: redacted first, then cut. */
function preview(token: string): string {
  const safe = redactText(token);
  return safe.length <= TOKEN_PREVIEW
    ? `"${safe}"`
    : `"${safe.slice(0, TOKEN_PREVIEW)}…" (${token.length} characters)`;
}
