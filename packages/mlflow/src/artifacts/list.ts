import { ValidationError } from "@modeltrail/core";
import type { HttpClient } from "@modeltrail/core/internal";
import { z } from "zod";
import { type ArtifactLocation, PROXY_ARTIFACTS_ROUTE } from "./artifact-location.js";
import { assertSafeArtifactPath, joinArtifactPath } from "./artifact-path.js";
import type { ArtifactFileInfo } from "./types.js";

/** A size as a server sends it: a JSON number or a decimal string (protobuf int64). Checked per entry. */
const sizeSchema = z.union([z.number(), z.string()]).optional();

const fileInfoSchema = z.object({
  path: z.string(),
  is_dir: z.boolean().optional(),
  file_size: sizeSchema,
});

const proxyListSchema = z.object({ files: z.array(fileInfoSchema).optional() });
const trackingListSchema = z.object({
  files: z.array(fileInfoSchema).optional(),
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
  signal?: AbortSignal,
  limits: ListLimits = DEFAULT_LIMITS,
): Promise<ArtifactFileInfo[]> {
  const dir = joinArtifactPath(loc.path, rel);
  const out: ArtifactFileInfo[] = [];
  if (loc.kind === "proxy") {
    const body = await http.json({
      method: "GET",
      path: PROXY_ARTIFACTS_ROUTE,
      query: dir === "" ? undefined : { path: dir },
      schema: proxyListSchema,
      signal,
    });
    const seen = new Map<string, boolean>();
    for (const f of body.files ?? []) {
      // The proxy answers with names relative to the listed directory.
      const name = childName(f.path, f.path, dir);
      out.push(entryOf(f, rel, name, dir, seen));
    }
    return out;
  }
  // Tracking API: paths are relative to the run's artifact root, pages via next_page_token.
  let pageToken: string | undefined;
  const seen = new Map<string, boolean>();
  for (let page = 0; page < limits.maxPages; page++) {
    const body = await http.json({
      method: "GET",
      path: "/api/2.0/mlflow/artifacts/list",
      query: { run_id: loc.runId, path: dir === "" ? undefined : dir, page_token: pageToken },
      schema: trackingListSchema,
      signal,
    });
    for (const f of body.files ?? []) {
      const full = assertSafeArtifactPath(f.path, "artifact listing entry");
      if (full === dir) continue; // listing a file answers with the file itself
      if (dir !== "" && !full.startsWith(`${dir}/`)) {
        throw refused(f.path, dir, `is not inside the listed directory "${dir}"`);
      }
      const name = childName(dir === "" ? full : full.slice(dir.length + 1), f.path, dir);
      out.push(entryOf(f, rel, name, dir, seen));
    }
    pageToken = body.next_page_token || undefined;
    if (pageToken === undefined) return out;
  }
  throw new ValidationError(`Artifact listing of "${dir}" did not end after ${limits.maxPages} pages`);
}

/** The largest size accepted from a listing: 2^53 - 1 bytes (8 PiB), the largest exact JavaScript integer. */
const MAX_LISTED_SIZE = Number.MAX_SAFE_INTEGER;

function refused(entry: string, dir: string, problem: string): ValidationError {
  return new ValidationError(
    `Refusing the artifact listing of ${dir === "" ? "the artifact root" : `"${dir}"`}: entry ${JSON.stringify(entry)} ${problem}`,
    {
      issues: [{ path: JSON.stringify(entry), message: problem }],
      hint: "The server sent a listing no artifact store produces; check the server (or a proxy in front of it)",
    },
  );
}

/** Checks that `name` (from listing entry `entry`) is one safe path segment: a direct child. */
function childName(name: string, entry: string, dir: string): string {
  assertSafeArtifactPath(name, "artifact listing entry");
  if (name.includes("/")) throw refused(entry, dir, "is not a direct child of the listed directory");
  return name;
}

/**
 * Builds a listing entry, refusing a name listed twice (as two files, or as a file and a
 * directory) and a size that is not a whole number of bytes from 0 to 2^53 - 1.
 */
function entryOf(
  f: z.infer<typeof fileInfoSchema>,
  rel: string,
  name: string,
  dir: string,
  seen: Map<string, boolean>,
): ArtifactFileInfo {
  const isDir = f.is_dir ?? false;
  const before = seen.get(name);
  if (before !== undefined) {
    const what =
      before === isDir
        ? `is listed twice as a ${isDir ? "directory" : "file"}`
        : "is listed as a file and as a directory";
    throw refused(f.path, dir, what);
  }
  seen.set(name, isDir);
  return { path: joinArtifactPath(rel, name), isDir, fileSize: isDir ? undefined : listedSize(f, dir) };
}

function listedSize(f: z.infer<typeof fileInfoSchema>, dir: string): number | undefined {
  const raw = f.file_size;
  if (raw === undefined) return undefined;
  const size = typeof raw === "number" ? raw : /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_LISTED_SIZE) {
    throw refused(
      f.path,
      dir,
      `has file_size ${JSON.stringify(raw)}, which is not a byte count (a whole number from 0 to ${MAX_LISTED_SIZE})`,
    );
  }
  return size;
}

/**
 * Lists everything below `loc`, depth first, as an async iterator of files and directories (paths
 * relative to `loc`). With `recursive: false` only the direct children. Every entry is checked as
 * in `listDirectory`; depth and entry count are bounded (ValidationError past the limits).
 */
export async function* listArtifacts(
  http: HttpClient,
  loc: ArtifactLocation,
  options: { recursive?: boolean; signal?: AbortSignal; limits?: Partial<ListLimits> } = {},
): AsyncGenerator<ArtifactFileInfo> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const recursive = options.recursive ?? true;
  const stack: Array<{ rel: string; depth: number }> = [{ rel: "", depth: 0 }];
  let count = 0;
  while (stack.length > 0) {
    const { rel, depth } = stack.pop() as { rel: string; depth: number };
    const entries = await listDirectory(http, loc, rel, options.signal, limits);
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
