import { setTimeout as sleepTimer } from "node:timers/promises";
import type { TaskCommandOptions } from "./task-command.js";

/** Resolved configuration a local run needs (filled in by `LocalJobRunner`). */
export interface LocalRunConfig extends TaskCommandOptions {
  env: Record<string, string | undefined>;
  maxConcurrency: number;
  maxOutputBytes: number;
  killGraceMs: number;
  maxRetriesCap: number;
  workspace: { id?: number | string; url?: string } | undefined;
  newId: () => number;
  onOutput:
    | ((chunk: {
        runId: number;
        taskKey: string;
        taskRunId: number;
        stream: "stdout" | "stderr";
        chunk: string;
      }) => void)
    | undefined;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Default wait between retries: an abortable timer. */
export function defaultRetrySleep(ms: number, signal: AbortSignal): Promise<void> {
  return sleepTimer(ms, undefined, { signal });
}
