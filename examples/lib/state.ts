/**
 * The pipeline's state between steps, as the step scripts under `examples/steps/` hand it on: one
 * JSON file (default `$MODELTRAIL_HOME/demo/pipeline-state.json`, `--state FILE` or
 * `MODELTRAIL_STATE`) that each step reads what it needs from and adds what it made to. In a real
 * pipeline these are the outputs of one CI job passed to the next (GitHub Actions outputs,
 * artifacts); here they are a file. Written atomically (temp file, rename).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { JobSettings } from "@modeltrail/databricks";
import type { DeployTargetName } from "./deploy-target.ts";
import { DEMO_DIR, ensureDemoDir, MODELTRAIL_HOME } from "./paths.ts";

/** The state file's schema name. */
export const STATE_SCHEMA = "modeltrail.demo.pipeline-state/v1";

/** A trace context as JSON (`ctx.toJSON()`, read back with `parseTraceContext`). */
export type TraceJson = Record<string, unknown>;

/** What the steps hand on. */
export interface PipelineState {
  schema: typeof STATE_SCHEMA;
  /** Step 1: the CI context and the job definition as the runner runs it. */
  ci?: { ctx: TraceJson; settings: JobSettings; jobId: string; deployedTo?: string | undefined };
  /** Step 2: each training run. */
  runs?: Array<{ seed: number; jobRunId: string; mlflowRunId: string; trackingUri: string }>;
  /** Step 3: each registered model version, with its trace. */
  versions?: Array<{ name: string; version: string; mlflowRunId: string; ctx: TraceJson }>;
  /** Step 4: each image, where it is, and the key its provenance verifies with. */
  images?: Array<{
    runId: string;
    digest: string;
    layoutDir: string;
    layoutRef: string;
    pushedRef?: string | undefined;
    deployRef: string;
    ctx: TraceJson;
  }>;
  /** Step 4: the public key (PEM) of the provenance signatures. */
  publicKeyPem?: string;
  /**
   * Steps 5 and 7: where it was deployed (steps 6 and 7 follow it), and the run ids deployed in order
   * (the last one is live). Kubernetes: the kubeconfig given and the namespace; the local target: its
   * state directory and the URL it answers on.
   */
  deployed?: {
    target: DeployTargetName;
    kubeconfig?: string | undefined;
    namespace: string;
    /** The local target's state directory. */
    stateDir?: string | undefined;
    /** Where the local target answers (`http://127.0.0.1:<port>`). */
    url?: string | undefined;
    history: string[];
  };
  /** Step 6: the trace page and verify's outcome. */
  traced?: { handle: string; ok: boolean; tracePage: string };
}

/** The state file: `--state`, else `MODELTRAIL_STATE`, else `<demo dir>/pipeline-state.json`. */
export function statePath(option?: string): string {
  const given = option?.trim() || process.env.MODELTRAIL_STATE?.trim();
  return given ? resolve(given) : join(DEMO_DIR, "pipeline-state.json");
}

/** Reads the state (an empty one when the file does not exist). Throws for a file that is not one. */
export async function readState(path: string): Promise<PipelineState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { schema: STATE_SCHEMA };
    throw err;
  }
  let parsed: PipelineState;
  try {
    parsed = JSON.parse(text) as PipelineState;
  } catch {
    throw new Error(`${path} is not JSON: remove it, or pass --state with another file`);
  }
  if (parsed?.schema !== STATE_SCHEMA)
    throw new Error(`${path} is not a pipeline state (${STATE_SCHEMA}): pass --state with another file`);
  return parsed;
}

/**
 * Writes the state: a temporary file next to it, then renamed over it. A state inside modeltrail's
 * home (the default) gets the home's marker first, so that `modeltrail clean` and the later steps
 * know the directory as modeltrail's.
 */
export async function writeState(path: string, state: PipelineState): Promise<void> {
  if (path.startsWith(`${MODELTRAIL_HOME}${sep}`)) await ensureDemoDir();
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { flag: "wx", mode: 0o600 });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Throws a message naming the step to run first when `value` is missing. */
export function need<T>(value: T | undefined, what: string, step: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0))
    throw new Error(`The state has no ${what}: run ${step} first (or pass --state with the file it wrote)`);
  return value;
}
