import type { TraceContext } from "./trace-context.js";

/**
 * What a run id is: `job-run`, the id of a training job run (a Databricks job run id, or the id a
 * local job run was given in its place), or `mlflow-run`, an MLflow run id.
 */
export type RunIdKind = "job-run" | "mlflow-run";

/** "The run id" of a context (DESIGN.md, "Which id is which"), with where it came from. */
export interface RunIdOfContext {
  /** The run id: the job run id, or the MLflow run id when there is no job run. */
  runId: string;
  /** Which id it is. */
  kind: RunIdKind;
  /** True when the context has no job run id and the MLflow run id stands in for it. */
  fallback: boolean;
}

/** Databricks ids (job, job run, task run) are decimal integers. */
const DECIMAL_ID = /^[0-9]{1,19}$/;
/** MLflow run ids are 32 lowercase hexadecimal characters (a UUID without dashes). */
const MLFLOW_RUN_ID = /^[0-9a-f]{32}$/;

/**
 * Tells a run id's kind by its shape: decimal digits are a job run id (Databricks job run ids are
 * decimal, and so are the ids of modeltrail's local job runs), 32 lowercase hex characters an MLflow
 * run id. Returns undefined for any other shape (e.g. `local-<uuid>`). Leading and trailing
 * whitespace is ignored. Never throws.
 */
export function classifyRunId(runId: string): RunIdKind | undefined {
  const id = String(runId).trim();
  if (DECIMAL_ID.test(id)) return "job-run";
  if (MLFLOW_RUN_ID.test(id)) return "mlflow-run";
  return undefined;
}

/**
 * "The run id" of a context, the one images are tagged with, `RUN_ID` and the `run_id` log field
 * carry and rollback takes: `job.runId` (the Databricks job run id, DBR_RUN_ID); when the context
 * has no job run (a model trained outside a job), `model.mlflowRunId` stands in for it, and
 * `fallback` says so. Returns undefined when the context has neither. Never throws.
 */
export function runIdOf(ctx: TraceContext): RunIdOfContext | undefined {
  const jobRun = ctx.job?.runId;
  if (jobRun !== undefined) return { runId: jobRun, kind: "job-run", fallback: false };
  const mlflowRun = ctx.model?.mlflowRunId;
  if (mlflowRun !== undefined) return { runId: mlflowRun, kind: "mlflow-run", fallback: true };
  return undefined;
}
