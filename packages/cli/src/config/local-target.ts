import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { RegistryClient } from "@modeltrail/registry";
import type { RunContext } from "../cli/cli-app.js";
import { UsageError } from "../cli/usage-error.js";
import { LocalDeployTarget } from "../local-target/local-target.js";
import { ensureModeltrailHome, modeltrailHome } from "../state/modeltrail-home.js";

/** The local target's directory under modeltrail's home (`modeltrail clean` removes it). */
export const LOCAL_TARGET_DIR = "local-target";

/** `--state-dir`, else `$MODELTRAIL_HOME/local-target` (default `./.modeltrail/local-target`). */
export function localStateDir(
  opts: { stateDir?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  return opts.stateDir ? resolve(cwd, opts.stateDir) : join(modeltrailHome(env, cwd), LOCAL_TARGET_DIR);
}

/**
 * The interpreter for the image's `python`: `--python`, else `MODELTRAIL_PYTHON`, else (with
 * `fromPath`) `python3` on `PATH`; absolute. Throws UsageError when the one given is not an
 * executable file.
 */
export function localPython(
  opts: { python?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  fromPath = true,
): string | undefined {
  const given = opts.python ?? env.MODELTRAIL_PYTHON?.trim();
  if (given) {
    const path = resolve(cwd, given);
    if (!executable(path))
      throw new UsageError(`${path} is not an executable interpreter`, {
        hint: "give --python (or MODELTRAIL_PYTHON) the path of a Python, e.g. a virtualenv's bin/python",
      });
    return path;
  }
  if (!fromPath) return undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, "python3");
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The local deploy target the options name. A deploy (`forDeploy`) falls back to `python3` on
 * `PATH`; a rollback restarts a revision with the interpreter it was deployed with unless
 * `--python` or `MODELTRAIL_PYTHON` says otherwise. A deploy to the default state directory makes
 * modeltrail's home first (with the marker `modeltrail clean` looks for). Throws ConfigError when
 * that directory holds files modeltrail did not put there.
 */
export async function localTarget(
  run: RunContext<{ stateDir?: string | undefined; python?: string | undefined }>,
  registry?: RegistryClient,
  forDeploy = false,
): Promise<LocalDeployTarget> {
  const python = localPython(run.opts, run.io.env, run.io.cwd, forDeploy);
  // under modeltrail's home (made with its marker, so that `modeltrail clean` removes it)
  if (!run.opts.stateDir && forDeploy) await ensureModeltrailHome(modeltrailHome(run.io.env, run.io.cwd));
  return new LocalDeployTarget({
    stateDir: localStateDir(run.opts, run.io.env, run.io.cwd),
    ...(python ? { interpreters: { python } } : {}),
    ...(registry ? { registry } : {}),
  });
}
