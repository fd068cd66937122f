import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ConfigError, ValidationError } from "@modeltrail/core";
import { parse as parseYaml } from "yaml";

/** Largest input file (template, vars file) the CLI reads: 4 MiB. */
export const MAX_INPUT_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Reads a UTF-8 text file named on the command line, relative to `cwd`. Throws ConfigError when it
 * is missing, not a regular file, or larger than {@link MAX_INPUT_FILE_BYTES}.
 */
export async function readInputFile(cwd: string, path: string, what: string): Promise<string> {
  const full = resolve(cwd, path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(full);
  } catch {
    throw new ConfigError(`The ${what} ${path} does not exist`, { hint: "check the path" });
  }
  if (!info.isFile()) throw new ConfigError(`The ${what} ${path} is not a regular file`);
  if (info.size > MAX_INPUT_FILE_BYTES)
    throw new ConfigError(
      `The ${what} ${path} is ${info.size} bytes; at most ${MAX_INPUT_FILE_BYTES} are read`,
    );
  return readFile(full, "utf8");
}

/**
 * Reads a JSON or YAML file holding one object (`--vars-file`). Throws ConfigError when it cannot be
 * read, ValidationError when it is not an object.
 */
export async function readObjectFile(
  cwd: string,
  path: string,
  what: string,
): Promise<Record<string, unknown>> {
  const text = await readInputFile(cwd, path, what);
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new ValidationError(`The ${what} ${path} is not valid JSON or YAML`, {
      issues: [
        { path: basename(path), message: err instanceof Error ? err.message.split("\n")[0]! : String(err) },
      ],
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ValidationError(`The ${what} ${path} must hold an object of names and values`);
  return value as Record<string, unknown>;
}

/**
 * Writes a file so that it is either complete or untouched: the text goes to a temporary file next
 * to it, which is read back and compared (a full disk or a short write fails here, before the
 * target is touched), then renamed over the target. Returns the absolute path. Throws ConfigError
 * when the directory is missing or not writable, or the temporary file does not read back whole.
 */
export async function writeFileAtomic(cwd: string, path: string, text: string): Promise<string> {
  const full = resolve(cwd, path);
  const tmp = join(dirname(full), `.${basename(full)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, text, { flag: "wx", mode: 0o644 });
    const back = await readFile(tmp);
    if (!back.equals(Buffer.from(text, "utf8"))) {
      throw new ConfigError(`Cannot write ${path}: the temporary file did not read back as written`, {
        hint: "check the free space and the file system; the previous file is untouched",
      });
    }
    await rename(tmp, full);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`Cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      hint: "check that the directory exists and is writable",
    });
  }
  return full;
}
