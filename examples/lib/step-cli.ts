/**
 * What every step script under `examples/steps/` shares: its flags (`--help`, `--dry-run`,
 * `--state FILE` and its own), Ctrl-C as an abort, and one clear line on failure. Exit codes as the
 * `modeltrail` CLI's: 0 ok, 1 failure, 2 bad arguments, 3 verify failed, 130 interrupted.
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { isModelTrailError } from "@modeltrail/core";
import { type PipelineState, readState, statePath, writeState } from "./state.ts";

/** Bad arguments found while a step runs (a flag's value): one line, the usage, exit code 2. */
export class StepUsageError extends Error {
  override name = "StepUsageError";
}

/** What a step's `run` gets. */
export interface StepContext<V> {
  /** The parsed flags. */
  values: V;
  /** The state as the earlier steps left it; `save()` writes it back. */
  state: PipelineState;
  statePath: string;
  save(): Promise<void>;
  /** True with `--dry-run`: check the inputs, say what would be done, contact nothing. */
  dryRun: boolean;
  signal: AbortSignal;
}

/** A step script. */
export interface StepDefinition<V> {
  /** `node examples/steps/<file>` */
  file: string;
  /** One line: what the step does. */
  summary: string;
  /** The step's own flags (`--help`, `--dry-run`, `--state` are added). */
  options?: ParseArgsOptionsConfig;
  /** Lines describing the step's own flags. */
  flags?: string[];
  /** The environment variables it reads, each with what it is for. */
  env: Array<[string, string]>;
  /** Runs the step; resolves with the exit code (default 0; 3 when a verify found a broken link). */
  run(ctx: StepContext<V>): Promise<number | undefined> | Promise<void>;
}

/** Parses the flags, reads the state, runs the step and exits with the CLI's exit codes. */
export async function runStep<V>(def: StepDefinition<V>): Promise<never> {
  const usage = [
    `Usage: node examples/steps/${def.file} [--state FILE] [--dry-run]${def.flags?.length ? " [flags]" : ""}`,
    "",
    def.summary,
    "",
    "  --state FILE   the pipeline state the steps hand on (default $MODELTRAIL_HOME/demo/pipeline-state.json,",
    "                 or MODELTRAIL_STATE)",
    "  --dry-run      check the inputs and say what would be done; contact nothing, change nothing",
    ...(def.flags ?? []).map((f) => `  ${f}`),
    "  --help         this text",
    "",
    "Env:",
    ...def.env.map(([k, v]) => `  ${k.padEnd(22)} ${v}`),
  ].join("\n");
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      options: {
        help: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        state: { type: "string" },
        ...(def.options ?? {}),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const path = statePath(values.state as string | undefined);
  try {
    const state = await readState(path);
    const code = await def.run({
      values: values as V,
      state,
      statePath: path,
      save: () => writeState(path, state),
      dryRun: values["dry-run"] === true,
      signal: controller.signal,
    });
    process.exit(typeof code === "number" ? code : 0);
  } catch (err) {
    if (controller.signal.aborted) process.exit(130);
    if (err instanceof StepUsageError) {
      console.error(`${err.message}\n\n${usage}`);
      process.exit(2);
    }
    if (isModelTrailError(err)) console.error(`${err.name} [${err.code}]: ${err.message}`);
    else console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}

/** Reads a required environment variable, or throws saying what to set. */
export function requireEnv(name: string, what: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is not set: ${what}`);
  return value;
}
