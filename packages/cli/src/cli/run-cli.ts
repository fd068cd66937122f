import { CommanderError } from "commander";
import { CliApp, type CliOutcome } from "./cli-app.js";
import type { CliIo } from "./cli-io.js";
import type { CommandError } from "./command-builder.js";
import { EXIT_CODES } from "./exit-codes.js";
import { Output } from "./output.js";
import { buildProgram, COMMANDS } from "./program.js";
import { registerSecretEnv } from "./secret-env.js";

/**
 * Runs the `modeltrail` command line in this process: `runCli(["job", "run", "123", "--wait"])`.
 * Output goes to `io.stdout`/`io.stderr` (default: the process's), configuration comes from
 * `io.env` (default `process.env`). Never throws and never exits: the outcome carries the exit code
 * (see `EXIT_CODES`), the command's JSON result and the error as shown. The values of secret-looking
 * environment variables are registered for redaction first, so no output can print them.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<CliOutcome> {
  const full: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    signal: io.signal,
  };
  registerSecretEnv(full.env);
  const app = new CliApp(full);
  const program = buildProgram(app, COMMANDS);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return { exitCode: 0 };
      // `modeltrail` or `modeltrail job` alone: the help was printed on stderr
      if (err.code === "commander.help" || err.code === "commander.executeSubCommandAsync")
        return { exitCode: EXIT_CODES.usage, command: (err as CommandError).commandPath };
    }
    const out = new Output(full, { json: argv.includes("--json"), debug: argv.includes("--debug") });
    app.fail(err, out, (err as CommandError).commandPath || undefined);
  }
  return app.outcome;
}
