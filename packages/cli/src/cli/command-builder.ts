import { Command, type CommanderError } from "commander";
import type { CliIo } from "./cli-io.js";

/** A commander error with the command it was raised for. */
export type CommandError = CommanderError & { commandPath?: string };

/**
 * Creates a command configured the way every `modeltrail` command is: errors are thrown, not
 * printed, and carry the command's path (for the "see --help" hint); help goes to the CLI's
 * streams; global options are listed in each command's help; an example is shown after the help.
 */
export function newCommand(
  io: CliIo,
  name: string,
  description: string,
  examples: readonly string[],
): Command {
  const cmd = new Command(name);
  cmd
    .description(description)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {},
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    })
    .configureHelp({ showGlobalOptions: true, sortOptions: false })
    .exitOverride((err: CommandError) => {
      err.commandPath = pathOf(cmd);
      throw err;
    })
    .allowExcessArguments(false);
  if (examples.length > 0) {
    cmd.addHelpText(
      "after",
      `\nExample${examples.length > 1 ? "s" : ""}:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`,
    );
  }
  return cmd;
}

/** The command path without the program name: `job run`. */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
