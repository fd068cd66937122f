import type { DebugLogger } from "@modeltrail/core";
import type { Command } from "commander";
import type { CliIo } from "./cli-io.js";
import { CommandFailedError } from "./command-failed-error.js";
import { debugStack, describeError, type ErrorReport } from "./error-report.js";
import { EXIT_CODES, type ExitCode } from "./exit-codes.js";
import { Output } from "./output.js";

/** What a command returns: its JSON result, and how to print it for people. */
export interface CommandResult {
  /** The result printed with `--json` (and given to the GitHub Action). */
  data: unknown;
  /** Prints the result for people (human mode). Default: the JSON, indented. */
  print?: ((out: Output) => void) | undefined;
}

/** Everything a command handler gets. */
export interface RunContext<O = Record<string, unknown>> {
  io: CliIo;
  out: Output;
  /** The command's options merged with the global ones (`json`, `debug`). */
  opts: O & { json?: boolean; debug?: boolean };
  /** The positional arguments, in order. */
  args: string[];
  /** Aborts on Ctrl-C. */
  signal: AbortSignal;
  /** Receives the libraries' redacted HTTP debug events with `--debug`. */
  logger: DebugLogger | undefined;
  /** The command path, e.g. `job run`. */
  command: string;
}

/** How one invocation ended. */
export interface CliOutcome {
  exitCode: ExitCode;
  /** The command's JSON result, when it produced one (also on a failed verify or run). */
  data?: unknown;
  /** The error, as shown. */
  error?: ErrorReport | undefined;
  /** The command that ran (`job run`), when one was reached. */
  command?: string | undefined;
}

/** The state of one invocation: the IO and the outcome the handlers record. */
export class CliApp {
  readonly io: CliIo;
  outcome: CliOutcome = { exitCode: EXIT_CODES.ok };
  private readonly abort = new AbortController();

  constructor(io: CliIo) {
    this.io = io;
    io.signal?.addEventListener("abort", () => this.abort.abort(io.signal?.reason), { once: true });
    if (io.signal?.aborted) this.abort.abort(io.signal.reason);
  }

  /**
   * Attaches a handler to a command: it gets a {@link RunContext}, returns a {@link CommandResult},
   * and the result or the error is printed here. Handlers never print errors themselves.
   */
  handle<O>(cmd: Command, handler: (run: RunContext<O>) => Promise<CommandResult>): Command {
    return cmd.action(async (...params: unknown[]) => {
      const command = params[params.length - 1] as Command;
      const opts = command.optsWithGlobals() as O & { json?: boolean; debug?: boolean };
      const out = new Output(this.io, { json: opts.json === true, debug: opts.debug === true });
      const path = commandPath(command);
      this.outcome.command = path;
      const logger: DebugLogger | undefined = out.debug
        ? (event) => out.debugLine(JSON.stringify(event))
        : undefined;
      const run: RunContext<O> = {
        io: this.io,
        out,
        opts,
        args: command.args.slice(0, command.registeredArguments.length),
        signal: this.abort.signal,
        logger,
        command: path,
      };
      try {
        const result = await handler(run);
        out.stopProgress();
        this.outcome.data = result.data;
        if (out.json) out.printJson(result.data);
        else if (result.print) result.print(out);
        else out.print(JSON.stringify(result.data, null, 2));
      } catch (err) {
        out.stopProgress();
        this.fail(err, out, path);
      }
    });
  }

  /** Records and prints an error: one line and a hint on stderr (the stack with `--debug`). */
  fail(err: unknown, out: Output, command?: string): void {
    const report = describeError(err, command);
    this.outcome = { exitCode: report.exitCode, error: report, command };
    if (err instanceof CommandFailedError) {
      this.outcome.data = err.result;
      if (out.json) out.printJson(err.result);
    } else if (out.json) {
      out.printJson({
        error: { code: report.code, name: report.name, message: report.message, hint: report.hint },
      });
    }
    out.write("stderr", `modeltrail${command ? ` ${command}` : ""}: error: ${report.message}\n`);
    out.write("stderr", `hint: ${report.hint}\n`);
    if (out.debug) out.write("stderr", `${debugStack(err)}\n`);
  }
}

/** `job run` for the `run` subcommand of `job`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
