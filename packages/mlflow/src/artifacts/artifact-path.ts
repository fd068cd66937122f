import { lstat, mkdir } from "node:fs/promises";
import { isAbsolute, join, resolve, sep } from "node:path";
import { ValidationError } from "@modeltrail/core";

/**
 * Why an artifact path is unsafe, or undefined when it is a plain relative path. A safe path uses
 * `/` as separator, is not absolute (POSIX or Windows), has no `..` segment, no backslash, no NUL
 * or other control character, no empty or `.` segment, and is well-formed Unicode (no lone
 * surrogate, which no file name can hold).
 */
export function artifactPathProblem(path: string): string | undefined {
  if (path.length === 0) return "is empty";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(path)) return "contains a NUL or control character";
  if (hasLoneSurrogate(path)) return "is not well-formed Unicode (a lone surrogate)";
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
  if (problem !== undefined) throw unsafePath(path, subject, problem);
  return path;
}

/** True when `text` holds a UTF-16 surrogate without its pair (not encodable as UTF-8). */
function hasLoneSurrogate(text: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

function unsafePath(path: string, subject: string, problem: string): ValidationError {
  return new ValidationError(`Refusing unsafe ${subject} ${JSON.stringify(path)}`, {
    issues: [{ path: JSON.stringify(path), message: problem }],
    hint: "Artifact paths must be relative, use single '/' separators and stay inside the artifact root",
  });
}

/** An artifact path as read from user input: the path, or why it is refused. */
export type ArtifactPathReading = { ok: true; path: string } | { ok: false; problem: string };

/**
 * Reads an artifact path given by a user exactly as written: "" is the root and one trailing `/`
 * (a directory) is accepted; anything else `artifactPathProblem` objects to (a leading `/`, `//`,
 * `.` or `..` segments, control characters) is refused, never repaired.
 */
export function readArtifactPath(path: string): ArtifactPathReading {
  if (path === "") return { ok: true, path: "" };
  const body = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const problem = artifactPathProblem(body);
  return problem === undefined ? { ok: true, path: body } : { ok: false, problem };
}

/**
 * Reads the path part of an artifact URI (without its leading `/`): each segment's percent-escapes
 * are decoded, an invalid escape or an encoded `/` (`%2F`, which would change the segments) is
 * refused, then the decoded path is read as `readArtifactPath` does.
 */
export function readUriArtifactPath(raw: string): ArtifactPathReading {
  const decoded: string[] = [];
  for (const segment of raw.split("/")) {
    let value: string;
    try {
      value = decodeURIComponent(segment);
    } catch {
      return { ok: false, problem: `has an invalid percent-escape in ${JSON.stringify(segment)}` };
    }
    if (value.includes("/")) return { ok: false, problem: "contains an encoded '/' (%2F) in a segment" };
    decoded.push(value);
  }
  return readArtifactPath(decoded.join("/"));
}

/**
 * Why the text of an artifact URI cannot be taken as written, or undefined. URL parsers drop tabs
 * and newlines and trim surrounding spaces and control characters, so such a URI would name
 * another artifact than the one written; a backslash is a separator on Windows only.
 */
export function uriTextProblem(uri: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(uri)) return "contains a control character (tab, newline, NUL, ...)";
  if (uri.trim() !== uri) return "has leading or trailing whitespace";
  if (uri.includes("\\")) return "contains a backslash";
  if (hasLoneSurrogate(uri)) return "is not well-formed Unicode (a lone surrogate)";
  return undefined;
}

/**
 * Checks a user-supplied artifact path as written (see `readArtifactPath`: an empty path or
 * `undefined` is the root, one trailing `/` is accepted) and returns it without the trailing `/`.
 * Throws ValidationError for a leading `/`, `//`, `.` or `..` segments, backslashes, control
 * characters: such a path is refused, not repaired.
 */
export function parseArtifactPathArg(path: string | undefined, subject = "artifact path"): string {
  if (path === undefined) return "";
  const reading = readArtifactPath(path);
  if (!reading.ok) throw unsafePath(path, subject, reading.problem);
  return reading.path;
}

/**
 * Percent-encodes each segment of an artifact path for use in an artifact URI, so that a URI
 * built from a path reads back as the same path (`%`, `?`, `#`, spaces and non-ASCII are encoded;
 * the RFC 3986 path characters are kept).
 */
export function encodeArtifactPathForUri(path: string): string {
  return path
    .split("/")
    .map((s) => s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]+/g, (c) => encodeURIComponent(c)))
    .join("/");
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
