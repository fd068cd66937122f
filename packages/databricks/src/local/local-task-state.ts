import type { JobTask } from "../job-settings/job-settings-schema.js";
import type { LocalRunOutput } from "./local-run-types.js";

/** What a local run knows of one of its tasks: state, timings, outcome, values and output. */
export interface TaskState {
  spec: JobTask;
  /** The task run id of the current attempt (each retry gets a new one, as on Databricks). */
  runId: number;
  attempt: number;
  life: string;
  status: string;
  result: string | undefined;
  message: string;
  code: string | undefined;
  type: string | undefined;
  start: number;
  end: number;
  setup: number;
  exec: number;
  cleanup: number;
  started: boolean;
  finished: boolean;
  /** The outcome of a condition task (`"true"` / `"false"`). */
  outcome: "true" | "false" | undefined;
  /** Task fields after dynamic-value substitution, as `jobs/runs/get` reports them. */
  resolved: Record<string, unknown>;
  /** Task values the task wrote (`{{tasks.<key>.values.<name>}}`). */
  values: Record<string, unknown>;
  output: LocalRunOutput;
  /** Aborts the task's process (cancel, job timeout). */
  controller: AbortController;
}

/** A task that has not been scheduled yet (BLOCKED), with its first task run id. */
export function newTaskState(spec: JobTask, runId: number): TaskState {
  return {
    spec,
    runId,
    attempt: 0,
    life: "BLOCKED",
    status: "BLOCKED",
    result: undefined,
    message: "",
    code: undefined,
    type: undefined,
    start: 0,
    end: 0,
    setup: 0,
    exec: 0,
    cleanup: 0,
    started: false,
    finished: false,
    outcome: undefined,
    resolved: {},
    values: {},
    output: {},
    controller: new AbortController(),
  };
}
