import type { ExitCode } from "./exit-codes.js";

/**
 * A command ran but what it did failed (a job run that ended FAILED, a verify with failing checks).
 * It carries the exit code and the result the command produced, so that `--json` still prints the
 * whole outcome. Internal to the CLI: `runCli` turns it into an exit code and never throws it.
 */
export class CommandFailedError extends Error {
  /** The exit code of the command (1, or 3 for a failing verify or a refused deploy). */
  readonly exitCode: ExitCode;
  /** The command's result, printed with `--json`. */
  readonly result: unknown;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode: ExitCode; result: unknown; hint?: string | undefined }) {
    super(message);
    this.name = "CommandFailedError";
    this.exitCode = options.exitCode;
    this.result = options.result;
    this.hint = options.hint;
  }
}
