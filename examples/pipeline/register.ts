import { type DatasetRef, fromMlflowTags, type TraceContext } from "@modeltrail/core";
import {
  type MlflowClient,
  type RegisterModelResult,
  type Run,
  registerModel,
  tagsToRecord,
} from "@modeltrail/mlflow";
import { dim, heading, keyValues, say, table, yellow } from "../lib/print.ts";

/** Options of {@link registerTrainedModel}. */
export interface RegisterOptions {
  /** The MLflow run the training job logged the model to. */
  mlflowRunId: string;
  /** Registered model name. */
  name: string;
  /** Version description. */
  description?: string;
  signal?: AbortSignal | undefined;
}

/**
 * Step 3, register: reads the training run back from MLflow (its trace tags, written by the job,
 * and its dataset inputs), extends the CI context with the job ids, runtime and data found there,
 * and registers a model version with `registerModel` (tags GIT_SHA, DBR_RUN_ID, DBR_JOB_ID + the
 * full trace, and a run link). Throws NotFoundError for an unknown run, ValidationError for
 * inconsistent tags, and the client's errors.
 */
export async function registerTrainedModel(
  client: MlflowClient,
  ciCtx: TraceContext,
  options: RegisterOptions,
): Promise<RegisterModelResult> {
  const run = await client.runs.get(options.mlflowRunId, { signal: options.signal });
  const fromRun = fromMlflowTags(tagsToRecord(run.data?.tags ?? []));
  if (fromRun.code?.gitSha && fromRun.code.gitSha !== ciCtx.code?.gitSha) {
    say(
      yellow(`warning: the run was trained from ${fromRun.code.gitSha}, CI is at ${ciCtx.code?.gitSha}`),
      4,
    );
  }
  heading(`the training run ${options.mlflowRunId}, read back with fromMlflowTags(run tags)`);
  table([
    ["code", `gitSha=${fromRun.code?.gitSha}`],
    [
      "job",
      Object.entries(fromRun.job ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    ],
    [
      "runtime",
      Object.entries(fromRun.environment?.runtime ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    ],
  ]);
  const data = datasetsOf(run);
  for (const d of data) table([["data", `name=${d.name} uri=${d.uri} digest=${d.digest}`]]);

  // The version's trace: the commit and branch from CI, the job ids, runtime and data from the run.
  // The CI process's own runtime (node) did not train the model: leave it out.
  const ctx = ciCtx.with({
    job: { ...fromRun.job },
    environment: { runtime: { node: null, ...fromRun.environment?.runtime } },
    data,
  });

  heading(`registerModel(client, ctx, { runId, artifactPath: "model", name: "${options.name}" })`);
  const result = await registerModel(client, ctx, {
    runId: options.mlflowRunId,
    artifactPath: "model",
    name: options.name,
    description: options.description,
    signal: options.signal,
  });
  const mv = result.modelVersion;
  table([
    [
      "model version",
      `${mv.name} v${mv.version}  ${dim(result.created ? "(created)" : "(already registered from this run)")}`,
    ],
    ["status", mv.status],
    ["source", result.source],
    ["run link", mv.run_link],
  ]);
  const tags = tagsToRecord(mv.tags);
  heading("its tags (the defaults first, then modeltrail's full set)");
  const seeds = ["GIT_SHA", "DBR_RUN_ID", "DBR_JOB_ID"];
  keyValues(Object.fromEntries(seeds.filter((k) => k in tags).map((k) => [k, tags[k]!])), 4);
  say(
    dim(
      `+ ${Object.keys(tags).length - seeds.length} more: ${Object.keys(tags)
        .filter((k) => !seeds.includes(k))
        .sort()
        .join(", ")}`,
    ),
    4,
  );
  return result;
}

/** The run's dataset inputs as trace data sets (URI from the MLflow dataset source, sha256 from the input tag). */
function datasetsOf(run: Run): DatasetRef[] {
  const seed = tagsToRecord(run.data?.params ?? []).seed;
  return (run.inputs?.dataset_inputs ?? []).map((input) => {
    const d = input.dataset;
    const inputTags = tagsToRecord(input.tags ?? []);
    let uri: string | undefined;
    try {
      uri = (JSON.parse(d.source ?? "{}") as { uri?: string }).uri;
    } catch {
      uri = undefined;
    }
    return {
      name: d.name,
      ...(uri ? { uri } : {}),
      digest: inputTags.sha256 ? `sha256:${inputTags.sha256}` : d.digest,
      ...(seed ? { version: `seed-${seed}` } : {}), // generated data: the seed is its version
    };
  });
}
