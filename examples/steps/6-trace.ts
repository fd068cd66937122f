/**
 * Step 6, the incident: "which model is answering, and where did it come from?" From a handle (a
 * prediction's JSON log line, `deployment/<ns>/<name>`, an image, `models:/<name>/<version>`, a run
 * id, a commit), trace() answers the five questions through every system the environment reaches,
 * verify() checks every link, and the trace page is written. Exits 3 when a check fails, as
 * `modeltrail verify` does.
 *
 * With no --handle it follows step 5: on the local target it asks the serving process for a
 * prediction and traces the JSON line the app logged for it (what an incident starts from); on
 * Kubernetes it traces the Deployment; with nothing deployed, the last image of step 4.
 *
 *   MLFLOW_TRACKING_URI=... node examples/steps/6-trace.ts                 # a prediction of step 5's deployment
 *   node examples/steps/6-trace.ts --handle '{"git_sha":"...","run_id":"1795788642450001"}'
 */

import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { localTraceResolver } from "@modeltrail/cli";
import { parseTraceHandle, type TraceHandle, type TraceResolver } from "@modeltrail/core";
import { DatabricksClient, databricksTraceResolver, localJobTraceResolver } from "@modeltrail/databricks";
import { KubeClient, kubernetesTraceResolver } from "@modeltrail/k8s";
import { MlflowClient, mlflowTraceResolver } from "@modeltrail/mlflow";
import {
  chainCredentials,
  dockerConfigCredentials,
  layoutTraceResolver,
  RegistryClient,
  registryTraceResolver,
} from "@modeltrail/registry";
import { DEMO_DIR, ensureDemoDir, JOB_RUNS_DIR, TRACE_PAGE } from "../lib/paths.ts";
import { runStep } from "../lib/step-cli.ts";
import { DEPLOYMENT_NAME } from "../pipeline/deploy-k8s.ts";
import { LOCAL_STATE_DIR, localTarget, predict } from "../pipeline/deploy-local.ts";
import { type NotConfigured, traceAndVerify, writeTracePage } from "../pipeline/trace-verify.ts";

await runStep<{ handle?: string; kubeconfig?: string; html?: string }>({
  file: "6-trace.ts",
  summary:
    "Step 6, trace and verify: trace() and verify() of a handle with one resolver per system the environment reaches; the five answers with their sources, every check, and the trace page (renderTraceHtml).",
  options: { handle: { type: "string" }, kubeconfig: { type: "string" }, html: { type: "string" } },
  flags: [
    "--handle TEXT      what to trace (default: step 5's deployment: on the local target the log line of a",
    "                   prediction it answers, on Kubernetes the Deployment; else the last image of step 4)",
    "--kubeconfig FILE  the cluster (default KUBECONFIG when set)",
    `--html FILE        the trace page (default ${TRACE_PAGE})`,
  ],
  env: [
    ["MLFLOW_TRACKING_URI", "MLflow: model versions, runs, datasets, files (and its token/credentials)"],
    ["DATABRICKS_HOST", "Databricks: the training job run, its cluster and parameters (and its auth)"],
    ["MODELTRAIL_REGISTRY", "the registry the images were pushed to (DOCKER_CONFIG for credentials)"],
    ["KUBECONFIG", "Kubernetes: the live Deployment, its revisions, pods and nodes"],
    ["(always)", "the OCI layout of step 4 and the LocalJobRunner's run records, when they are there"],
    ["MODELTRAIL_HOME", `the local deploy target's state (${LOCAL_STATE_DIR}), when step 5 deployed there`],
  ],
  async run({ values, state, save, dryRun, signal }) {
    const resolvers: TraceResolver[] = [];
    const notConfigured: NotConfigured[] = [];
    const closers: Array<() => Promise<void>> = [];
    const publicKey = state.publicKeyPem ? createPublicKey(state.publicKeyPem) : undefined;
    const deployed = state.deployed;
    // what step 5 deployed to the local target answers on this machine: a cluster only when named
    const kubeconfig =
      values.kubeconfig ??
      (deployed?.target === "local" ? undefined : (deployed?.kubeconfig ?? process.env.KUBECONFIG?.trim()));
    const local =
      deployed?.target === "local" || existsSync(LOCAL_STATE_DIR)
        ? localTarget({ stateDir: deployed?.stateDir })
        : undefined;
    let handle: string | TraceHandle | undefined = values.handle;
    let origin = "the handle given";
    // on the local target: a prediction, traced from its log line (set below, after the dry run)
    const fromPrediction = !handle && deployed?.target === "local";
    if (fromPrediction) {
      handle = `deployment/${deployed.namespace}/${DEPLOYMENT_NAME}`;
      origin = "the log line of a prediction of step 5's local deployment";
    } else if (!handle && deployed) {
      handle = `deployment/${deployed.namespace}/${DEPLOYMENT_NAME}`;
      origin = "the deployment of step 5";
    } else if (!handle && state.images?.length) {
      const last = state.images.at(-1)!;
      handle = `oci:${last.layoutDir}:${last.runId}`;
      origin = "the last image of step 4";
    }
    // the layouts of step 4 that are on this machine (steps may run on other machines: CI jobs)
    const layouts = [...new Set((state.images ?? []).map((i) => i.layoutDir))].filter((d) =>
      existsSync(join(d, "index.json")),
    );
    if (layouts.length === 0 && existsSync(join(DEMO_DIR, "images"))) layouts.push(join(DEMO_DIR, "images"));
    if (!handle)
      throw new Error("Nothing to trace: pass --handle, or run examples/steps/4-build-image.ts first");
    if (dryRun) {
      const systems = [
        process.env.MLFLOW_TRACKING_URI && "mlflow",
        process.env.DATABRICKS_HOST && "databricks",
        existsSync(JOB_RUNS_DIR) && "local-job",
        layouts.length > 0 && "oci-layout",
        local && "local-deploy",
        process.env.MODELTRAIL_REGISTRY && "registry",
        kubeconfig && "kubernetes",
      ].filter(Boolean);
      console.log(
        fromPrediction
          ? `would ask ${DEPLOYMENT_NAME} on the local target (${deployed?.url}) for a prediction and trace and verify its log line through ${systems.join(", ")}`
          : `would trace and verify ${String(handle)} (${origin}) through ${systems.join(", ") || "no system"}`,
      );
      return;
    }
    try {
      if (process.env.MLFLOW_TRACKING_URI) {
        const mlflow = await MlflowClient.fromEnv();
        closers.push(() => mlflow.close());
        resolvers.push(mlflowTraceResolver(mlflow));
      } else notConfigured.push({ system: "mlflow", why: "MLFLOW_TRACKING_URI is not set" });
      if (process.env.DATABRICKS_HOST) {
        const dbx = await DatabricksClient.fromEnv();
        closers.push(() => dbx.close());
        resolvers.push(databricksTraceResolver(dbx));
      } else notConfigured.push({ system: "databricks", why: "DATABRICKS_HOST is not set" });
      if (existsSync(JOB_RUNS_DIR)) resolvers.push(localJobTraceResolver({ dir: JOB_RUNS_DIR }));
      if (layouts.length > 0) resolvers.push(layoutTraceResolver(layouts, { publicKey }));
      const target = process.env.MODELTRAIL_REGISTRY?.trim().replace(/\/+$/, "");
      if (target) {
        const registry = new RegistryClient({ credentials: chainCredentials(dockerConfigCredentials()) });
        closers.push(() => registry.close());
        resolvers.push(
          registryTraceResolver(registry, { repositories: [`${target}/churn-model`], publicKey }),
        );
      } else notConfigured.push({ system: "registry", why: "MODELTRAIL_REGISTRY is not set" });
      if (local) resolvers.push(localTraceResolver(local));
      if (fromPrediction && local) {
        // what an incident starts from: the JSON line the serving process logged for a prediction
        const requestId = `step6-${Date.now().toString(36)}`;
        const prediction = await predict(local, requestId, { signal });
        if (!prediction.logLine)
          throw new Error(
            `The serving process answered request ${requestId} but logged no line for it: check its log (modeltrail history ${DEPLOYMENT_NAME} --target local)`,
          );
        handle = parseTraceHandle(prediction.logLine);
        origin = `the log line of prediction ${requestId} (local deployment ${DEPLOYMENT_NAME}, ${prediction.url})`;
      }
      if (kubeconfig) {
        const kube = new KubeClient({ kubeconfig });
        closers.push(() => kube.close());
        resolvers.push(kubernetesTraceResolver(kube));
      } else
        notConfigured.push({
          system: "kubernetes",
          why:
            deployed?.target === "local"
              ? "step 5 deployed to the local target; --kubeconfig reads a cluster too"
              : "no --kubeconfig and KUBECONFIG is not set",
        });

      const traced = await traceAndVerify(handle, { resolvers, notConfigured, origin, signal });
      await ensureDemoDir();
      const page = await writeTracePage(values.html ?? TRACE_PAGE, traced.verified);
      console.log(`\ntrace page: ${page}`);
      state.traced = {
        handle: typeof handle === "string" ? handle : JSON.stringify(handle),
        ok: traced.verified.ok,
        tracePage: page,
      };
      await save();
      return traced.verified.ok ? 0 : 3;
    } finally {
      await Promise.allSettled(closers.map((c) => c()));
    }
  },
});
