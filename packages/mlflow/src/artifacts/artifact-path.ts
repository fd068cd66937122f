import { lstat, mkdir } from "node:fs/promises";
import { isAbsolute, join, resolve, sep } from "node:path";
import { ValidationError } from "@modeltrail/core";

/**
 * Why an artifact path is unsafe, or undefined when it is a plain relative path. A safe path uses
 * `/` as separator, is not absolute (POSIX or Windows), has no `..` segment, no backslash, no NUL
 * or other control character, and no empty or `.` segment.
 */
export function artifactPathProblem(path: string): string | undefined {
  if (path.length === 0) return "is empty";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(path)) return "contains a NUL or control character";
  if (path.includes("\\")) return "contains a backslash";
  if (path.startsWith("/")) return "is absolute";
  if (/^[A-Za-z]:/.test(path)) return "starts with a Windows drive letter";
  for (const segment of path.split("/")) {
    if (segment === "..") return "contains a '..' segment";
    if (segment === "." || segment === "") return "contains an empty or '.' segment";
  }
  return undefined;
}

/**
 * Checks that `path` is a safe relative artifact path (see `artifactPathProblem`) and returns it.
 * Throws ValidationError naming `subject` (e.g. "artifact listing entry") otherwise.
 */
export function assertSafeArtifactPath(path: string, subject: string): string {
  const problem = artifactPathProblem(path);
  if (problem !== undefined) {
    throw new ValidationError(`Refusing unsafe ${subject} ${JSON.stringify(path)}`, {
      issues: [{ path: JSON.stringify(path), message: problem }],
      hint: "Artifact paths must be relative, use '/' separators and stay inside the artifact root",
    });
  }
  return path;
}

/**
 * Normalises a user-supplied artifact path: trims surrounding slashes, collapses repeated slashes,
 * and checks it (an empty result means the root). Throws ValidationError for `..`, NUL, backslashes
 * and the like.
 */
export function normalizeArtifactPath(path: string | undefined, subject = "artifact path"): string {
  if (path === undefined) return "";
  const trimmed = path.replace(/\/{2,}/g, "/").replace(/^\/+|\/+$/g, "");
  if (trimmed === "" || trimmed === ".") return "";
  return assertSafeArtifactPath(trimmed, subject);
}

/** Joins artifact path parts with `/`, skipping empty parts. */
export function joinArtifactPath(...parts: ReadonlyArray<string | undefined>): string {
  return parts.filter((p): p is string => p !== undefined && p !== "").join("/");
}

/** The last segment of an artifact path. */
export function artifactBaseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? path : path.slice(i + 1);
}

/** The directory part of an artifact path ("" for a top-level entry). */
export function artifactDirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i === -1 ? "" : path.slice(0, i);
}

/**
 * Resolves a safe relative artifact path inside the local directory `root` and checks that the
 * result stays inside it. Throws ValidationError when it would escape.
 */
export function localPathInside(root: string, artifactPath: string): string {
  assertSafeArtifactPath(artifactPath, "artifact path");
  const absRoot = isAbsolute(root) ? root : resolve(root);
  // The segments are checked (no "..", ".", empty, backslash, drive or NUL): joining them is exact.
  const target = `${absRoot.endsWith(sep) ? absRoot.slice(0, -1) : absRoot}${sep}${artifactPath.split("/").join(sep)}`;
  if (target !== resolve(target) || !target.startsWith(absRoot.endsWith(sep) ? absRoot : absRoot + sep)) {
    throw new ValidationError(`Refusing artifact path ${JSON.stringify(artifactPath)}`, {
      issues: [{ path: JSON.stringify(artifactPath), message: `resolves outside ${absRoot}` }],
    });
  }
  return target;
}

/**
 * Creates the directory `relDir` (an artifact path, "" for the root) below `root`, one segment at
 * a time, refusing to pass through a symbolic link or a non-directory (checked with lstat, so a
 * link planted in the destination is never followed). `verified` caches directories already
 * checked. Throws ValidationError for a symlink or a file in the way.
 */
export async function ensureSafeDirectory(
  root: string,
  relDir: string,
  verified: Set<string> = new Set(),
): Promise<string> {
  let current = resolve(root);
  if (relDir === "") return current;
  const segments = relDir.split("/");
  for (let i = 0; i < segments.length; i++) {
    current = join(current, segments[i] as string);
    const key = segments.slice(0, i + 1).join("/");
    if (verified.has(key)) continue;
    let st = await lstat(current).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (st === undefined) {
      await mkdir(current).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
      st = await lstat(current);
    }
    if (st.isSymbolicLink()) {
      throw new ValidationError(`Refusing to write through the symbolic link ${current}`, {
        issues: [{ path: key, message: "is a symbolic link in the destination directory" }],
        hint: "Remove the link or choose another destination directory",
      });
    }
    if (!st.isDirectory()) {
      throw new ValidationError(`Cannot create directory ${current}: a file is in the way`, {
        issues: [{ path: key, message: "exists and is not a directory" }],
      });
    }
    verified.add(key);
  }
  return current;
}
