import {
  classifyRunId,
  type DatasetRef,
  fromMlflowTags,
  NotFoundError,
  type TraceContext,
} from "@modeltrail/core";
import {
  filterIdentifier,
  filterLiteral,
  type MlflowClient,
  type Run,
  tagsToRecord,
  traceTagName,
} from "@modeltrail/mlflow";

/** Experiments searched for a job run id's MLflow run, at most. */
const MAX_EXPERIMENTS = 1000;

/**
 * The MLflow run of "a run id" of either kind (DESIGN.md, "Which id is which"): an MLflow run id (32
 * hex characters) is read directly; a Databricks job run id is looked up by the `DBR_RUN_ID` tag
 * the training job wrote, across the server's experiments (newest run first). Throws NotFoundError
 * when no run carries it, and the client's errors.
 */
export async function findMlflowRun(
  client: MlflowClient,
  runId: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<Run> {
  if (classifyRunId(runId) === "mlflow-run") return client.runs.get(runId, options);
  const experimentIds: string[] = [];
  for await (const e of client.experiments.search({ signal: options.signal })) {
    experimentIds.push(e.experiment_id);
    if (experimentIds.length >= MAX_EXPERIMENTS) break;
  }
  const filter = `tags.${filterIdentifier(traceTagName("job.runId"))} = ${filterLiteral(runId)}`;
  // MLflow searches at most 100 experiments per request
  for (let i = 0; i < experimentIds.length; i += 100) {
    for await (const run of client.runs.search({
      experimentIds: experimentIds.slice(i, i + 100),
      filter,
      orderBy: ["attributes.start_time DESC"],
      signal: options.signal,
    }))
      return run;
  }
  throw new NotFoundError({
    service: "mlflow",
    status: 404,
    method: "POST",
    url: "mlflow/runs/search",
    message: `No MLflow run carries the job run id ${runId} (tag ${traceTagName("job.runId")})`,
    hint: "check the run id, or pass the MLflow run id (32 hexadecimal characters) instead",
  });
}

/** The trace a training run's tags describe, with its dataset inputs and its MLflow run id. */
export function traceOfRun(run: Run): TraceContext {
  const ctx = fromMlflowTags(tagsToRecord(run.data?.tags ?? []));
  const data = datasetsOfRun(run).filter((d) => !(ctx.data ?? []).some((c) => c.name === d.name));
  return ctx.with({
    model: { mlflowRunId: run.info.run_id },
    ...(data.length > 0 ? { data } : {}),
  });
}

/** The run's dataset inputs as trace data sets (name, URI from the source when it names one, digest). */
export function datasetsOfRun(run: Run): DatasetRef[] {
  const out: DatasetRef[] = [];
  for (const input of run.inputs?.dataset_inputs ?? []) {
    const d = input.dataset;
    if (!d?.name || out.some((o) => o.name === d.name)) continue;
    let uri: string | undefined;
    try {
      const source = JSON.parse(d.source ?? "{}") as Record<string, unknown>;
      const u = source.uri ?? source.url ?? source.path;
      if (typeof u === "string" && u.trim() !== "") uri = u;
    } catch {
      // a source that is not JSON names no URI
    }
    out.push({ name: d.name, ...(uri ? { uri } : {}), ...(d.digest ? { digest: d.digest } : {}) });
  }
  return out.slice(0, 64);
}
