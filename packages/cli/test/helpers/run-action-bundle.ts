import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The committed action bundle, as GitHub runs it (`runs.using: node24`, `main:`). */
export const ACTION_BUNDLE = fileURLToPath(new URL("../../../../action/dist/index.mjs", import.meta.url));

/** One run of the action and everything it left behind. */
export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** `$GITHUB_OUTPUT`, parsed (`name=value` and `name<<DELIMITER` blocks). */
  outputs: Record<string, string>;
  /** The raw `$GITHUB_OUTPUT` file. */
  outputFile: string;
  /** `$GITHUB_STEP_SUMMARY`. */
  summary: string;
  /** What is left in `$RUNNER_TEMP` after the step. */
  runnerTemp: string[];
}

/**
 * Parses a `$GITHUB_OUTPUT` file as the runner does: `name=value` lines, and `name<<DELIMITER`
 * blocks whose value is every line up to the DELIMITER line. Throws on an unterminated block.
 */
export function parseGithubOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated output ${name}`);
      out[name!] = value.join("\n");
    } else {
      const eq = line.indexOf("=");
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

/**
 * Runs the action's bundle as the GitHub runner does: `node action/dist/index.mjs` with the inputs
 * as `INPUT_<NAME>` (upper-cased, dashes kept), empty `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`
 * files, `RUNNER_TEMP`, `GITHUB_WORKSPACE` and the GitHub context variables given in `env`, stdin
 * closed, and nothing else from this process's environment but PATH and HOME.
 */
export async function runActionBundle(
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; workspace?: string; timeoutMs?: number } = {},
): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), "modeltrail-action-run-"));
  const outputFile = join(dir, "github_output");
  const summaryFile = join(dir, "step_summary");
  const runnerTemp = join(dir, "runner_temp");
  await writeFile(outputFile, "");
  await writeFile(summaryFile, "");
  await mkdir(runnerTemp);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    GITHUB_ACTIONS: "true",
    CI: "true",
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: options.workspace ?? dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [ACTION_BUNDLE], {
        env,
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let so = "";
      let se = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (so += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (se += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on("close", (c) => {
        clearTimeout(timer);
        resolve({ code: c, stdout: so, stderr: se });
      });
    },
  );
  const raw = await readFile(outputFile, "utf8");
  return {
    code,
    stdout,
    stderr,
    outputs: parseGithubOutput(raw),
    outputFile: raw,
    summary: await readFile(summaryFile, "utf8"),
    runnerTemp: await readdir(runnerTemp),
  };
}
