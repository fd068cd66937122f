import { type CallOptions, ValidationError } from "@modeltrail/core";
import { type HttpClient, startCall } from "@modeltrail/core/internal";
import { z } from "zod";
import { type ArtifactLocation, PROXY_ARTIFACTS_ROUTE } from "./artifact-location.js";
import { joinArtifactPath } from "./artifact-path.js";
import { DirectoryListingCheck, listedEntrySchema } from "./listing-entry.js";
import type { ArtifactFileInfo } from "./types.js";

const proxyListSchema = z.object({ files: z.array(listedEntrySchema).optional() });
const trackingListSchema = z.object({
  files: z.array(listedEntrySchema).optional(),
  next_page_token: z.string().optional(),
});

/** Limits that keep a listing of a hostile or broken server bounded. */
export interface ListLimits {
  /** Deepest directory level descended into (default 64). */
  maxDepth: number;
  /** Most entries returned (default 1 000 000). */
  maxEntries: number;
  /** Most pages fetched for one directory of the tracking API (default 10 000). */
  maxPages: number;
}

const DEFAULT_LIMITS: ListLimits = { maxDepth: 64, maxEntries: 1_000_000, maxPages: 10_000 };

/**
 * Lists the direct children of `loc` plus `rel`. Entry paths come back relative to `loc` and are
 * checked first, and nothing is repaired: a name that is absolute, contains `..`, an empty
 * segment, a backslash, NUL or another control character, an entry that is not a direct child of
 * the listed directory, a name listed twice (as two files, or as a file and a directory), or a
 * `file_size` that is not a whole number of bytes up to 2^53 - 1 makes it throw ValidationError.
 * Throws what HttpClient throws (NotFoundError, ResponseTooLargeError, ...).
 */
export async function listDirectory(
  http: HttpClient,
  loc: ArtifactLocation,
  rel: string,
  call: CallOptions = {},
  limits: ListLimits = DEFAULT_LIMITS,
): Promise<ArtifactFileInfo[]> {
  const dir = joinArtifactPath(loc.path, rel);
  const out: ArtifactFileInfo[] = [];
  if (loc.kind === "proxy") {
    const body = await http.get(
      PROXY_ARTIFACTS_ROUTE,
      { query: dir === "" ? undefined : { path: dir }, schema: proxyListSchema },
      call,
    );
    const check = new DirectoryListingCheck(dir);
    for (const f of body.files ?? []) {
      // The proxy answers with names relative to the listed directory.
      out.push(check.entry(f, f.path, rel));
    }
    return out;
  }
  // Tracking API: paths are relative to the run's artifact root, pages via next_page_token.
  let pageToken: string | undefined;
  const check = new DirectoryListingCheck(dir);
  for (let page = 0; page < limits.maxPages; page++) {
    const body = await http.get(
      "/api/2.0/mlflow/artifacts/list",
      {
        query: { run_id: loc.runId, path: dir === "" ? undefined : dir, page_token: pageToken },
        schema: trackingListSchema,
      },
      call,
    );
    for (const f of body.files ?? []) {
      if (f.path === dir && dir !== "") continue; // listing a file answers with the file itself
      out.push(check.entry(f, check.nameOf(f.path), rel));
    }
    pageToken = body.next_page_token || undefined;
    if (pageToken === undefined) return out;
  }
  throw new ValidationError(`Artifact listing of "${dir}" did not end after ${limits.maxPages} pages`);
}

/**
 * Lists everything below `loc`, depth first, as an async iterator of files and directories (paths
 * relative to `loc`). With `recursive: false` only the direct children. Every entry is checked as
 * in `listDirectory`; depth and entry count are bounded (ValidationError past the limits).
 */
export async function* listArtifacts(
  http: HttpClient,
  loc: ArtifactLocation,
  options: CallOptions & { recursive?: boolean; limits?: Partial<ListLimits> } = {},
): AsyncGenerator<ArtifactFileInfo> {
  const call = startCall(options);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const recursive = options.recursive ?? true;
  const stack: Array<{ rel: string; depth: number }> = [{ rel: "", depth: 0 }];
  let count = 0;
  while (stack.length > 0) {
    const { rel, depth } = stack.pop() as { rel: string; depth: number };
    const entries = await listDirectory(http, loc, rel, call, limits);
    const dirs: string[] = [];
    for (const entry of entries) {
      // A proxy listing of a single file answers with the file itself: it is not a child.
      if (rel === "" && entries.length === 1 && !entry.isDir && isSelfListing(loc, entry)) return;
      if (++count > limits.maxEntries) {
        throw new ValidationError(`Artifact listing exceeded ${limits.maxEntries} entries`, {
          hint: "Raise limits.maxEntries if this is expected",
        });
      }
      yield entry;
      if (entry.isDir) dirs.push(entry.path);
    }
    if (!recursive) return;
    for (const d of dirs.reverse()) {
      if (depth + 1 > limits.maxDepth) {
        throw new ValidationError(`Artifact tree is deeper than ${limits.maxDepth} levels at "${d}"`);
      }
      stack.push({ rel: d, depth: depth + 1 });
    }
  }
}

function isSelfListing(loc: ArtifactLocation, entry: ArtifactFileInfo): boolean {
  if (loc.path === "") return false;
  const base = loc.path.slice(loc.path.lastIndexOf("/") + 1);
  return entry.path === base && loc.kind === "proxy";
}
