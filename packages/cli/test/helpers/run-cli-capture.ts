import type { CliOutcome } from "../../src/index.js";
import { runCli } from "../../src/index.js";

/** What one in-process run printed and how it ended. */
export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  outcome: CliOutcome;
  /** stdout parsed as JSON (throws when it is not one JSON document). */
  // biome-ignore lint/suspicious/noExplicitAny: command output is arbitrary JSON, checked by the tests
  json(): any;
}

/**
 * Runs the CLI in this process from the sources (fast: for the unit tier), with captured streams,
 * a given env (nothing of the real process's leaks in unless passed) and working directory.
 */
export async function runCaptured(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; tty?: boolean } = {},
): Promise<Captured> {
  let stdout = "";
  let stderr = "";
  const outcome = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false },
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    cwd: options.cwd ?? process.cwd(),
  });
  return { code: outcome.exitCode, stdout, stderr, outcome, json: () => JSON.parse(stdout) };
}
