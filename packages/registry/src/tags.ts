import { type CallOptions, ValidationError } from "@modeltrail/core";
import { throwIfAborted } from "@modeltrail/core/internal";
import { z } from "zod";
import { repositoryScope } from "./auth/token-flow.js";
import { readLimited } from "./read-limited.js";
import { type ImageReference, repositoryName } from "./reference.js";
import type { RegistryTransport } from "./registry-transport.js";

/** Options of a tag listing. */
export interface ListTagsOptions extends CallOptions {
  /** Tags per page (`n`); default: the registry's default. */
  pageSize?: number | undefined;
  /** Stops after this many pages (guards against a registry that loops; default 10 000). */
  maxPages?: number | undefined;
}

const tagPage = z.object({ name: z.string().optional(), tags: z.array(z.string()).nullable().optional() });
const MAX_PAGE_BYTES = 8 * 1024 * 1024;

/** The `rel="next"` target of a `Link` header (RFC 8288), if any. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2] ?? ""))
      return m[1];
  }
  return undefined;
}

/**
 * Lists a repository's tags page by page, following `Link: <...>; rel="next"` (same origin only),
 * lazily as an async iterator.
 * @throws NotFoundError (NAME_UNKNOWN) for a repository that does not exist; ValidationError for a
 *   malformed page, a link to another host or a link that repeats; transport errors.
 */
export function listTags(
  t: RegistryTransport,
  repo: ImageReference,
  options: ListTagsOptions = {},
): AsyncGenerator<string, void, undefined> {
  return pagedList(
    t,
    `/v2/${repo.repository}/tags/list`,
    [repositoryScope(repo.repository, "pull")],
    `tag list of ${repositoryName(repo)}`,
    (json) => {
      const parsed = tagPage.safeParse(json);
      return parsed.success ? (parsed.data.tags ?? []) : parsed.error;
    },
    options,
  );
}

const catalogPage = z.object({ repositories: z.array(z.string()).nullable().optional() });

/**
 * Lists the repositories of a registry (`GET /v2/_catalog`, scope `registry:catalog:*`), following
 * `Link` pagination. Many hosted registries restrict or disable it.
 * @throws ApiError (401/403/404 when the registry does not offer it), ValidationError, transport errors.
 */
export function listRepositories(
  t: RegistryTransport,
  options: ListTagsOptions = {},
): AsyncGenerator<string, void, undefined> {
  return pagedList(
    t,
    "/v2/_catalog",
    ["registry:catalog:*"],
    `repository catalog of ${t.registry}`,
    (json) => {
      const parsed = catalogPage.safeParse(json);
      return parsed.success ? (parsed.data.repositories ?? []) : parsed.error;
    },
    options,
  );
}

async function* pagedList(
  t: RegistryTransport,
  path: string,
  scopes: string[],
  what: string,
  pick: (json: unknown) => string[] | z.ZodError,
  options: ListTagsOptions,
): AsyncGenerator<string, void, undefined> {
  const { pageSize, maxPages = 10_000, ...call } = options;
  if (pageSize !== undefined && (!Number.isSafeInteger(pageSize) || pageSize < 1)) {
    throw new ValidationError(`Invalid pageSize ${pageSize}: give a positive whole number`);
  }
  let url: URL = t.http.url(path, pageSize ? { n: pageSize } : undefined);
  const seen = new Set<string>();
  for (let page = 0; page < maxPages; page++) {
    throwIfAborted(call.signal, "Listing the tags");
    seen.add(url.href);
    const res = await t.request({
      ...call,
      method: "GET",
      path: url.href,
      headers: { accept: "application/json", ...call.headers },
      scopes,
    });
    const text = (await readLimited(res.body, MAX_PAGE_BYTES, what, res.headers["content-length"])).toString(
      "utf8",
    );
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ValidationError(`The ${what} is not JSON`);
    }
    const items = pick(json);
    if (!Array.isArray(items)) throw ValidationError.fromZod(what, items);
    yield* items;
    const next = nextLink(res.headers.link);
    if (!next) return;
    const nextUrl = new URL(next, url);
    if (nextUrl.origin !== t.http.baseUrl.origin) {
      throw new ValidationError(
        `The ${what} links to another host (${nextUrl.origin}); refusing to follow it`,
      );
    }
    if (seen.has(nextUrl.href)) {
      throw new ValidationError(
        `The ${what} links back to a page it already sent (${nextUrl.pathname}${nextUrl.search})`,
      );
    }
    url = nextUrl;
  }
  throw new ValidationError(`The ${what} has more than ${maxPages} pages; stopped`, {
    hint: "Raise maxPages or pageSize",
  });
}
