/**
 * Step 3, register: each training run of step 2 (or the one named with --run-id) becomes a model
 * version tagged with its trace (GIT_SHA, DBR_RUN_ID, DBR_JOB_ID, ...). Idempotent: registering a run
 * twice gives the same version. Adds the versions to the state.
 *
 *   MLFLOW_TRACKING_URI=http://127.0.0.1:5000 node examples/steps/3-register.ts
 */
import { parseTraceContext } from "@modeltrail/core";
import { MlflowClient } from "@modeltrail/mlflow";
import { need } from "../lib/state.ts";
import { requireEnv, runStep } from "../lib/step-cli.ts";
import { registerTrainedModel } from "../pipeline/register.ts";

await runStep<{ name: string; "run-id"?: string }>({
  file: "3-register.ts",
  summary:
    "Step 3, register: registerModel() of each training run's model with the CI context extended by the run's trace tags and data.",
  options: { name: { type: "string", default: "modeltrail-demo-churn" }, "run-id": { type: "string" } },
  flags: [
    "--name NAME    the registered model (default modeltrail-demo-churn)",
    "--run-id ID    only this MLflow run (default: every run of step 2 not registered yet)",
  ],
  env: [
    ["MLFLOW_TRACKING_URI", "the MLflow server (required); Databricks: databricks, with DATABRICKS_HOST"],
    ["MLFLOW_TRACKING_TOKEN", "or _USERNAME/_PASSWORD: its credentials, when it needs them"],
  ],
  async run({ values, state, save, dryRun, signal }) {
    const ci = need(state.ci, "CI context", "examples/steps/1-ci.ts");
    const runs = values["run-id"]
      ? [{ mlflowRunId: values["run-id"], seed: undefined }]
      : need(state.runs, "training runs", "examples/steps/2-train.ts");
    const done = new Set((state.versions ?? []).map((v) => v.mlflowRunId));
    const todo = runs.filter((r) => values["run-id"] || !done.has(r.mlflowRunId));
    requireEnv("MLFLOW_TRACKING_URI", "the MLflow server to register in");
    if (dryRun) {
      console.log(
        `would register ${todo.map((r) => r.mlflowRunId).join(", ") || "nothing"} as ${values.name}`,
      );
      return;
    }
    const client = await MlflowClient.fromEnv();
    try {
      for (const r of todo) {
        const registered = await registerTrainedModel(client, parseTraceContext(ci.ctx), {
          mlflowRunId: r.mlflowRunId,
          name: values.name,
          ...(r.seed !== undefined ? { description: `seed ${r.seed}` } : {}),
          signal,
        });
        state.versions = [
          ...(state.versions ?? []).filter((v) => v.mlflowRunId !== r.mlflowRunId),
          {
            name: values.name,
            version: registered.modelVersion.version,
            mlflowRunId: r.mlflowRunId,
            ctx: registered.trace.toJSON() as Record<string, unknown>,
          },
        ];
        await save();
        console.log(
          `\nregistered ${values.name} v${registered.modelVersion.version} (MLflow run ${r.mlflowRunId})`,
        );
      }
    } finally {
      await client.close();
    }
  },
});
