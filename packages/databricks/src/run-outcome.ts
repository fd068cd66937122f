import type { Run, RunTask } from "./schemas/api/run.js";

/** How a finished run ended. */
export type RunOutcomeKind = "success" | "failed" | "canceled" | "timedout" | "skipped";

/** A task run that did not succeed, for messages. */
export interface FailedTask {
  taskKey: string;
  runId: number | undefined;
  /** `FAILED`, `UPSTREAM_FAILED`, a termination code... */
  state: string;
  message: string | undefined;
}

/** The typed result of a finished run. */
export interface RunOutcome {
  /** success, failed, canceled, timedout (the run hit its own timeout) or skipped. */
  kind: RunOutcomeKind;
  /** The last state of the run as fetched from `runs/get`. */
  run: Run;
  /** A one-line explanation (the termination message, or the failed tasks). */
  message: string;
  /** `status.termination_details.code`, or the legacy `state.result_state` when there is no status. */
  code: string | undefined;
  /** Task runs that did not succeed (empty for a successful run). */
  failedTasks: FailedTask[];
  /**
   * True only when `waitForRun` stopped waiting because of its own timeout (option
   * `onTimeout: "return"`): the run itself was still going, and `kind` is `timedout`.
   */
  stillRunning?: boolean;
}

const SKIPPED_CODES = new Set([
  "SKIPPED",
  "DISABLED",
  "MAX_CONCURRENT_RUNS_EXCEEDED",
  "MAX_JOB_QUEUE_SIZE_EXCEEDED",
]);
const CANCELED_CODES = new Set(["CANCELED", "USER_CANCELED"]);
const SUCCESS_CODES = new Set(["SUCCESS", "SUCCESS_WITH_FAILURES"]);
const LEGACY_TERMINAL = new Set(["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]);

/**
 * The lifecycle state of a run or task run: `status.state` (API 2.2) when present, else the legacy
 * `state.life_cycle_state`, else `UNKNOWN`. Unknown future values are returned as they are.
 */
export function runLifecycleState(run: Pick<Run, "status" | "state">): string {
  return run.status?.state ?? run.state?.life_cycle_state ?? "UNKNOWN";
}

/** True when a run (or task run) has finished: `status.state` TERMINATED, or a terminal legacy state. */
export function isRunTerminal(run: Pick<Run, "status" | "state">): boolean {
  if (run.status?.state !== undefined) return run.status.state === "TERMINATED";
  const legacy = run.state?.life_cycle_state;
  return legacy !== undefined && LEGACY_TERMINAL.has(legacy);
}

/**
 * Classifies a finished run. Uses `status.termination_details` (code, then type for codes this
 * release does not know), falling back to the legacy `state.life_cycle_state`/`result_state`.
 * A run that hit its own `timeout_seconds` (legacy result `TIMEDOUT`) is `timedout`. Returns
 * undefined while the run is not finished. Never throws.
 */
export function classifyRun(run: Run): RunOutcome | undefined {
  if (!isRunTerminal(run)) return undefined;
  const details = run.status?.termination_details;
  const legacyLife = run.state?.life_cycle_state;
  const legacyResult = run.state?.result_state;
  let kind: RunOutcomeKind;
  let code: string | undefined;
  if (legacyResult === "TIMEDOUT") {
    kind = "timedout";
    code = details?.code ?? legacyResult;
  } else if (details?.code !== undefined || details?.type !== undefined) {
    code = details.code;
    kind = kindFromTermination(details.code, details.type);
  } else {
    code = legacyResult ?? legacyLife;
    kind = kindFromLegacy(legacyLife, legacyResult);
  }
  const failedTasks = kind === "success" ? [] : collectFailedTasks(run.tasks ?? []);
  const base = details?.message || run.state?.state_message || defaultMessage(kind, code);
  const taskPart =
    failedTasks.length > 0
      ? `; ${failedTasks.map((t) => `task ${t.taskKey} ${t.state}${t.message ? `: ${t.message}` : ""}`).join("; ")}`
      : "";
  return { kind, run, code, failedTasks, message: `${base}${taskPart}` };
}

function kindFromTermination(code: string | undefined, type: string | undefined): RunOutcomeKind {
  if (code !== undefined) {
    if (SUCCESS_CODES.has(code)) return "success";
    if (CANCELED_CODES.has(code)) return "canceled";
    if (SKIPPED_CODES.has(code)) return "skipped";
  }
  // A code added after this release: its type still says whether it succeeded.
  if (type === "SUCCESS" && (code === undefined || !KNOWN_FAILURE_CODES.has(code))) return "success";
  return "failed";
}

const KNOWN_FAILURE_CODES = new Set([
  "INTERNAL_ERROR",
  "DRIVER_ERROR",
  "CLUSTER_ERROR",
  "RUN_EXECUTION_ERROR",
  "CLOUD_FAILURE",
]);

function kindFromLegacy(life: string | undefined, result: string | undefined): RunOutcomeKind {
  if (life === "SKIPPED") return "skipped";
  if (life === "INTERNAL_ERROR") return "failed";
  switch (result) {
    case "SUCCESS":
    case "SUCCESS_WITH_FAILURES":
      return "success";
    case "CANCELED":
    case "UPSTREAM_CANCELED":
      return "canceled";
    case "TIMEDOUT":
      return "timedout";
    case "EXCLUDED":
    case "MAXIMUM_CONCURRENT_RUNS_REACHED":
    case "DISABLED":
      return "skipped";
    default:
      return "failed";
  }
}

function collectFailedTasks(tasks: RunTask[]): FailedTask[] {
  const out: FailedTask[] = [];
  for (const task of tasks) {
    const outcome = isRunTerminal(task)
      ? classifyRun({ ...task, run_id: task.run_id ?? 0, tasks: [] })
      : undefined;
    if (!outcome || outcome.kind === "success") continue;
    if (outcome.kind === "skipped" && !/UPSTREAM/.test(task.state?.result_state ?? "")) continue;
    out.push({
      taskKey: task.task_key,
      runId: task.run_id,
      state: task.state?.result_state ?? outcome.code ?? outcome.kind.toUpperCase(),
      message: task.status?.termination_details?.message || task.state?.state_message || undefined,
    });
  }
  return out;
}

function defaultMessage(kind: RunOutcomeKind, code: string | undefined): string {
  const suffix = code ? ` (${code})` : "";
  switch (kind) {
    case "success":
      return `The run succeeded${suffix}`;
    case "canceled":
      return `The run was canceled${suffix}`;
    case "timedout":
      return `The run reached its timeout${suffix}`;
    case "skipped":
      return `The run was skipped${suffix}`;
    default:
      return `The run failed${suffix}`;
  }
}
