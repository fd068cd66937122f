import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built executable, as `npm install` links it: packages/cli/dist/bin.js. */
export const BUILT_BIN = fileURLToPath(new URL("../../dist/bin.js", import.meta.url));

/** What one run of the built CLI printed and how it ended. */
export interface BuiltRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: command output is arbitrary JSON, checked by the tests
  json(): any;
}

/**
 * Runs the built CLI as a user would: a separate Node process (`node dist/bin.js ARGS`, or an
 * executable such as the bin link when `command` is given), with the given env only (plus PATH and
 * HOME), stdin closed, bounded by a timeout.
 */
export function runBuilt(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    command?: string;
    timeoutMs?: number;
  } = {},
): Promise<BuiltRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }))
    if (v !== undefined) env[k] = v;
  const [cmd, argv] = options.command ? [options.command, args] : [process.execPath, [BUILT_BIN, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}
