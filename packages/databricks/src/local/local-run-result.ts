import type { TaskState } from "./local-task-state.js";

const SUCCESSFUL = new Set(["SUCCESS", "EXCLUDED", "DISABLED"]);
const FAILURES = new Set(["FAILED", "TIMEDOUT", "CANCELED", "UPSTREAM_FAILED", "UPSTREAM_CANCELED"]);

/** How a finished local run ended: its result state and termination details. */
export interface LocalRunResult {
  resultState: string;
  termination: { code: string; type: string; message: string };
}

/**
 * The result of a run whose tasks have all finished, as Databricks reports it: CANCELED or TIMEDOUT
 * when the run was stopped; SUCCESS when no task failed; SUCCESS_WITH_FAILURES when some failed but
 * every leaf task succeeded (or was excluded or disabled); FAILED otherwise.
 */
export function localRunResult(
  tasks: readonly TaskState[],
  stopReason: "canceled" | "timedout" | undefined,
  timeoutSeconds: number | undefined,
): LocalRunResult {
  if (stopReason === "canceled") {
    return {
      resultState: "CANCELED",
      termination: { code: "USER_CANCELED", type: "SUCCESS", message: "The run was canceled" },
    };
  }
  if (stopReason === "timedout") {
    return {
      resultState: "TIMEDOUT",
      termination: {
        code: "CANCELED",
        type: "CLIENT_ERROR",
        message: `The run exceeded the job's timeout of ${timeoutSeconds} seconds`,
      },
    };
  }
  const failed = tasks.filter((t) => FAILURES.has(t.result ?? ""));
  if (failed.length === 0) {
    return { resultState: "SUCCESS", termination: { code: "SUCCESS", type: "SUCCESS", message: "" } };
  }
  const upstream = new Set(tasks.flatMap((t) => (t.spec.depends_on ?? []).map((d) => d.task_key)));
  const leaves = tasks.filter((t) => !upstream.has(t.spec.task_key));
  const list = failed.map((t) => `${t.spec.task_key} (${t.result})`).join(", ");
  if (leaves.every((t) => SUCCESSFUL.has(t.result ?? ""))) {
    return {
      resultState: "SUCCESS_WITH_FAILURES",
      termination: { code: "SUCCESS_WITH_FAILURES", type: "SUCCESS", message: `Some tasks failed: ${list}` },
    };
  }
  return {
    resultState: "FAILED",
    termination: {
      code: "RUN_EXECUTION_ERROR",
      type: "CLIENT_ERROR",
      message: `Task(s) did not succeed: ${list}`,
    },
  };
}
