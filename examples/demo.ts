/**
 * The modeltrail reference pipeline, end to end on this machine, against a real MLflow server:
 *
 *   1. CI            detect the trace context, render + validate the Databricks job template
 *   2. training job  run the job locally (LocalJobRunner), twice (two seeds): prepare data, train, log to MLflow
 *   3. register      model versions tagged GIT_SHA / DBR_RUN_ID / DBR_JOB_ID
 *   4. build image   per run: the model (downloaded by run id) on a base image the demo makes, tagged
 *                    with the run id, into an OCI layout (or MODELTRAIL_REGISTRY), signed provenance
 *   5. deploy        both images, one after the other, to the local deploy target (the serving app
 *                    run from the image as a local process); with --k8s also to a Kubernetes control plane
 *   6. trace         a prediction of what serves, traced from its log line: the five questions
 *   7. rollback      to the previous revision and to a given run id; what answers carries run 1's
 *                    GIT_SHA and RUN_ID; champion alias back
 *
 * Run from the repository root: `./scripts/dev pnpm demo` (or `pnpm build && pnpm demo`).
 * Flags: --json (the result as JSON on stdout, the account on stderr), --k8s (deploy steps to a local
 * Kubernetes control plane), --kubeconfig FILE (to that cluster instead), --help.
 * Starts `mlflow server` from .tools/mlflow-venv on a free port (or uses MLFLOW_TRACKING_URI) and
 * stops it (and the control plane) on exit, on error and on Ctrl-C. Exits 0 when every step that
 * ran passed, 1 on a failure, 2 on bad arguments, 130 when interrupted.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import type { LocalDeployTarget } from "@modeltrail/cli";
import type { TraceContext, TraceHandle, TraceResolver } from "@modeltrail/core";
import type { KubeClient } from "@modeltrail/k8s";
import type { MlflowClient, RegisterModelResult } from "@modeltrail/mlflow";
import type { RegistryClient } from "@modeltrail/registry";
import type { LocalK8s } from "./lib/local-k8s.ts";
import type { LocalMlflow } from "./lib/local-mlflow.ts";
import { DEMO_DIR, MLFLOW_VENV, REPO_ROOT, VENV_PYTHON } from "./lib/paths.ts";
import {
  bold,
  cyan,
  dim,
  green,
  heading,
  red,
  say,
  seconds,
  short,
  stepHeader,
  table,
  yellow,
} from "./lib/print.ts";
import type { DemoResult, StepRecord } from "./lib/result.ts";
import type { RunImage } from "./pipeline/build-image.ts";
import type { LiveTrace } from "./pipeline/deploy-k8s.ts";
import type { LocalLive } from "./pipeline/deploy-local.ts";
import type { NotConfigured } from "./pipeline/trace-verify.ts";
import type { TrainingJobResult } from "./pipeline/train-job.ts";

const TOTAL_STEPS = 7;
/** Registered model name. */
const MODEL_NAME = "modeltrail-demo-churn";
/** MLflow experiment of the training runs. */
const EXPERIMENT = "modeltrail-demo";
/** The two parameter sets the job is run with. */
const SEEDS = [42, 7] as const;

const USAGE = `Usage: pnpm demo [--json] [--k8s | --kubeconfig FILE] [--keep-serving]

  --json             print the result as JSON on stdout (the readable account goes to stderr)
  --k8s              also deploy and roll back on a local Kubernetes control plane (scripts/install-k8s.sh)
  --kubeconfig FILE  also deploy and roll back on the cluster of FILE's current context instead
  --keep-serving     leave the serving process of the local deploy target running after the demo
                     (stop it with \`modeltrail clean\`); by default it is stopped on exit
  --help             this text

Env: MLFLOW_TRACKING_URI (your MLflow server instead of a local one), MODELTRAIL_REGISTRY (also push
the images there, e.g. 127.0.0.1:5000/demo or myacr.azurecr.io/models), MODELTRAIL_HOME (where
everything is written, default ./.modeltrail), MODELTRAIL_DEMO_DEPLOY=1 + DATABRICKS_HOST (create or
update the job in that workspace in step 1).`;

let args: { json: boolean; k8s: boolean; kubeconfig: string | undefined; keepServing: boolean };
try {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      k8s: { type: "boolean", default: false },
      kubeconfig: { type: "string" },
      "keep-serving": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  args = {
    json: values.json,
    k8s: values.k8s || values.kubeconfig !== undefined,
    kubeconfig: values.kubeconfig,
    keepServing: values["keep-serving"],
  };
} catch (err) {
  console.error(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}

// With --json, stdout carries the JSON result only: the readable account goes to stderr.
if (args.json) console.log = (...items: unknown[]) => console.error(...items);

/** Exits with a message when the packages are not built or MLflow is not installed. */
function preflight(): void {
  const missing = ["core", "mlflow", "databricks", "registry", "k8s", "cli", "trace-html"].filter(
    (p) => !existsSync(`${REPO_ROOT}/packages/${p}/dist/index.js`),
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
const [
  core,
  cli,
  mlflow,
  databricks,
  registry,
  k8s,
  paths,
  localMlflow,
  ci,
  trainJob,
  register,
  baseImage,
  buildImage,
  deployK8s,
  deployLocal,
  traceVerify,
  rollback,
  servingApp,
  results,
  progressBars,
  state,
] = await Promise.all([
  import("@modeltrail/core"),
  import("@modeltrail/cli"),
  import("@modeltrail/mlflow"),
  import("@modeltrail/databricks"),
  import("@modeltrail/registry"),
  import("@modeltrail/k8s"),
  import("./lib/paths.ts"),
  import("./lib/local-mlflow.ts"),
  import("./pipeline/ci.ts"),
  import("./pipeline/train-job.ts"),
  import("./pipeline/register.ts"),
  import("./pipeline/base-image.ts"),
  import("./pipeline/build-image.ts"),
  import("./pipeline/deploy-k8s.ts"),
  import("./pipeline/deploy-local.ts"),
  import("./pipeline/trace-verify.ts"),
  import("./pipeline/rollback.ts"),
  import("./pipeline/serving-app.ts"),
  import("./lib/result.ts"),
  import("./lib/progress.ts"),
  import("./lib/state.ts"),
]);
// Progress bars for long transfers: on a terminal only, never with --json or in CI.
progressBars.configureProgress({ json: args.json });

const controller = new AbortController();
const { signal } = controller;
let server: LocalMlflow | undefined;
let cluster: LocalK8s | undefined;
/** The local deploy target, once step 5 deployed to it (its process is stopped on exit unless --keep-serving). */
let localTarget: LocalDeployTarget | undefined;
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

const result: DemoResult = results.emptyResult({ k8s: args.k8s, registry: process.env.MODELTRAIL_REGISTRY });
const steps: StepRecord[] = result.steps;
/** Records a step: `gaps` are what it could not do (yet), said in the output and in the JSON. */
function record(n: number, title: string, gaps: string[] = []): void {
  steps.push({ n, title, status: gaps.length ? "partial" : "passed", gaps });
  for (const gap of gaps) say(yellow(`not done: ${gap}`));
}

async function main(): Promise<void> {
  console.log(bold("modeltrail demo: the reference pipeline, from commit to serving model and back"));
  say(dim(`node ${process.version}, @modeltrail/core ${core.VERSION}, repository ${REPO_ROOT}`), 0);
  await paths.ensureDemoDir();
  // A fresh start: the images and models of an earlier demo belong to runs of an MLflow server that is gone.
  for (const sub of ["images", "base-layout", "models", "job-runs", "trace.html"])
    await rm(`${DEMO_DIR}/${sub}`, { recursive: true, force: true });
  say(
    dim(
      `everything is written to ${relative(REPO_ROOT, DEMO_DIR) || DEMO_DIR} (\`modeltrail clean\` removes ${relative(REPO_ROOT, paths.MODELTRAIL_HOME) || paths.MODELTRAIL_HOME})`,
    ),
    0,
  );

  server = await timed("start MLflow", () => localMlflow.startLocalMlflow({ signal }));
  say(
    server.started
      ? `MLflow ${server.url} started here (sqlite + served artifacts in a temporary directory; stopped on exit)`
      : `MLflow ${server.url} from MLFLOW_TRACKING_URI`,
    0,
  );
  result.mlflow = { url: server.url, started: server.started };
  const client: MlflowClient = await mlflow.MlflowClient.fromEnv({ trackingUri: server.url });
  let registryClient: RegistryClient | undefined;
  let kube: KubeClient | undefined;
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
    result.commit = { gitSha: ctx.code?.gitSha, branch: ctx.code?.branch, dirty: ctx.code?.dirty };
    record(1, "CI", ciResult.deployed ? [] : []);

    // 2. training job, twice
    stepHeader(
      2,
      TOTAL_STEPS,
      "Training job: run it (locally), with two parameter sets",
      "The same job definition runs here as on Databricks: dynamic values ({{job.run_id}}, ...) become local ids, the Python tasks read them with the documented task contract and tag the MLflow run with them. It runs twice, with seeds 42 and 7.",
    );
    const trained: TrainingJobResult[] = [];
    for (const seed of SEEDS) {
      heading(bold(`run with seed ${seed}`));
      trained.push(
        await timed(`2 training job (seed ${seed})`, () =>
          trainJob.runTrainingJob({
            settings: ciResult.settings,
            jobId,
            newId,
            seed,
            trackingUri: server!.url,
            experiment: EXPERIMENT,
            signal,
          }),
        ),
      );
    }
    record(2, "training job");

    // 3. register
    stepHeader(
      3,
      TOTAL_STEPS,
      "Register: traceable model versions",
      "After training, each model is registered; the version carries GIT_SHA, DBR_RUN_ID and DBR_JOB_ID (and the rest of the trace) and a link to its run.",
    );
    const versions: RegisterModelResult[] = [];
    for (const [i, t] of trained.entries()) {
      versions.push(
        await timed(`3 register (run ${i + 1})`, () =>
          register.registerTrainedModel(client, ctx, {
            mlflowRunId: t.mlflowRunId,
            name: MODEL_NAME,
            description: `seed ${SEEDS[i]}, commit ${short(ctx.code?.gitSha)}`,
            signal,
          }),
        ),
      );
    }
    record(3, "register");

    // 4. build the images
    stepHeader(
      4,
      TOTAL_STEPS,
      "Build the image of each run",
      "CD downloads the model by its MLflow run id and builds an image without a Docker engine: a base image the demo makes, the model layer, the trace in its Env (GIT_SHA, RUN_ID) and annotations, tagged with the run id (the Databricks job run id). It goes to an OCI layout (and to MODELTRAIL_REGISTRY when set), with signed SLSA provenance, verified back.",
    );
    // The provenance key: made here for the demo. In CI it comes from a secret or a KMS; step 6
    // verifies the signatures with the public key.
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const images: RunImage[] = await timed("4 build image", async () => {
      const base = await baseImage.makeBaseImage(`${DEMO_DIR}/base-layout`, { signal });
      let push: { client: RegistryClient; repository: string } | undefined;
      const target = process.env.MODELTRAIL_REGISTRY?.trim().replace(/\/+$/, "");
      if (target) {
        registryClient = new registry.RegistryClient({
          credentials: registry.chainCredentials(registry.dockerConfigCredentials()),
        });
        push = { client: registryClient, repository: `${target}/churn-model` };
      }
      const app = await servingApp.stageServingApp();
      const built: RunImage[] = [];
      for (const v of versions) {
        heading(bold(`image of ${MODEL_NAME} v${v.modelVersion.version} (job run ${v.trace.job?.runId})`));
        built.push(
          await buildImage.buildRunImage(client, v.trace, {
            base,
            layoutDir: `${DEMO_DIR}/images`,
            push,
            app,
            signingKey: privateKey,
            publicKey,
            signal,
          }),
        );
      }
      result.baseImage = { ref: base.ref, digest: base.digest, python: base.python, packages: base.packages };
      return built;
    });
    result.runs = versions.map((v, i) => {
      const img = images[i]!;
      return {
        seed: SEEDS[i]!,
        gitSha: v.trace.code?.gitSha,
        jobId: v.trace.job?.jobId,
        jobRunId: v.trace.job?.runId,
        mlflowRunId: v.trace.model?.mlflowRunId,
        model: { name: MODEL_NAME, version: v.modelVersion.version },
        image: {
          tag: img.runId,
          digest: img.digest,
          layoutRef: img.layoutRef,
          pushedRef: img.pushedRef,
          withApp: img.withApp,
          env: { GIT_SHA: img.env.GIT_SHA, RUN_ID: img.env.RUN_ID },
          provenance: img.provenance,
        },
      };
    });
    // The same state the step scripts hand on (examples/steps): `node examples/steps/6-trace.ts` and the
    // others continue from here when MLFLOW_TRACKING_URI names a server that outlives the demo.
    await state.writeState(state.statePath(), {
      schema: state.STATE_SCHEMA,
      ci: { ctx: ctx.toJSON() as Record<string, unknown>, settings: ciResult.settings, jobId: String(jobId) },
      runs: trained.map((t, i) => ({
        seed: SEEDS[i]!,
        jobRunId: String(t.run.run_id),
        mlflowRunId: t.mlflowRunId,
        trackingUri: server!.url,
      })),
      versions: versions.map((v) => ({
        name: MODEL_NAME,
        version: v.modelVersion.version,
        mlflowRunId: String(v.trace.model?.mlflowRunId),
        ctx: v.trace.toJSON() as Record<string, unknown>,
      })),
      images: images.map((img) => ({
        runId: img.runId,
        digest: img.digest,
        layoutDir: `${DEMO_DIR}/images`,
        layoutRef: img.layoutRef,
        pushedRef: img.pushedRef,
        deployRef: img.deployRef,
        ctx: img.ctx.toJSON() as Record<string, unknown>,
      })),
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    });
    record(4, "build image", images[0]?.withApp ? [] : [results.GAPS.servingApp]);

    // 5. deploy
    stepHeader(
      5,
      TOTAL_STEPS,
      "Deploy with the trace, wait, check the live trace",
      `Each image is deployed in turn to the local deploy target: its layers unpacked, its command (the serving app) run as a local process with its env (GIT_SHA, RUN_ID, ...), the demo's Python environment standing in for the base image's, readiness awaited; revisions are kept like a Deployment's.${args.k8s ? " Then each goes to Kubernetes as a Deployment whose pods carry GIT_SHA and RUN_ID in their env and the whole trace in labels and annotations; the rollout is awaited like kubectl rollout status, then what runs is read back and compared with the run." : ""}`,
    );
    const localDeployed: LocalLive[] = [];
    await timed("5 deploy (local)", async () => {
      localTarget = deployLocal.localTarget();
      // a fresh start: an earlier demo's deployment served images of runs that are gone
      await localTarget.remove(deployK8s.DEPLOYMENT_NAME);
      for (const [i, img] of images.entries()) {
        heading(
          bold(
            `deploy run ${img.runId} (${MODEL_NAME} v${versions[i]!.modelVersion.version}) to the local target`,
          ),
        );
        const live = await deployLocal.deployLocal(localTarget, img, `${DEMO_DIR}/images`, { signal });
        if (!live.matches)
          throw new Error(`After deploying run ${img.runId}, the local target serves another trace`);
        localDeployed.push(live);
        if (!args.k8s)
          await rollback.moveChampion(client, MODEL_NAME, versions[i]!.modelVersion.version, { signal });
      }
      await deployLocal.printLocalHistory(localTarget);
    });
    const deployed: LiveTrace[] = [];
    if (args.k8s) {
      await timed("5 deploy", async () => {
        if (args.kubeconfig) {
          kube = new k8s.KubeClient({ kubeconfig: args.kubeconfig });
          say(`cluster: ${args.kubeconfig}, its current context`, 2);
        } else {
          heading(
            "starting a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler; kwok plays the node)",
          );
          const { startLocalK8s } = await import("./lib/local-k8s.ts");
          cluster = await startLocalK8s();
          kube = new k8s.KubeClient({ kubeconfig: cluster.kubeconfig });
          say(dim(`${cluster.server} (kubeconfig ${cluster.kubeconfig}; stopped on exit)`), 4);
          say(
            dim(
              "kwok marks pods running and ready without pulling the image: the rollout, revisions and traces are Kubernetes' own, the containers are not run",
            ),
            4,
          );
        }
        for (const [i, img] of images.entries()) {
          heading(bold(`deploy run ${img.runId} (${MODEL_NAME} v${versions[i]!.modelVersion.version})`));
          const live = await deployK8s.deployImage(kube, img, { signal });
          if (!live.matches)
            throw new Error(`After deploying run ${img.runId}, the Deployment runs another trace`);
          deployed.push(live);
          await rollback.moveChampion(client, MODEL_NAME, versions[i]!.modelVersion.version, { signal });
        }
        await deployK8s.printHistory(kube, { signal });
      });
      result.deploy = { target: "kubernetes", deployments: deployed.map(results.liveJson), rollbacks: [] };
    } else
      result.deploy = { target: "local", deployments: localDeployed.map(results.liveJson), rollbacks: [] };
    result.deploy.local = {
      url: localDeployed.at(-1)?.url ?? "",
      stateDir: deployLocal.LOCAL_STATE_DIR,
      deployments: localDeployed.map(results.liveJson),
      rollbacks: [],
    };
    record(5, "deploy");

    // 6. predict and trace
    stepHeader(
      6,
      TOTAL_STEPS,
      "Predict, and trace what serves back to the five answers; verify every link",
      "trace() starts from what you have in hand during an incident and reads every system the pipeline can reach (MLflow, the image store, Kubernetes), each answer with its source; verify() checks that the systems agree on every link (commit, run id, digests, model files, signed provenance, data).",
    );
    heading(bold("a prediction from what serves: the local target's process"));
    const prediction = await timed("6 predict", () =>
      deployLocal.predict(localTarget!, "demo-predict-1", { signal }),
    );
    result.prediction = prediction;
    const traced = await timed("6 trace and verify", async () => {
      const resolvers: TraceResolver[] = [
        // what serves locally: the deployment, its revisions, the process and this host
        cli.localTraceResolver(localTarget!),
        mlflow.mlflowTraceResolver(client),
        // the training job ran on the LocalJobRunner: its run records stand in for Databricks' jobs/runs/get
        databricks.localJobTraceResolver({ dir: paths.JOB_RUNS_DIR }),
        registry.layoutTraceResolver(`${DEMO_DIR}/images`, { publicKey }),
      ];
      const notConfigured: NotConfigured[] = [];
      if (registryClient) {
        const target = process.env.MODELTRAIL_REGISTRY!.trim().replace(/\/+$/, "");
        resolvers.push(
          registry.registryTraceResolver(registryClient, {
            repositories: [`${target}/churn-model`],
            publicKey,
          }),
        );
      } else
        notConfigured.push({
          system: "registry",
          why: "MODELTRAIL_REGISTRY is not set: the images are in the OCI layout",
        });
      if (kube)
        resolvers.push(k8s.kubernetesTraceResolver(kube, { cluster: args.kubeconfig ? undefined : "local" }));
      else notConfigured.push({ system: "kubernetes", why: "no --k8s" });
      let handle: TraceHandle;
      let origin: string;
      if (prediction.logLine) {
        // what an incident starts from: the JSON log line the serving process wrote for the prediction
        // (the local target's process answered it, also with --k8s: kwok's pods run no container)
        handle = core.parseTraceHandle(prediction.logLine);
        origin = `the log line of the prediction above (request ${prediction.headers["x-request-id"]}, local deployment ${deployK8s.DEPLOYMENT_NAME})`;
      } else {
        const last = images[images.length - 1]!;
        // the layout as skopeo names it, relative to where the demo runs: oci:.modeltrail/demo/images:<run id>
        handle = {
          kind: "image",
          ref: `oci:${relative(process.cwd(), `${DEMO_DIR}/images`) || "."}:${last.runId}`,
        };
        origin = `the image that serves (${last.layoutRef}): the prediction's log line was not found`;
      }
      const fromLogLine = await traceVerify.traceAndVerify(handle, {
        resolvers,
        notConfigured,
        origin,
        signal,
      });
      if (!kube) return { ...fromLogLine, deployment: undefined };
      // The same question asked of the cluster: the Deployment the pipeline rolled out there. Its
      // lineage must name the same commit, run and image as the log line's.
      heading(bold("the same question asked of the cluster: the Kubernetes Deployment"));
      const deployment = await traceVerify.traceAndVerify(
        { kind: "deployment", namespace: kube.namespace, name: deployK8s.DEPLOYMENT_NAME },
        {
          resolvers,
          origin: `the live Deployment (kubectl get deployment ${deployK8s.DEPLOYMENT_NAME} -n ${kube.namespace})`,
          signal,
        },
      );
      return { ...fromLogLine, deployment };
    });
    result.trace = results.traceJson(traced.report, traced.verified);
    result.verify = results.verifyJson(traced.verified);
    /** What the Deployment's lineage names differently from the log line's (with --k8s). */
    let differs: string[] = [];
    if (traced.deployment) {
      const d = traced.deployment;
      result.deploymentTrace = {
        ...results.traceJson(d.report, d.verified),
        verify: results.verifyJson(d.verified),
      };
      differs = traceVerify.lineageDifferences(result.trace, result.deploymentTrace);
      say(
        differs.length === 0
          ? green(
              `the cluster's Deployment runs what answered the prediction: commit ${short(result.trace.gitSha)}, job run ${result.trace.jobRunId}, image ${short(result.trace.imageDigest?.slice(7))}`,
            )
          : red(`the cluster's Deployment runs something else: ${differs.join("; ")}`),
        4,
      );
    }
    heading("renderTraceHtml(report, verifyResult): the trace page");
    result.tracePage = await traceVerify.writeTracePage(paths.TRACE_PAGE, traced.verified);
    say(
      `${relative(process.cwd(), result.tracePage)}  ${dim("(one self-contained HTML file: open it in a browser)")}`,
      4,
    );
    if (!traced.verified.ok) throw new Error("verify() found a broken link between the systems (above)");
    if (traced.deployment && !traced.deployment.verified.ok)
      throw new Error(
        "verify() from the Kubernetes Deployment found a broken link between the systems (above)",
      );
    if (differs.length > 0)
      throw new Error(
        `The Kubernetes Deployment and the process that answered the prediction run different things: ${differs.join("; ")}`,
      );
    record(6, "predict and trace", prediction.logLine ? [] : [results.GAPS.predict]);

    // 7. rollback
    stepHeader(
      7,
      TOTAL_STEPS,
      "Roll back: to the previous image, and to a given run id",
      "Rolling back without a run id goes to the previous revision (like kubectl rollout undo); with a run id, to the latest revision that ran it. What serves afterwards carries the earlier GIT_SHA and RUN_ID; the MLflow alias champion follows.",
    );
    await timed("7 rollback", async () => {
      const [first, second] = images as [RunImage, RunImage];
      const target = localTarget!;
      heading(bold("on the local target"));
      const undo = await deployLocal.rollbackLocal(target, first, { signal });
      const forward = await deployLocal.rollbackLocal(target, second, { toRunId: second.runId, signal });
      const back = await deployLocal.rollbackLocal(target, first, { toRunId: first.runId, signal });
      await deployLocal.printLocalHistory(target);
      for (const r of [undo, forward, back])
        if (!r.matches)
          throw new Error(
            "After a rollback, the local target serves another trace than the one rolled back to",
          );
      result.deploy.local!.rollbacks = [undo, forward, back].map(results.liveJson);
      result.deploy.local!.final = results.liveJson(back);
      if (!kube) {
        result.deploy.rollbacks = result.deploy.local!.rollbacks;
        result.deploy.final = result.deploy.local!.final;
      }
      heading(bold("what answers now: a prediction after the rollback"));
      const after = await deployLocal.predict(target, "demo-after-rollback", { signal });
      // the response's headers, its body's trace and its log line must all carry run 1's commit and run id
      const answered = deployLocal.answeredBy(after, first);
      const { gitSha, runId } = answered;
      if (!answered.ok)
        throw new Error(
          `After the rollback the serving process does not answer as run ${first.runId}: ${answered.problems.join("; ")}`,
        );
      say(
        green(`the response and its log line carry run 1's GIT_SHA ${short(gitSha)} and RUN_ID ${runId}`),
        4,
      );
      result.serving = {
        gitSha: gitSha!,
        runId: runId!,
        source: `POST ${after.url}/invocations: response headers x-modeltrail-git-sha/x-modeltrail-run-id and the request's JSON log line (local deployment ${deployK8s.DEPLOYMENT_NAME}, revision ${back.revision})`,
      };
      if (kube) {
        heading(bold("on Kubernetes"));
        const undo = await deployK8s.rollbackTo(kube, first, { signal });
        const forward = await deployK8s.rollbackTo(kube, second, { toRunId: second.runId, signal });
        const back = await deployK8s.rollbackTo(kube, first, { toRunId: first.runId, signal });
        await deployK8s.printHistory(kube, { signal });
        result.deploy.rollbacks = [undo, forward, back].map(results.liveJson);
        result.deploy.final = results.liveJson(back);
        for (const r of [undo, forward, back])
          if (!r.matches)
            throw new Error(
              "After a rollback, the Deployment runs another trace than the one rolled back to",
            );
      }
      heading(`the MLflow alias follows: champion back to v${versions[0]!.modelVersion.version}`);
      await rollback.moveChampion(client, MODEL_NAME, versions[0]!.modelVersion.version, { signal });
      await rollback.printVersions(client, MODEL_NAME, { signal });
    });
    record(7, "rollback");

    // summary
    const pipelineMs = Date.now() - pipelineStarted;
    console.log("");
    console.log(cyan(bold(`━━ Summary ${"━".repeat(80)}`)));
    const code = ctx.code;
    const startMs = timings.find(([l]) => l === "start MLflow")?.[1] ?? 0;
    const rows: Array<[string, string]> = [
      ["commit", `${code?.gitSha}${code?.branch ? ` (${code.branch}${code.dirty ? ", dirty" : ""})` : ""}`],
      [
        "job",
        `${ciResult.rendered.settings.name}, ${ciResult.deployed ? "Databricks" : "local"} job ${jobId}`,
      ],
    ];
    for (const [i, r] of result.runs.entries())
      rows.push([
        i === 0 ? "runs" : "",
        `seed ${r.seed}: job run ${r.jobRunId} -> MLflow run ${short(r.mlflowRunId)} -> v${r.model.version} -> image :${r.image.tag} ${short(r.image.digest.slice(7))} (provenance ${r.image.provenance.verified ? "verified" : "NOT verified"})`,
      ]);
    if (result.serving)
      rows.push([
        "serving (local)",
        `${result.deploy.local?.url} revision ${result.deploy.local?.final?.revision}: answers with GIT_SHA ${short(result.serving.gitSha)} RUN_ID ${result.serving.runId} = run 1 after the rollbacks`,
      ]);
    if (kube && result.deploy.final)
      rows.push([
        "serving (k8s)",
        `revision ${result.deploy.final.revision}: GIT_SHA ${short(result.deploy.final.gitSha)} RUN_ID ${result.deploy.final.runId} = run 1 after the rollbacks`,
      ]);
    const lineage = traced.report.lineages[0];
    rows.push([
      "trace",
      `${result.trace.handle}: ${lineage?.artifacts.modelName?.value ?? "?"} v${lineage?.artifacts.modelVersion?.value ?? "?"} <- MLflow run ${short(String(lineage?.artifacts.mlflowRunId?.value ?? ""))} <- job run ${lineage?.infrastructure.training.jobRunId?.value ?? "?"} <- commit ${short(String(lineage?.code.gitSha?.value ?? ""))}; ${Object.values(result.trace.sections).filter((s) => s.answered).length}/5 questions answered, ${traced.report.requests.total} requests`,
    ]);
    rows.push([
      "verify",
      `${traced.verified.ok ? "ok" : "FAILED"}: ${traced.verified.summary.pass} passed, ${traced.verified.summary.fail} failed, ${traced.verified.summary.unknown} unknown`,
    ]);
    const dt = result.deploymentTrace;
    if (traced.deployment && dt)
      rows.push([
        "trace (k8s)",
        `${dt.handle}: job run ${dt.jobRunId ?? "?"}, commit ${short(dt.gitSha)}, image ${short(dt.imageDigest?.slice(7))} (the same as the log line's); ${Object.values(dt.sections).filter((s) => s.answered).length}/5 questions answered, ${dt.requests?.total} requests; verify ${dt.verify.ok ? "ok" : "FAILED"}: ${dt.verify.summary.pass} passed, ${dt.verify.summary.fail} failed, ${dt.verify.summary.unknown} unknown`,
      ]);
    rows.push(["MLflow", `${server.url}${server.started ? " (started here, stopped on exit)" : ""}`]);
    rows.push([
      "time",
      `MLflow start ${seconds(startMs)}; pipeline ${seconds(pipelineMs)} (${timings
        .filter(([l]) => /^\d/.test(l))
        .map(([l, ms]) => `${l}: ${seconds(ms)}`)
        .join(", ")})`,
    ]);
    table(rows, 2);
    result.timings = Object.fromEntries(timings);
    const gaps = steps.flatMap((s) => s.gaps.map((g) => `step ${s.n}: ${g}`));
    console.log("");
    if (gaps.length === 0) console.log(green(bold("demo finished: every step passed")));
    else {
      console.log(green(bold("demo finished: every step that ran passed")));
      console.log(yellow(bold(`not done yet (${gaps.length}):`)));
      for (const g of gaps) say(yellow(g));
    }
  } finally {
    await client.close();
    await registryClient?.close();
    await kube?.close();
  }
}

let exitCode = 0;
try {
  await main();
  result.ok = true;
} catch (err) {
  exitCode = interrupted ? 130 : 1;
  result.ok = false;
  result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
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
  if (localTarget && !args.keepServing) {
    say(
      dim(
        `stopping the local serving process (its revisions stay: modeltrail history ${deployK8s.DEPLOYMENT_NAME} --target local)...`,
      ),
      0,
    );
    await localTarget.stop(deployK8s.DEPLOYMENT_NAME).catch(() => undefined);
  } else if (localTarget) {
    const url = result.deploy.local?.url;
    say(`the serving process keeps running at ${url} (modeltrail clean stops it)`, 0);
  }
  if (cluster) {
    say(dim("stopping the Kubernetes control plane..."), 0);
    await cluster.stop();
  }
  if (server?.started) {
    say(dim("stopping the MLflow server..."), 0);
    await server.stop();
  }
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
}
if (interrupted) exitCode = 130;
result.gaps = steps.flatMap((s) => s.gaps.map((g) => `step ${s.n}: ${g}`));
if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(exitCode);
