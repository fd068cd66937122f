import type { JobSettings } from "../job-settings/job-settings-schema.js";
import type { Run, RunTask } from "../schemas/api/run.js";
import type { TaskState } from "./local-task-state.js";

/** What a snapshot of a local run is made of. */
export interface LocalRunView {
  jobId: number;
  runId: number;
  runName: string;
  settings: JobSettings;
  parameters: Record<string, string>;
  startTime: number;
  /** 0 while the run is going. */
  endTime: number;
  runStatus: string;
  finalized: boolean;
  resultState: string | undefined;
  termination: { code: string; type: string; message: string } | undefined;
  stopReason: "canceled" | "timedout" | undefined;
  tasks: readonly TaskState[];
}

/** A local run in the shape of `jobs/runs/get`, at time `now`. */
export function runSnapshot(view: LocalRunView, now: number = Date.now()): Run {
  return {
    job_id: view.jobId,
    run_id: view.runId,
    run_name: view.runName,
    number_in_job: view.runId,
    original_attempt_run_id: view.runId,
    attempt_number: 0,
    state: {
      life_cycle_state: view.finalized
        ? "TERMINATED"
        : view.runStatus === "TERMINATING"
          ? "TERMINATING"
          : "RUNNING",
      ...(view.resultState === undefined ? {} : { result_state: view.resultState }),
      state_message: view.termination?.message ?? "",
      user_cancelled_or_timedout: view.stopReason !== undefined,
    },
    status: {
      state: view.runStatus,
      ...(view.termination === undefined ? {} : { termination_details: { ...view.termination } }),
    },
    start_time: view.startTime,
    end_time: view.endTime,
    setup_duration: 0,
    execution_duration: 0,
    cleanup_duration: 0,
    run_duration: (view.endTime || now) - view.startTime,
    trigger: "ONE_TIME",
    run_type: "JOB_RUN",
    format: "MULTI_TASK",
    run_page_url: `local://jobs/${view.jobId}/runs/${view.runId}`,
    creator_user_name: process.env.USER ?? "local",
    job_parameters: (view.settings.parameters ?? []).map((p) => ({
      name: p.name,
      default: p.default,
      value: view.parameters[p.name] ?? p.default,
    })),
    tasks: view.tasks.map((t) => taskSnapshot(t, view.jobId, now)),
  };
}

/** One task of a local run in the shape of a `jobs/runs/get` task, at time `now`. */
export function taskSnapshot(t: TaskState, jobId: number, now: number): RunTask {
  const typeField = Object.keys(t.spec).find((k) => k.endsWith("_task"));
  const spec = t.spec as Record<string, unknown>;
  const task: RunTask = {
    task_key: t.spec.task_key,
    run_id: t.runId,
    attempt_number: t.attempt,
    state: {
      life_cycle_state: t.life,
      ...(t.result === undefined ? {} : { result_state: t.result }),
      state_message: t.message,
      user_cancelled_or_timedout: t.result === "CANCELED" || t.result === "TIMEDOUT",
    },
    status: {
      state: t.status,
      ...(t.code === undefined
        ? {}
        : { termination_details: { code: t.code, type: t.type ?? "SUCCESS", message: t.message } }),
    },
    start_time: t.start,
    end_time: t.end,
    setup_duration: t.setup,
    execution_duration: t.exec,
    cleanup_duration: t.cleanup,
    run_duration: t.start === 0 ? 0 : (t.end || now) - t.start,
    run_page_url: `local://jobs/${jobId}/runs/${t.runId}`,
    ...(t.spec.depends_on ? { depends_on: t.spec.depends_on } : {}),
    ...(t.spec.run_if ? { run_if: t.spec.run_if } : {}),
    ...(t.spec.description ? { description: t.spec.description } : {}),
  };
  if (typeField) {
    const resolved = { ...(spec[typeField] as object), ...t.resolved };
    (task as Record<string, unknown>)[typeField] =
      t.outcome === undefined ? resolved : { ...resolved, outcome: t.outcome };
  }
  return task;
}
