import { type TraceContext, ValidationError } from "@modeltrail/core";
import type { RunEventOptions } from "./event-options.js";
import {
  checkOptions,
  errorFacet,
  inputDatasets,
  jobFacets,
  modelDataset,
  parentFacet,
  processingEngineFacet,
  runEvent,
  traceFacet,
  withFacets,
} from "./event-parts.js";
import type { RunEvent } from "./run-event.js";
import { openLineageRunId } from "./run-uuid.js";

/**
 * The OpenLineage RunEvent of a training run, from the TraceContext the run recorded.
 *
 * - job: namespace `databricks://<workspace host>` for a Databricks job (`local` for the local
 *   runner), name `jobs/<jobId>` (`/tasks/<taskKey>` added for a task), else `train/<model name>`,
 *   else `train/<repository name>`;
 *   facets `sourceCodeLocation` (repository and commit) and `jobType` (BATCH, `TRAINING`).
 * - run: id a UUID derived from the job run id (else the MLflow run id), the same for START and
 *   COMPLETE; facets `parent` (the CI run, when the context names one), `processing_engine`,
 *   `modeltrail_trace` (the native ids) and, for FAIL, `errorMessage`.
 * - inputs: the context's data sets, each with `version` and `modeltrail_digest`.
 * - outputs: the model (`mlflow` namespace, `models/<name>` with its version, or `runs/<id>/model`).
 *
 * Throws ValidationError when the context names neither a job run nor an MLflow run (nothing
 * identifies the run), when no job name can be derived and none is given, or for invalid options.
 */
export function trainingRunEvent(ctx: TraceContext, options: RunEventOptions): RunEvent {
  const producer = checkOptions(options);
  const job = ctx.job;
  const jobNamespace = options.jobNamespace ?? trainingJobNamespace(ctx);
  const jobName = options.jobName ?? trainingJobName(ctx);
  const runKey = job?.runId
    ? ["job-run", job.runId, job.taskRunId ?? ""]
    : ctx.model?.mlflowRunId
      ? ["mlflow-run", ctx.model.mlflowRunId]
      : undefined;
  if (!runKey || !jobName) {
    const issues = [];
    if (!runKey)
      issues.push({ path: "job.runId", message: "the context names no job run and no MLflow run" });
    if (!jobName)
      issues.push({ path: "jobName", message: "no job id, model name or repository to name the job after" });
    throw new ValidationError("Cannot build the OpenLineage event of this training run", {
      issues,
      hint: "Record job.runId (or model.mlflowRunId) in the trace context, or pass options.jobName",
    });
  }
  const output = modelDataset(ctx, producer, options.mlflowNamespace ?? "mlflow");
  return runEvent({
    options,
    producer,
    runId: openLineageRunId(jobNamespace, ...runKey),
    runFacets: withFacets({
      parent: parentFacet(ctx, producer),
      processing_engine: processingEngineFacet(ctx, producer, options),
      modeltrail_trace: traceFacet(ctx, "training", producer),
      errorMessage:
        options.eventType === "FAIL" ? errorFacet(options.failure, producer, "python") : undefined,
    }),
    jobNamespace,
    jobName,
    jobFacets: jobFacets(ctx, producer, "TRAINING"),
    inputs: inputDatasets(ctx, producer, options.datasetNamespace ?? "modeltrail"),
    outputs: output ? [output] : [],
  });
}

function trainingJobNamespace(ctx: TraceContext): string {
  const job = ctx.job;
  if (job?.platform === "databricks" && job.workspaceUrl) {
    try {
      return `databricks://${new URL(job.workspaceUrl).host}`;
    } catch {
      // the schema only admits URLs; fall through
    }
  }
  return job?.platform ?? "local";
}

function trainingJobName(ctx: TraceContext): string | undefined {
  const job = ctx.job;
  if (job?.jobId) return job.taskKey ? `jobs/${job.jobId}/tasks/${job.taskKey}` : `jobs/${job.jobId}`;
  if (ctx.model?.name) return `train/${ctx.model.name}`;
  const repo = ctx.code?.repoUrl
    ?.replace(/\.git$/, "")
    .replace(/\/+$/, "")
    .split(/[/:]/)
    .pop();
  return repo ? `train/${repo}` : undefined;
}
