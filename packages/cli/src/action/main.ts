import { respawnWithSmallYoungGeneration } from "../cli/young-generation.js";
import { readActionInputs } from "./action-inputs.js";
import { runAction } from "./run-action.js";

/**
 * Entry point of the GitHub Action (bundled into action/dist/index.mjs and its chunks, run by `runs.using:
 * node24`). A long transfer (`image build`) runs in a child Node with a smaller young generation,
 * as the CLI does; the child reads the same `INPUT_*` and does all the work. A cancelled job
 * (SIGINT/SIGTERM) aborts the running command.
 */
async function main(): Promise<void> {
  let argv: string[] = [];
  try {
    argv = readActionInputs(process.env).argv;
  } catch {
    // reported by runAction
  }
  const respawned = await respawnWithSmallYoungGeneration(argv);
  if (respawned !== undefined) {
    process.exitCode = respawned;
    return;
  }
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => controller.abort(new Error(`cancelled (${signal})`)));
  process.exitCode = await runAction(process.env, controller.signal);
}

void main();
