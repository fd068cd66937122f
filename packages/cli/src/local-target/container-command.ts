import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, join, posix } from "node:path";
import { ValidationError } from "@modeltrail/core";
import type { ImageConfig } from "@modeltrail/registry";

/**
 * How the local deploy target stands in for a container runtime, and for the base image's
 * interpreter:
 * - `python`: the host interpreter that runs an image command named `python`, `python3` or
 *   `python3.N` (by name, or at any absolute path such as `/usr/local/bin/python3`). The image's
 *   base provides no interpreter here; this one (e.g. a virtualenv's `bin/python`, whose packages
 *   match the base's lock file) takes its place, and its directory goes first on `PATH`.
 * - `commands`: more image commands mapped to host executables, by exact name or path.
 */
export interface InterpreterMap {
  python?: string | undefined;
  commands?: Readonly<Record<string, string>> | undefined;
}

/** The host process that plays the container. */
export interface HostCommand {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

const PYTHON_NAME = /^python(3(\.\d+)?)?$/;

/** `KEY=VALUE` lines (an image config's `Env`) as a record; later lines win, as in a container. */
export function envRecord(lines: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines ?? []) {
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Maps an absolute image path into the unpacked tree when the image has it there; otherwise keeps
 * it (the host's `/usr/bin` stands in for the base image's).
 */
export function mapImagePath(rootfs: string, value: string): string {
  if (!value.startsWith("/") || value === "/") return value;
  const inside = join(rootfs, posix.normalize(value));
  return existsSync(inside) ? inside : value;
}

/**
 * Maps an env value: a single absolute path, or a `:`-separated list of absolute paths (`PATH`,
 * `PYTHONPATH`), each part mapped with {@link mapImagePath}. Anything else is left as it is.
 */
export function mapEnvValue(rootfs: string, value: string): string {
  if (!value.startsWith("/")) return value;
  const parts = value.split(":");
  if (!parts.every((p) => p.startsWith("/"))) return value;
  return parts.map((p) => mapImagePath(rootfs, p)).join(":");
}

/**
 * Turns an image config into the host command that plays its container, in `rootfs` (the unpacked
 * layers):
 * 1. the command line is `Entrypoint` + `Cmd` (`cmd` replaces `Cmd`, as `docker run IMAGE CMD...`);
 * 2. its first word is replaced by the interpreter the {@link InterpreterMap} gives for it; an
 *    absolute path the image has is taken from the unpacked tree; another name is looked up on the
 *    mapped `PATH`;
 * 3. every argument and env value that is an absolute path the image has (`/opt/app/main.py`,
 *    `MODEL_DIR=/opt/model`, the parts of `PATH`) points into the unpacked tree; other paths are
 *    left to the host;
 * 4. the working directory is `WorkingDir` in the unpacked tree (`/` when unset);
 * 5. the env is exactly the image's `Env`, then `env` (the trace and the target's own variables),
 *    with the interpreter's directory first on `PATH`: nothing is inherited from the caller.
 * @throws ValidationError when the image has no command, or its working directory is not in it.
 */
export function hostCommand(
  config: ImageConfig,
  rootfs: string,
  options: { cmd?: readonly string[] | undefined; env: Record<string, string>; interpreters: InterpreterMap },
): HostCommand {
  const c = config.config ?? {};
  const argv = [...(c.Entrypoint ?? []), ...(options.cmd ?? c.Cmd ?? [])];
  if (argv.length === 0 || !argv[0])
    throw new ValidationError("The image has no command to run (no Entrypoint or Cmd in its config)", {
      hint: "Build the image with cmd (buildModelImage's cmd option), or give the command to run",
    });
  const workingDir = c.WorkingDir || "/";
  const cwd = join(rootfs, posix.normalize(workingDir));
  if (!existsSync(cwd))
    throw new ValidationError(`The image's WorkingDir ${workingDir} is not in the image`, {
      hint: "Build the image with a WorkingDir its layers hold (e.g. the app's directory)",
    });

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...envRecord(c.Env), ...options.env }))
    env[k] = mapEnvValue(rootfs, v);

  const first = argv[0];
  let command = first;
  const mapped = options.interpreters.commands?.[first];
  const isPython = PYTHON_NAME.test(basename(first)) && options.interpreters.python !== undefined;
  if (mapped !== undefined) command = mapped;
  else if (isPython) command = options.interpreters.python as string;
  else if (isAbsolute(first)) command = mapImagePath(rootfs, first);
  const pathDirs = [
    isAbsolute(command) ? dirname(command) : undefined,
    env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
  ];
  env.PATH = pathDirs.filter((p): p is string => Boolean(p)).join(":");
  return {
    command,
    args: argv.slice(1).map((a) => (a.startsWith("/") ? mapImagePath(rootfs, a) : a)),
    cwd,
    env,
  };
}
