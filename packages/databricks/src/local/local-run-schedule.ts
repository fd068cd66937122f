import type { TaskState } from "./local-task-state.js";
import { decideRunIf, dependencyOutcome } from "./run-if.js";

/** What the scheduler does with a task that has not started. */
export type ScheduleDecision =
  /** An upstream task has not finished yet. */
  | { kind: "wait" }
  /** The task ends without running (disabled, run_if not met, unsupported run_if). */
  | { kind: "finish"; result: string; message: string; code: string; type: string; life: string }
  /** The task may start (when a slot is free). */
  | { kind: "ready" };

/**
 * Decides, as Databricks does, whether a task whose upstream tasks are known can run: a disabled
 * task is DISABLED (skipped); otherwise its `run_if` condition over the upstream outcomes decides
 * between running it and skipping it (UPSTREAM_FAILED, UPSTREAM_CANCELED, EXCLUDED); a `run_if`
 * this runner does not know fails the task with INVALID_RUN_CONFIGURATION.
 */
export function scheduleDecision(t: TaskState, byKey: ReadonlyMap<string, TaskState>): ScheduleDecision {
  const deps = (t.spec.depends_on ?? []).map((d) => ({ d, up: byKey.get(d.task_key) }));
  if (!deps.every(({ up }) => up?.finished)) return { kind: "wait" };
  if (t.spec.disabled) {
    return {
      kind: "finish",
      result: "DISABLED",
      message: "The task is disabled",
      code: "DISABLED",
      type: "SUCCESS",
      life: "SKIPPED",
    };
  }
  const outcomes = deps.map(({ d, up }) => dependencyOutcome(up?.result, d.outcome, up?.outcome));
  const decision = decideRunIf(t.spec.run_if, outcomes);
  if (decision === undefined) {
    return {
      kind: "finish",
      result: "FAILED",
      message: `run_if ${t.spec.run_if} is not supported by LocalJobRunner`,
      code: "INVALID_RUN_CONFIGURATION",
      type: "CLIENT_ERROR",
      life: "TERMINATED",
    };
  }
  if (decision.run) return { kind: "ready" };
  const message =
    decision.resultState === "UPSTREAM_FAILED"
      ? "Upstream task(s) failed"
      : decision.resultState === "UPSTREAM_CANCELED"
        ? "Upstream task(s) were canceled"
        : `The run_if condition ${t.spec.run_if ?? "ALL_SUCCESS"} was not met`;
  return {
    kind: "finish",
    result: decision.resultState,
    message,
    code: "SKIPPED",
    type: decision.resultState === "EXCLUDED" ? "SUCCESS" : "CLIENT_ERROR",
    life: "SKIPPED",
  };
}
