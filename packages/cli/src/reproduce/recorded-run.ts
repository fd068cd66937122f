import type { TraceLineage, TraceReport } from "@modeltrail/core";
import { ReproduceRefusedError } from "./reproduce-refused-error.js";

/** What a training run recorded that reproducing it needs. */
export interface RecordedRun {
  lineage: TraceLineage;
  mlflowRunId: string;
  jobRunId: string | undefined;
  experimentId: string | undefined;
  /** The commit, lowercase; undefined when the run records none. */
  gitSha: string | undefined;
  /** The job parameters as the job run recorded them (empty without the job run). */
  jobParameters: Record<string, string>;
  /** The MLflow run's params. */
  params: Record<string, string>;
  /** Platform of the training (`databricks`, `local`), when the trace says. */
  platform: string | undefined;
}

const str = (v: { value: unknown } | undefined): string | undefined =>
  v === undefined ? undefined : String(v.value);

/** The distinct training runs (by MLflow run id) of a report's lineages. */
export function trainingRuns(report: TraceReport): RecordedRun[] {
  const byRun = new Map<string, RecordedRun>();
  for (const lineage of report.lineages) {
    const mlflowRunId = str(lineage.artifacts.mlflowRunId);
    if (mlflowRunId === undefined || byRun.has(mlflowRunId)) continue;
    const jobParameters: Record<string, string> = {};
    for (const [name, v] of Object.entries(lineage.environment.training.parameters ?? {}))
      if (v.source.field?.startsWith("job_parameters.")) jobParameters[name] = String(v.value);
    const params: Record<string, string> = {};
    for (const [name, v] of Object.entries(lineage.artifacts.params ?? {})) params[name] = String(v.value);
    byRun.set(mlflowRunId, {
      lineage,
      mlflowRunId,
      jobRunId: str(lineage.infrastructure.training.jobRunId),
      experimentId: str(lineage.artifacts.experimentId),
      gitSha: str(lineage.code.gitSha)?.toLowerCase(),
      jobParameters,
      params,
      platform: str(lineage.infrastructure.training.platform),
    });
  }
  return [...byRun.values()];
}

/**
 * The one training run a run id names in a trace report. Throws ReproduceRefusedError:
 * `run-not-found` when the report has no MLflow run (with what could not be reached),
 * `ambiguous-run` when a job run id matches several MLflow runs (naming them), `no-commit` when the
 * run records no commit.
 */
export function recordedRun(runId: string, report: TraceReport): RecordedRun {
  const runs = trainingRuns(report);
  const exact = runs.filter((r) => r.mlflowRunId === runId);
  const candidates = exact.length > 0 ? exact : runs;
  if (candidates.length === 0) {
    const unreachable = report.unreachable.map((u) => `${u.system} ${u.lookup}: ${u.message}`);
    throw new ReproduceRefusedError(`No training run found for run id ${runId}`, {
      reason: "run-not-found",
      hint:
        unreachable.length > 0
          ? `the trace could not reach: ${unreachable.slice(0, 3).join("; ")}`
          : "check the run id (a Databricks job run id, or an MLflow run id of 32 hex characters) and that MLFLOW_TRACKING_URI points at the server the run was logged to",
    });
  }
  if (candidates.length > 1)
    throw new ReproduceRefusedError(
      `Run id ${runId} matches ${candidates.length} MLflow runs: ${candidates.map((r) => r.mlflowRunId).join(", ")}`,
      { reason: "ambiguous-run", hint: "pass the MLflow run id of the one to reproduce" },
    );
  const run = candidates[0] as RecordedRun;
  if (run.gitSha === undefined)
    throw new ReproduceRefusedError(`Run ${runId} records no git commit`, {
      reason: "no-commit",
      hint: "a run can be reproduced only when it records the commit it was trained from (MLflow tag GIT_SHA or mlflow.source.git.commit, or the job parameter git_sha); log it with the trace flags (see @modeltrail/databricks withTaskTraceParameters)",
    });
  return run;
}
