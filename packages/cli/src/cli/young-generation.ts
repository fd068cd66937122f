import { spawn } from "node:child_process";
import { constants } from "node:os";

/**
 * The V8 flag that keeps a long download's memory near its floor: with a 1 MiB semi-space the
 * young generation is collected more often, and a 1 GiB streamed download peaks near 106 MiB RSS
 * instead of 153 MiB (bench/results/node-floor.md). A CLI may set it for its own process; a library
 * may not, so the CLI re-runs itself with it for the commands that move large files.
 */
export const SMALL_YOUNG_GENERATION_FLAG = "--max-semi-space-size=1";

/** Set in the child so that it never spawns again. */
export const RESPAWNED_ENV = "MODELTRAIL_CLI_RESPAWNED";

/** Commands that move model files or image layers (`image build` downloads and pushes). */
const LONG_TRANSFER_COMMANDS = [["image", "build"]];

/** Options that take no value and may come before the command. */
const GLOBAL_FLAGS = new Set(["--json", "--debug"]);

/** True when `argv` runs a command that moves large files (global flags before it are skipped). */
export function isLongTransfer(argv: readonly string[]): boolean {
  const words = argv.filter((a) => !GLOBAL_FLAGS.has(a));
  if (words.includes("--help") || words.includes("-h")) return false;
  return LONG_TRANSFER_COMMANDS.some((cmd) => cmd.every((w, i) => words[i] === w));
}

/** True when this process already runs with a semi-space size chosen by the user or by a respawn. */
function hasSemiSpaceFlag(env: NodeJS.ProcessEnv): boolean {
  return (
    process.execArgv.some((a) => a.startsWith("--max-semi-space-size")) ||
    (env.NODE_OPTIONS ?? "").includes("--max-semi-space-size") ||
    env[RESPAWNED_ENV] === "1"
  );
}

/**
 * For a long transfer, runs the same command line in a child Node with
 * {@link SMALL_YOUNG_GENERATION_FLAG} (stdio shared, signals passed on) and resolves with the exit
 * code the CLI should end with; resolves `undefined` when the command should run in this process.
 */
export function respawnWithSmallYoungGeneration(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  const script = process.argv[1];
  if (!script || !isLongTransfer(argv) || hasSemiSpaceFlag(env)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, SMALL_YOUNG_GENERATION_FLAG, script, ...argv],
      {
        stdio: "inherit",
        env: { ...env, [RESPAWNED_ENV]: "1" },
      },
    );
    // The terminal sends Ctrl-C to the child as well; this process waits for the child's answer.
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onInt = () => {};
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    child.on("error", () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(undefined); // could not spawn: run in this process instead
    });
    child.on("exit", (code, signal) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      if (code !== null) resolve(code);
      else resolve(128 + (signal ? (constants.signals[signal] ?? 1) : 1));
    });
  });
}
