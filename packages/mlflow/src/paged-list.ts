import { type HttpClient, paginate, startCall } from "@modeltrail/core/internal";
import type { z } from "zod";
import type { PageOptions } from "./api-path.js";

/** One MLflow list endpoint: how to ask for a page and where its items are. */
export interface PagedListRequest<R extends { next_page_token?: string | undefined }, T> {
  /** `GET` sends `params` as the query; `POST` (searches, which only read) sends them as JSON and is retried. */
  method: "GET" | "POST";
  path: string;
  /** Request parameters; undefined ones are left out. `page_token` is added per page. */
  params: Record<string, unknown>;
  schema: z.ZodType<R>;
  /** The page's items. */
  items: (page: R) => T[];
}

/**
 * Iterates over every item of a paginated MLflow list or search endpoint, one page at a time
 * (`page_token` / `next_page_token`). Throws whatever the transport throws for a page, and
 * ValidationError when a page does not match `schema`.
 */
export function pagedList<R extends { next_page_token?: string | undefined }, T>(
  http: HttpClient,
  request: PagedListRequest<R, T>,
  options: PageOptions = {},
): AsyncGenerator<T, void, undefined> {
  const defined = Object.fromEntries(Object.entries(request.params).filter(([, v]) => v !== undefined));
  // One deadline for the whole listing; every page gets the caller's other per-call options.
  const call = startCall(options);
  return paginate(
    async (pageToken) => {
      const params = pageToken ? { ...defined, page_token: pageToken } : defined;
      const page =
        request.method === "GET"
          ? await http.get(
              request.path,
              { query: params as Record<string, string | number | boolean>, schema: request.schema },
              call,
            )
          : await http.post(request.path, { json: params, retrySafe: true, schema: request.schema }, call);
      return { items: request.items(page), nextPageToken: page.next_page_token };
    },
    { maxPages: options.maxPages, signal: options.signal },
  );
}
