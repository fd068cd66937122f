import { ConfigError } from "./config-error.js";
import { ModelTrailError } from "./model-trail-error.js";
import { ValidationError } from "./validation-error.js";

/** What a failed file-system call says about the path it was given. */
const PATH_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: "does not exist",
  ENOTDIR: "has a part that is not a directory",
  EISDIR: "is a directory, where a file was expected",
  EEXIST: "already exists",
  ELOOP: "has too many levels of symbolic links",
  ENAMETOOLONG: "is too long a name",
};

/** What a failed file-system call says about the machine: permissions, space, limits. */
const ENVIRONMENT_PROBLEMS: Readonly<Record<string, string>> = {
  EACCES: "is not accessible (permission denied)",
  EPERM: "is not accessible (operation not permitted)",
  EROFS: "is on a read-only file system",
  ENOSPC: "cannot be written: no space left on the device",
  EDQUOT: "cannot be written: disk quota exceeded",
  EMFILE: "cannot be opened: too many open files in this process",
  ENFILE: "cannot be opened: too many open files on this machine",
  EIO: "cannot be read or written: input/output error",
};

/**
 * The modeltrail error for a failed file-system call (a Node.js error with an errno `code`) on a
 * path the caller gave: ValidationError when the path itself is wrong (missing, not a directory, a
 * directory, already there), ConfigError when the machine is (permissions, read-only, no space, too
 * many open files, I/O error, any other errno). `what` says what the path was for, e.g. "The
 * directory to upload"; the error's own path is named when it has one. The original error is the
 * cause. Anything else (a modeltrail error, a non-errno error) is returned as it is. Never throws.
 */
export function fileSystemErrorFor(err: unknown, what: string, path?: string): unknown {
  if (err instanceof ModelTrailError || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) return err;
  const failedPath = (err as NodeJS.ErrnoException).path ?? path;
  const where = failedPath === undefined ? what : `${what} ${failedPath}`;
  const pathProblem = PATH_PROBLEMS[code];
  if (pathProblem !== undefined) {
    return new ValidationError(`${where} ${pathProblem} (${code})`, {
      cause: err,
      hint: "Check the path you passed",
    });
  }
  const problem = ENVIRONMENT_PROBLEMS[code] ?? `cannot be used (${err.message})`;
  return new ConfigError(`${where} ${problem}${ENVIRONMENT_PROBLEMS[code] ? ` (${code})` : ""}`, {
    cause: err,
    hint: "Check the file's permissions and the device it is on",
  });
}
