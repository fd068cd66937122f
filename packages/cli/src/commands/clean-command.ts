import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { cleanModeltrailHome, modeltrailHome } from "../state/modeltrail-home.js";

interface CleanOptions {
  dir?: string;
}

/** `modeltrail clean`: removes modeltrail's local directory. */
export function cleanCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "clean",
    "Remove everything modeltrail keeps on this machine (OCI layouts, local deploy revisions, demo files): the directory MODELTRAIL_HOME, default ./.modeltrail. Only a directory modeltrail made is removed.",
    ["modeltrail clean", "MODELTRAIL_HOME=/tmp/mt modeltrail clean --json"],
  ).option("--dir <dir>", "the directory to remove (default: MODELTRAIL_HOME, else ./.modeltrail)");
  return app.handle<CleanOptions>(cmd, async (run) => {
    const dir = run.opts.dir ?? modeltrailHome(run.io.env, run.io.cwd);
    const result = await cleanModeltrailHome(dir, { cwd: run.io.cwd });
    return {
      data: result,
      print: (out) =>
        out.print(
          result.removed
            ? `removed ${result.path} (${result.entries} entries)`
            : `nothing to remove at ${result.path}`,
        ),
    };
  });
}
