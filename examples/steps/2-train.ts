/**
 * Step 2, the training job: runs the job definition of step 1 on this machine with the
 * LocalJobRunner (the same tasks Databricks runs: prepare.py, train.py), logging to the MLflow
 * server of MLFLOW_TRACKING_URI. Run it once per parameter set. Adds the run to the state.
 *
 *   MLFLOW_TRACKING_URI=http://127.0.0.1:5000 node examples/steps/2-train.ts --seed 42
 *
 * On Databricks the job step 1 deployed runs there instead (`modeltrail job run --wait`); the
 * tasks read the same parameters and tag the MLflow run the same way.
 */
import { ensureDemoDir } from "../lib/paths.ts";
import { need } from "../lib/state.ts";
import { requireEnv, runStep } from "../lib/step-cli.ts";
import { runTrainingJob } from "../pipeline/train-job.ts";

/** The MLflow experiment the runs go to (job parameter `experiment`). */
const EXPERIMENT = "modeltrail-demo";

await runStep<{ seed?: string }>({
  file: "2-train.ts",
  summary:
    "Step 2, training: LocalJobRunner.run() of step 1's job definition with a seed; the tasks log data, parameters, metrics and the model to MLflow and tag the run with GIT_SHA, DBR_JOB_ID, DBR_RUN_ID.",
  options: { seed: { type: "string", default: "42" } },
  flags: ["--seed N       the job parameter seed (default 42)"],
  env: [
    ["MLFLOW_TRACKING_URI", "the MLflow server the tasks log to (required)"],
    ["MLFLOW_TRACKING_TOKEN", "or _USERNAME/_PASSWORD: its credentials, when it needs them"],
  ],
  async run({ values, state, save, dryRun, signal }) {
    const seed = Number(values.seed);
    if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be a whole number (got ${values.seed})`);
    const ci = need(state.ci, "CI context and job definition", "examples/steps/1-ci.ts");
    const trackingUri = requireEnv("MLFLOW_TRACKING_URI", "the MLflow server the training run logs to");
    if (dryRun) {
      console.log(
        `would run job ${ci.jobId} (${ci.settings.name}) with seed ${seed}, logging to ${trackingUri}`,
      );
      return;
    }
    await ensureDemoDir();
    const trained = await runTrainingJob({
      settings: ci.settings,
      jobId: Number(ci.jobId),
      seed,
      trackingUri,
      experiment: EXPERIMENT,
      signal,
    });
    state.runs = [
      ...(state.runs ?? []),
      { seed, jobRunId: String(trained.run.run_id), mlflowRunId: trained.mlflowRunId, trackingUri },
    ];
    await save();
    console.log(`\nstep 2 done: job run ${trained.run.run_id} -> MLflow run ${trained.mlflowRunId}`);
  },
});
