/**
 * The modeltrail reference pipeline, end to end on this machine, against a real MLflow server:
 *
 *   1. CI            detect the trace context, render + validate the Databricks job template
 *   2. training job  run the job locally (LocalJobRunner): prepare data, train, log to MLflow
 *   3. register      a model version tagged GIT_SHA / DBR_RUN_ID / DBR_JOB_ID; alias champion
 *   4. CD            download the model by run id; the env, labels, annotations of image and Deployment
 *   5. incident      which model is serving, where did it come from: the five questions
 *   6. rollback      train a second version, promote it, move champion back
 *
 * Run from the repository root: `./scripts/dev pnpm demo` (or `pnpm build && pnpm demo`).
 * Starts `mlflow server` from .tools/mlflow-venv on a free port (or uses MLFLOW_TRACKING_URI) and
 * stops it on exit, on error and on Ctrl-C. Exits 0 on success, 1 on failure, 130 when interrupted.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TraceContext } from "@modeltrail/core";
import type { MlflowClient } from "@modeltrail/mlflow";
import type { LocalMlflow } from "./lib/local-mlflow.ts";
import { MLFLOW_VENV, REPO_ROOT, VENV_PYTHON } from "./lib/paths.ts";
import { bold, cyan, dim, green, heading, red, say, seconds, short, stepHeader, table } from "./lib/print.ts";

const TOTAL_STEPS = 6;
/** Registered model name. */
const MODEL_NAME = "modeltrail-demo-churn";
/** MLflow experiment of the training runs. */
const EXPERIMENT = "modeltrail-demo";
const FIRST_SEED = 42;
const SECOND_SEED = 7;

/** Exits with a message when the packages are not built or MLflow is not installed. */
function preflight(): void {
  const missing = ["core", "mlflow", "databricks"].filter(
    (p) => !existsSync(join(REPO_ROOT, "packages", p, "dist", "index.js")),
  );
  if (missing.length > 0) {
    console.error(
      `The packages ${missing.map((p) => `@modeltrail/${p}`).join(", ")} are not built: run "pnpm build" first (./scripts/dev pnpm demo does it for you).`,
    );
    process.exit(1);
  }
  if (!process.env.MLFLOW_TRACKING_URI && !existsSync(VENV_PYTHON)) {
    console.error(
      `MLflow is not installed in ${MLFLOW_VENV}: run "bash scripts/install-mlflow.sh" (./scripts/dev pnpm demo does it for you).`,
    );
    process.exit(1);
  }
}

preflight();
// Loaded after the preflight check, so that a missing build gives the message above.
const [core, mlflow, databricks, localMlflow, ci, trainJob, register, cd, incident, rollback] =
  await Promise.all([
    import("@modeltrail/core"),
    import("@modeltrail/mlflow"),
    import("@modeltrail/databricks"),
    import("./lib/local-mlflow.ts"),
    import("./pipeline/ci.ts"),
    import("./pipeline/train-job.ts"),
    import("./pipeline/register.ts"),
    import("./pipeline/cd.ts"),
    import("./pipeline/incident.ts"),
    import("./pipeline/rollback.ts"),
  ]);

const controller = new AbortController();
const { signal } = controller;
let server: LocalMlflow | undefined;
let interrupted = false;

function onSignal(sig: NodeJS.Signals): void {
  if (interrupted) {
    // second Ctrl-C: do not wait for a graceful shutdown
    server?.kill();
    process.exit(130);
  }
  interrupted = true;
  console.error(`\n${sig}: stopping (press Ctrl-C again to kill at once)`);
  controller.abort(new Error(`interrupted by ${sig}`));
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const timings: Array<[string, number]> = [];
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings.push([label, Date.now() - started]);
  }
}

async function main(): Promise<void> {
  console.log(bold("modeltrail demo: the reference pipeline, from commit to serving model and back"));
  say(dim(`node ${process.version}, @modeltrail/core ${core.VERSION}, repository ${REPO_ROOT}`), 0);

  server = await timed("start MLflow", () => localMlflow.startLocalMlflow({ signal }));
  say(
    server.started
      ? `MLflow ${server.url} started here (sqlite + served artifacts in a temporary directory; stopped on exit)`
      : `MLflow ${server.url} from MLFLOW_TRACKING_URI`,
    0,
  );
  const client: MlflowClient = await mlflow.MlflowClient.fromEnv({ trackingUri: server.url });
  const pipelineStarted = Date.now();
  try {
    // 1. CI
    stepHeader(
      1,
      TOTAL_STEPS,
      "CI: trace context, job template",
      "CI knows the commit. It detects the trace context, renders the Databricks job definition with the commit injected (GIT_SHA), validates it, and creates or updates the job.",
    );
    const ciResult = await timed("1 CI", () => ci.ciStep({ signal }));
    const ctx: TraceContext = ciResult.ctx;
    // Local ids look like Databricks ids; one generator for the job, run and task run ids keeps them distinct.
    const newId = databricks.createLocalIdGenerator();
    const jobId = ciResult.deployed?.jobId ?? newId();

    // 2. training job
    stepHeader(
      2,
      TOTAL_STEPS,
      "Training job: run it (locally)",
      "The same job definition runs here as on Databricks: dynamic values ({{job.run_id}}, ...) become local ids, the Python tasks read them with the documented task contract and tag the MLflow run with them.",
    );
    const first = await timed("2 training job", () =>
      trainJob.runTrainingJob({
        settings: ciResult.settings,
        jobId,
        newId,
        seed: FIRST_SEED,
        trackingUri: server!.url,
        experiment: EXPERIMENT,
        signal,
      }),
    );

    // 3. register
    stepHeader(
      3,
      TOTAL_STEPS,
      "Register: a traceable model version",
      "After training, the model is registered; the version carries GIT_SHA, DBR_RUN_ID and DBR_JOB_ID (and the rest of the trace) and a link to its run. The alias champion marks what CD deploys.",
    );
    const v1 = await timed("3 register", async () => {
      const registered = await register.registerTrainedModel(client, ctx, {
        mlflowRunId: first.mlflowRunId,
        name: MODEL_NAME,
        description: `seed ${FIRST_SEED}, commit ${short(ctx.code?.gitSha)}`,
        signal,
      });
      console.log("");
      await rollback.moveChampion(client, MODEL_NAME, registered.modelVersion.version, { signal });
      return registered;
    });

    // 4. CD
    stepHeader(
      4,
      TOTAL_STEPS,
      "CD: model artifact, image and Deployment metadata",
      "CD downloads the model by its MLflow run id and builds an image tagged with the run id (the Databricks job run id, DBR_RUN_ID); the container gets GIT_SHA and RUN_ID in its env, the image and Deployment the labels and annotations.",
    );
    const cdResult = await timed("4 CD", () => cd.cdStep(client, v1.trace, { signal }));

    // 5. incident
    stepHeader(
      5,
      TOTAL_STEPS,
      "Incident: which model is serving, where did it come from?",
      "Starting from the Deployment's annotations, the registry answers the five questions: code, infrastructure, environment, artifacts, data.",
    );
    const answers = await timed("5 incident", () =>
      incident.incidentStep(client, cdResult.annotations, { signal }),
    );

    // 6. rollback
    stepHeader(
      6,
      TOTAL_STEPS,
      "Rollback preview: a second version, then back",
      "The job runs again (another seed) and CD promotes the new version; rolling back moves models:/name@champion back to the previous version, whose run id (its job run id) names the image to redeploy.",
    );
    const { second, v2, back } = await timed("6 rollback", async () => {
      const second = await trainJob.runTrainingJob({
        settings: ciResult.settings,
        jobId,
        newId,
        seed: SECOND_SEED,
        trackingUri: server!.url,
        experiment: EXPERIMENT,
        signal,
      });
      const v2 = await register.registerTrainedModel(client, ctx, {
        mlflowRunId: second.mlflowRunId,
        name: MODEL_NAME,
        description: `seed ${SECOND_SEED}, commit ${short(ctx.code?.gitSha)}`,
        signal,
      });
      heading(`CD promotes v${v2.modelVersion.version}`);
      await rollback.moveChampion(client, MODEL_NAME, v2.modelVersion.version, { signal });
      await rollback.printVersions(client, MODEL_NAME, { signal });
      heading(`rollback: champion back to the previous version, v${v1.modelVersion.version}`);
      const back = await rollback.moveChampion(client, MODEL_NAME, v1.modelVersion.version, { signal });
      return { second, v2, back };
    });

    // summary
    const pipelineMs = Date.now() - pipelineStarted;
    console.log("");
    console.log(cyan(bold(`━━ Summary ${"━".repeat(80)}`)));
    const code = ctx.code;
    const startMs = timings.find(([l]) => l === "start MLflow")?.[1] ?? 0;
    const summary: Array<[string, string]> = [
      ["commit", `${code?.gitSha}${code?.branch ? ` (${code.branch}${code.dirty ? ", dirty" : ""})` : ""}`],
      [
        "job",
        `${ciResult.rendered.settings.name}, ${ciResult.deployed ? "Databricks" : "local"} job ${jobId}`,
      ],
      [
        "training runs",
        `job run ${first.run.run_id} (seed ${FIRST_SEED}) -> MLflow run ${first.mlflowRunId} -> ${MODEL_NAME} v${v1.modelVersion.version}`,
      ],
      [
        "",
        `job run ${second.run.run_id} (seed ${SECOND_SEED}) -> MLflow run ${second.mlflowRunId} -> ${MODEL_NAME} v${v2.modelVersion.version}`,
      ],
      [
        "version tags",
        `GIT_SHA=${short(code?.gitSha)}... DBR_JOB_ID=${jobId} DBR_RUN_ID=<job run> (+ run link, data, runtime)`,
      ],
      [
        "model downloaded",
        `.tmp/demo/model: ${cdResult.files.length} files, sha256:${short(cdResult.treeSha256, 16)}...`,
      ],
      ["serving (would be)", `${cdResult.servingCtx.image?.ref}`],
      [
        "incident",
        `v${answers.version} <- MLflow run ${short(answers.trace.model?.mlflowRunId)} <- job run ${answers.trace.job?.runId} <- commit ${short(answers.trace.code?.gitSha)}; ${answers.versionsOfCommit.length} version(s) of this commit`,
      ],
      [
        "champion",
        `v${v2.modelVersion.version} after promotion, rolled back to v${back.version} (run ${back.runId})`,
      ],
      ["MLflow", `${server.url}${server.started ? " (started here, stopped on exit)" : ""}`],
      [
        "time",
        `MLflow start ${seconds(startMs)}; pipeline ${seconds(pipelineMs)} (${timings
          .filter(([l]) => /^\d/.test(l))
          .map(([l, ms]) => `${l.split(" ")[0]}: ${seconds(ms)}`)
          .join(", ")})`,
      ],
    ];
    table(summary, 2);
    console.log("");
    console.log(green(bold("demo finished: every step passed")));
  } finally {
    await client.close();
  }
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = interrupted ? 130 : 1;
  if (!interrupted) {
    console.error("");
    console.error(red(bold("demo failed:")));
    if (core.isModelTrailError(err)) console.error(`${err.name} [${err.code}]: ${err.message}`);
    else if (err instanceof Error && err.constructor === Error)
      console.error(err.message); // ours: the message says it all
    else console.error(err); // unexpected: with its stack
    const fromServer =
      core.isModelTrailError(err) &&
      (("service" in err && err.service === "mlflow") || ["NETWORK_ERROR", "TIMEOUT"].includes(err.code));
    if (server?.started && fromServer) {
      console.error(dim(`last lines of the MLflow server log (${server.logFile}):`));
      console.error(dim(server.logTail(15)));
    }
  }
} finally {
  if (server?.started) {
    say(dim("stopping the MLflow server..."), 0);
    await server.stop();
  }
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
}
if (interrupted) exitCode = 130;
process.exit(exitCode);
