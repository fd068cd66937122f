import { lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, parse, relative, resolve } from "node:path";
import { ConfigError } from "@modeltrail/core";

/** The variable naming the directory everything local lives in (images, deploy revisions, demo files). */
export const MODELTRAIL_HOME_ENV = "MODELTRAIL_HOME";

/** The default directory, relative to the working directory. */
export const DEFAULT_MODELTRAIL_HOME = ".modeltrail";

/** The marker file that says a directory was made by modeltrail, so `clean` may remove it. */
export const MODELTRAIL_HOME_MARKER = ".modeltrail-home";

/**
 * The directory that holds everything modeltrail keeps on this machine (OCI layouts, the local
 * deploy target's revisions and processes, the demo's files): `MODELTRAIL_HOME`, else
 * `./.modeltrail` under `cwd`. Absolute.
 */
export function modeltrailHome(
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): string {
  const configured = env[MODELTRAIL_HOME_ENV]?.trim();
  return resolve(cwd, configured || DEFAULT_MODELTRAIL_HOME);
}

/**
 * Creates the directory (and its marker file) when missing and returns it. Throws ConfigError when
 * it exists but is not a directory, or holds files and no marker (it was not made by modeltrail,
 * and `clean` would refuse it).
 */
export async function ensureModeltrailHome(dir: string): Promise<string> {
  const full = resolve(dir);
  await assertRemovablePlace(full);
  await mkdir(full, { recursive: true });
  const entries = await readdir(full);
  if (entries.length > 0 && !entries.includes(MODELTRAIL_HOME_MARKER))
    throw new ConfigError(`${full} already holds files that modeltrail did not put there`, {
      sources: [MODELTRAIL_HOME_ENV],
      hint: `point ${MODELTRAIL_HOME_ENV} at an empty or new directory`,
    });
  if (!entries.includes(MODELTRAIL_HOME_MARKER))
    await writeFile(
      join(full, MODELTRAIL_HOME_MARKER),
      "This directory holds modeltrail's local state; `modeltrail clean` removes it.\n",
    );
  return full;
}

/** What {@link cleanModeltrailHome} did. */
export interface CleanResult {
  path: string;
  /** False when there was nothing to remove. */
  removed: boolean;
  /** Files and directories removed (counted before removal). */
  entries: number;
}

/**
 * Removes the modeltrail directory and everything in it. Refuses (ConfigError) a directory without
 * modeltrail's marker file unless it is empty, the file-system root, the home directory, and the
 * working directory or any directory above it, so a mistyped `MODELTRAIL_HOME` cannot delete
 * anything else.
 */
export async function cleanModeltrailHome(dir: string, options: { cwd?: string } = {}): Promise<CleanResult> {
  const full = resolve(dir);
  await assertRemovablePlace(full, options.cwd);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(full);
  } catch {
    return { path: full, removed: false, entries: 0 };
  }
  if (info.isSymbolicLink() || !info.isDirectory())
    throw new ConfigError(`${full} is not a directory; modeltrail clean removes only its own directory`, {
      sources: [MODELTRAIL_HOME_ENV],
    });
  const top = await readdir(full);
  if (top.length > 0 && !top.includes(MODELTRAIL_HOME_MARKER))
    throw new ConfigError(
      `${full} has no ${MODELTRAIL_HOME_MARKER} marker: modeltrail did not make it, so it is left alone`,
      {
        hint: "remove it yourself if it is really yours to delete",
      },
    );
  if (top.includes(MODELTRAIL_HOME_MARKER)) {
    const marker = await lstat(join(full, MODELTRAIL_HOME_MARKER));
    if (!marker.isFile())
      throw new ConfigError(`${join(full, MODELTRAIL_HOME_MARKER)} is not a regular file`);
    await readFile(join(full, MODELTRAIL_HOME_MARKER), "utf8");
  }
  const entries = await countEntries(full);
  await rm(full, { recursive: true, force: true });
  return { path: full, removed: true, entries };
}

async function assertRemovablePlace(full: string, cwd = process.cwd()): Promise<void> {
  const refuse = (why: string) =>
    new ConfigError(`Refusing to use ${full} as modeltrail's directory: ${why}`, {
      sources: [MODELTRAIL_HOME_ENV],
      hint: `point ${MODELTRAIL_HOME_ENV} at a directory of its own, such as ./.modeltrail`,
    });
  if (full === parse(full).root) throw refuse("it is the file-system root");
  if (full === resolve(homedir())) throw refuse("it is the home directory");
  const up = relative(full, resolve(cwd));
  if (up === "" || (!up.startsWith("..") && !parse(up).root)) throw refuse("it holds the working directory");
}

async function countEntries(dir: string): Promise<number> {
  let n = 0;
  const stack = [dir];
  while (stack.length > 0 && n < 1_000_000) {
    const d = stack.pop()!;
    for (const e of await readdir(d, { withFileTypes: true })) {
      n++;
      if (e.isDirectory()) stack.push(join(d, e.name));
    }
  }
  return n;
}
