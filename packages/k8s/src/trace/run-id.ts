import type { TraceContext } from "@modeltrail/core";

/**
 * True when a context ran the given run id, of either kind: its Databricks job run id or its MLflow
 * run id (DESIGN.md: a look-up by run id accepts either). Never throws.
 */
export function ranRun(ctx: TraceContext | undefined, runId: string): boolean {
  const id = runId.trim();
  if (id === "") return false;
  return ctx?.job?.runId === id || ctx?.model?.mlflowRunId?.toLowerCase() === id.toLowerCase();
}
