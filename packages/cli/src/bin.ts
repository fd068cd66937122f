#!/usr/bin/env node
import { runCli } from "./cli/run-cli.js";
import { respawnWithSmallYoungGeneration } from "./cli/young-generation.js";

/**
 * The `modeltrail` executable. Long transfers re-run the command in a child Node with a smaller
 * young generation (see young-generation.ts); everything else runs here. Ctrl-C aborts the running
 * command (exit 130); a second Ctrl-C exits at once.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const respawned = await respawnWithSmallYoungGeneration(argv);
  if (respawned !== undefined) {
    process.exitCode = respawned;
    return;
  }
  const controller = new AbortController();
  let interrupts = 0;
  process.on("SIGINT", () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort(new Error("interrupted (SIGINT)"));
  });
  const outcome = await runCli(argv, { signal: controller.signal });
  process.exitCode = outcome.exitCode;
}

void main();
