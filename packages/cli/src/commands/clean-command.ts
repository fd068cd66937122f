import { join } from "node:path";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { LOCAL_TARGET_DIR } from "../config/local-target.js";
import { LocalDeployTarget } from "../local-target/local-target.js";
import { cleanModeltrailHome, modeltrailHome } from "../state/modeltrail-home.js";

interface CleanOptions {
  dir?: string;
}

/** `modeltrail clean`: removes modeltrail's local directory. */
export function cleanCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "clean",
    "Remove everything modeltrail keeps on this machine (OCI layouts, local deploy revisions, demo files): the directory MODELTRAIL_HOME, default ./.modeltrail, after stopping the local target's serving processes. Only a directory modeltrail made is removed.",
    ["modeltrail clean", "MODELTRAIL_HOME=/tmp/mt modeltrail clean --json"],
  ).option("--dir <dir>", "the directory to remove (default: MODELTRAIL_HOME, else ./.modeltrail)");
  return app.handle<CleanOptions>(cmd, async (run) => {
    const dir = run.opts.dir ?? modeltrailHome(run.io.env, run.io.cwd);
    // the local target's processes first: removing their files would leave them running
    const stopped = await new LocalDeployTarget({ stateDir: join(dir, LOCAL_TARGET_DIR) }).stopAll();
    const result = await cleanModeltrailHome(dir, { cwd: run.io.cwd });
    return {
      data: { ...result, stopped },
      print: (out) =>
        out.print(
          result.removed
            ? `removed ${result.path} (${result.entries} entries)${stopped.length ? `; stopped local deployments ${stopped.join(", ")}` : ""}`
            : `nothing to remove at ${result.path}`,
        ),
    };
  });
}
