import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { duration, keyValue, runId } from "../cli/option-parsers.js";
import { mlflowClient } from "../config/clients.js";
import { detectContext } from "../config/detect-context.js";
import { findMlflowRun, traceOfRun } from "../config/mlflow-run-lookup.js";

interface ModelRegisterOptions {
  runId: string;
  name: string;
  artifactPath: string;
  tag?: Record<string, string>;
  description?: string;
  alias?: string;
  awaitReady?: number;
}

/** `modeltrail model register`: a model version whose tags carry the trace of its training run. */
export function modelRegisterCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "register",
    "Register the model a training run logged as a model version whose tags carry its trace (GIT_SHA, DBR_RUN_ID, DBR_JOB_ID and modeltrail's full set); registering the same run again returns the same version.",
    [
      "modeltrail model register --run-id 1795788642450001 --name churn --alias champion",
      "modeltrail model register --run-id 0e65f4e6ffd84bbcaca05398f1d5dff3 --name churn --artifact-path model",
    ],
  )
    .requiredOption(
      "--run-id <id>",
      "the training run: its Databricks job run id or its MLflow run id",
      runId,
    )
    .requiredOption("--name <name>", "the registered model name (catalog.schema.model on Unity Catalog)")
    .option("--artifact-path <path>", "where the run logged the model", "model")
    .option("--tag <key=value>", "an extra tag on the version (repeatable)", keyValue)
    .option("--description <text>", "the version's description")
    .option("--alias <alias>", "point this alias at the version (e.g. champion)")
    .option("--await-ready <duration>", "wait this long for the version to become READY", duration);
  return app.handle<ModelRegisterOptions>(cmd, async (run) => {
    const { opts, out } = run;
    const client = await mlflowClient(run);
    try {
      const trainingRun = await findMlflowRun(client, opts.runId, { signal: run.signal });
      const fromRun = traceOfRun(trainingRun);
      const here = (await detectContext(run.io)).context;
      const runSha = fromRun.code?.gitSha;
      if (runSha && here.code?.gitSha && runSha !== here.code.gitSha)
        out.warn(
          `the run was trained from ${runSha}; this checkout is at ${here.code.gitSha} (the version records the run's)`,
        );
      // The training run's trace (its commit, job ids, runtime, data) wins over what is detected here.
      const ctx = here.with({
        code: { ...fromRun.code },
        job: fromRun.job ? { ...fromRun.job } : undefined,
        environment: fromRun.environment?.runtime
          ? { runtime: { ...fromRun.environment.runtime } }
          : undefined,
        model: { ...fromRun.model },
        data: fromRun.data ? fromRun.data.map((d) => ({ ...d })) : undefined,
      });
      out.status(`registering ${opts.name} from run ${trainingRun.info.run_id}`);
      const result = await client.registerModel(ctx, {
        runId: trainingRun.info.run_id,
        artifactPath: opts.artifactPath,
        name: opts.name,
        description: opts.description,
        tags: opts.tag,
        awaitReadyMs: opts.awaitReady,
        signal: run.signal,
      });
      const mv = result.modelVersion;
      if (opts.alias)
        await (client.unityCatalog ?? client.registeredModels).setAlias(mv.name, opts.alias, mv.version, {
          signal: run.signal,
        });
      const data = {
        name: mv.name,
        version: mv.version,
        created: result.created,
        status: mv.status,
        source: result.source,
        mlflowRunId: trainingRun.info.run_id,
        runId: result.trace.job?.runId ?? trainingRun.info.run_id,
        gitSha: result.trace.code?.gitSha,
        alias: opts.alias,
        uri: `models:/${mv.name}/${mv.version}`,
        context: result.trace.toJSON(),
      };
      return {
        data,
        print: (o) =>
          o.keyValues([
            [
              "model version",
              `${mv.name} v${mv.version} (${result.created ? "created" : "already registered from this run"})`,
            ],
            ["status", mv.status],
            ["run id", data.runId],
            ["mlflow run", data.mlflowRunId],
            ["commit", data.gitSha],
            ["alias", opts.alias],
            ["uri", data.uri],
          ]),
      };
    } finally {
      await client.close();
    }
  });
}
