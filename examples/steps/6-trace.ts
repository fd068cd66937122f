/**
 * Step 6, the incident: "which model is answering, and where did it come from?" From a handle (a
 * prediction's JSON log line, `deployment/<ns>/<name>`, an image, `models:/<name>/<version>`, a run
 * id, a commit; default: what step 5 deployed, else the last image of step 4), trace() answers the
 * five questions through every system the environment reaches, verify() checks every link, and the
 * trace page is written. Exits 3 when a check fails, as `modeltrail verify` does.
 *
 *   MLFLOW_TRACKING_URI=... KUBECONFIG=... node examples/steps/6-trace.ts
 *   node examples/steps/6-trace.ts --handle '{"git_sha":"...","run_id":"1795788642450001"}'
 */

import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TraceResolver } from "@modeltrail/core";
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
import { type NotConfigured, traceAndVerify, writeTracePage } from "../pipeline/trace-verify.ts";

await runStep<{ handle?: string; kubeconfig?: string; html?: string }>({
  file: "6-trace.ts",
  summary:
    "Step 6, trace and verify: trace() and verify() of a handle with one resolver per system the environment reaches; the five answers with their sources, every check, and the trace page (renderTraceHtml).",
  options: { handle: { type: "string" }, kubeconfig: { type: "string" }, html: { type: "string" } },
  flags: [
    "--handle TEXT      what to trace (default: the deployment of step 5, else the last image of step 4)",
    "--kubeconfig FILE  the cluster (default KUBECONFIG when set)",
    `--html FILE        the trace page (default ${TRACE_PAGE})`,
  ],
  env: [
    ["MLFLOW_TRACKING_URI", "MLflow: model versions, runs, datasets, files (and its token/credentials)"],
    ["DATABRICKS_HOST", "Databricks: the training job run, its cluster and parameters (and its auth)"],
    ["MODELTRAIL_REGISTRY", "the registry the images were pushed to (DOCKER_CONFIG for credentials)"],
    ["KUBECONFIG", "Kubernetes: the live Deployment, its revisions, pods and nodes"],
    ["(always)", "the OCI layout of step 4 and the LocalJobRunner's run records, when they are there"],
  ],
  async run({ values, state, save, dryRun, signal }) {
    const resolvers: TraceResolver[] = [];
    const notConfigured: NotConfigured[] = [];
    const closers: Array<() => Promise<void>> = [];
    const publicKey = state.publicKeyPem ? createPublicKey(state.publicKeyPem) : undefined;
    const kubeconfig = values.kubeconfig ?? state.deployed?.kubeconfig ?? process.env.KUBECONFIG?.trim();
    let handle = values.handle;
    let origin = "the handle given";
    if (!handle && state.deployed) {
      handle = `deployment/${state.deployed.namespace}/${DEPLOYMENT_NAME}`;
      origin = "the deployment of step 5";
    } else if (!handle && state.images?.length) {
      const last = state.images.at(-1)!;
      handle = `oci:${last.layoutDir}:${last.runId}`;
      origin = "the last image of step 4";
    }
    if (!handle)
      throw new Error("Nothing to trace: pass --handle, or run examples/steps/4-build-image.ts first");
    if (dryRun) {
      const systems = [
        process.env.MLFLOW_TRACKING_URI && "mlflow",
        process.env.DATABRICKS_HOST && "databricks",
        existsSync(JOB_RUNS_DIR) && "local-job",
        existsSync(join(DEMO_DIR, "images")) && "oci-layout",
        process.env.MODELTRAIL_REGISTRY && "registry",
        kubeconfig && "kubernetes",
      ].filter(Boolean);
      console.log(
        `would trace and verify ${handle} (${origin}) through ${systems.join(", ") || "no system"}`,
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
      const layouts = [...new Set((state.images ?? []).map((i) => i.layoutDir))];
      if (layouts.length === 0 && existsSync(join(DEMO_DIR, "images")))
        layouts.push(join(DEMO_DIR, "images"));
      if (layouts.length > 0) resolvers.push(layoutTraceResolver(layouts, { publicKey }));
      const target = process.env.MODELTRAIL_REGISTRY?.trim().replace(/\/+$/, "");
      if (target) {
        const registry = new RegistryClient({ credentials: chainCredentials(dockerConfigCredentials()) });
        closers.push(() => registry.close());
        resolvers.push(
          registryTraceResolver(registry, { repositories: [`${target}/churn-model`], publicKey }),
        );
      } else notConfigured.push({ system: "registry", why: "MODELTRAIL_REGISTRY is not set" });
      if (kubeconfig) {
        const kube = new KubeClient({ kubeconfig });
        closers.push(() => kube.close());
        resolvers.push(kubernetesTraceResolver(kube));
      } else notConfigured.push({ system: "kubernetes", why: "no --kubeconfig and KUBECONFIG is not set" });

      const traced = await traceAndVerify(handle, { resolvers, notConfigured, origin, signal });
      await ensureDemoDir();
      const page = await writeTracePage(values.html ?? TRACE_PAGE, traced.verified);
      console.log(`\ntrace page: ${page}`);
      state.traced = { handle, ok: traced.verified.ok, tracePage: page };
      await save();
      return traced.verified.ok ? 0 : 3;
    } finally {
      await Promise.allSettled(closers.map((c) => c()));
    }
  },
});
