import { ValidationError } from "@modeltrail/core";
import { z } from "zod";
import { assertSafeArtifactPath, joinArtifactPath } from "./artifact-path.js";
import type { ArtifactFileInfo } from "./types.js";

/**
 * One entry of an artifact listing as a server sends it (MLflow's FileInfo). The size may come as a
 * JSON number or a decimal string (protobuf int64); it is checked by `DirectoryListingCheck`.
 */
export const listedEntrySchema = z.object({
  path: z.string(),
  is_dir: z.boolean().optional(),
  file_size: z.union([z.number(), z.string()]).optional(),
});

/** A listing entry as parsed by `listedEntrySchema` (extra fields allowed). */
export type ListedEntry = z.infer<typeof listedEntrySchema>;

/** The largest size accepted from a listing: 2^53 - 1 bytes (8 PiB), the largest exact JavaScript integer. */
export const MAX_LISTED_SIZE = Number.MAX_SAFE_INTEGER;

/**
 * Checks the entries of one directory listing (all of its pages) as they arrive, so that a listing
 * no artifact store produces is refused before anything is written: every entry must be a safe
 * path and a direct child of the listed directory, no name may be listed twice (as two files, or as
 * a file and a directory: the raw EISDIR or a file counted twice otherwise), and a size must be a
 * whole number of bytes from 0 to 2^53 - 1 (a claim of 1e18 bytes is refused here). Nothing is
 * repaired. Every refusal is a ValidationError naming the directory, the entry and the problem.
 */
export class DirectoryListingCheck {
  private readonly seen = new Map<string, boolean>();

  /** `dir`: the listed directory, "" for the root, as the server's paths are relative to. */
  constructor(readonly dir: string) {}

  /**
   * The name inside the listed directory of `path`, a full path (relative to the same root as
   * `dir`, as the tracking API answers). Throws ValidationError when it is unsafe or not inside.
   */
  nameOf(path: string): string {
    assertSafeArtifactPath(path, "artifact listing entry");
    if (this.dir === "") return path;
    if (!path.startsWith(`${this.dir}/`)) {
      throw this.refused(path, `is not inside the listed directory "${this.dir}"`);
    }
    return path.slice(this.dir.length + 1);
  }

  /**
   * Checks entry `f` whose name inside the listed directory is `name`, and returns it as an
   * ArtifactFileInfo whose path is `rel` (where the caller's paths start) joined with `name`.
   * Throws ValidationError as described on the class.
   */
  entry(f: ListedEntry, name: string, rel: string): ArtifactFileInfo {
    assertSafeArtifactPath(name, "artifact listing entry");
    if (name.includes("/")) throw this.refused(f.path, "is not a direct child of the listed directory");
    const isDir = f.is_dir ?? false;
    const before = this.seen.get(name);
    if (before !== undefined) {
      throw this.refused(
        f.path,
        before === isDir
          ? `is listed twice as a ${isDir ? "directory" : "file"}`
          : "is listed as a file and as a directory",
      );
    }
    this.seen.set(name, isDir);
    return { path: joinArtifactPath(rel, name), isDir, fileSize: isDir ? undefined : this.size(f) };
  }

  private size(f: ListedEntry): number | undefined {
    const problem = listedSizeProblem(f.file_size);
    if (problem !== undefined) throw this.refused(f.path, problem);
    return f.file_size === undefined ? undefined : Number(f.file_size);
  }

  private refused(entry: string, problem: string): ValidationError {
    return refusedListing(this.dir === "" ? "the artifact root" : `"${this.dir}"`, entry, problem);
  }
}

/**
 * Why a listed size is not a byte count (a whole number from 0 to 2^53 - 1, as a JSON number or a
 * decimal string), or undefined when it is one or absent.
 */
export function listedSizeProblem(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  const size =
    typeof raw === "number"
      ? raw
      : typeof raw === "string" && /^\d{1,16}$/.test(raw)
        ? Number(raw)
        : Number.NaN;
  if (Number.isSafeInteger(size) && size >= 0 && size <= MAX_LISTED_SIZE) return undefined;
  return `has file_size ${JSON.stringify(raw)}, which is not a byte count (a whole number from 0 to ${MAX_LISTED_SIZE})`;
}

/**
 * Checks a flat listing of files (an object store's keys, as paths relative to the listed
 * location) the way `DirectoryListingCheck` checks a directory listing: every path safe, no path
 * twice, no path that is also the directory of another one (`a` and `a/b` cannot both be written),
 * every size a byte count. Throws ValidationError naming `where` (e.g. "model version m/1").
 */
export function checkFlatListing(
  entries: ReadonlyArray<{ path: string; fileSize: unknown }>,
  where: string,
): void {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const e of entries) {
    assertSafeArtifactPath(e.path, "artifact listing entry");
    const sizeProblem = listedSizeProblem(e.fileSize);
    if (sizeProblem !== undefined) throw refusedListing(where, e.path, sizeProblem);
    if (files.has(e.path)) throw refusedListing(where, e.path, "is listed twice as a file");
    files.add(e.path);
    for (let i = e.path.indexOf("/"); i !== -1; i = e.path.indexOf("/", i + 1)) dirs.add(e.path.slice(0, i));
  }
  for (const d of dirs) {
    if (files.has(d)) throw refusedListing(where, d, "is listed as a file and as a directory");
  }
}

function refusedListing(where: string, entry: string, problem: string): ValidationError {
  return new ValidationError(
    `Refusing the artifact listing of ${where}: entry ${JSON.stringify(entry)} ${problem}`,
    {
      issues: [{ path: JSON.stringify(entry), message: problem }],
      hint: "The server sent a listing no artifact store produces; check the server (or a proxy in front of it)",
    },
  );
}
