/**
 * End to end: one reference pipeline across the real servers of three tiers (a local MLflow server,
 * a distribution registry, a Kubernetes control plane) plus a Databricks workspace fake on a
 * loopback port; trace() from every kind of handle, verify() passing, then failing check by check
 * as links are broken on purpose, unknown when a system is unreachable, and the deploy gate.
 */
import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTraceContext,
  DeployRefusedError,
  deployPolicy,
  parseTraceReport,
  type TraceContext,
  type TraceResolver,
  toLogFields,
  trace,
  type VerifyCheck,
  verify,
} from "@modeltrail/core";
import { DatabricksClient, databricksTraceResolver } from "@modeltrail/databricks";
import { deploy, KubeClient, kubernetesTraceResolver, renderDeployment } from "@modeltrail/k8s";
import { MlflowClient, mlflowTraceResolver } from "@modeltrail/mlflow";
import {
  anonymousCredentials,
  attachProvenance,
  buildModelImage,
  modelProvenance,
  RegistryClient,
  registryTraceResolver,
} from "@modeltrail/registry";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const sha = () => createHash("sha1").update(randomUUID()).digest("hex");
const SHA = sha();
const OTHER = sha();
const JOB_RUN = String(Date.now());
const NS = `e2e-${randomUUID().slice(0, 6)}`;
const MODEL = `churn-e2e-${randomUUID().slice(0, 6)}`;
const files = { MLmodel: "artifact_path: model\nflavors: {}\n", "model.pkl": "weights-".repeat(2000) };
const keys = generateKeyPairSync("ed25519");

let mlflow: MlflowClient;
let registry: RegistryClient;
let kube: KubeClient;
let workspace: MswServer;
let dbx: DatabricksClient;
let work: string;
let repo: string;
let runId: string;
let version: string;
let ctx: TraceContext;
let image: string;
let digest: string;
let podName: string;

/** The job run as the Databricks Jobs API returns it. */
function jobRun(): Record<string, unknown> {
  return {
    job_id: 11,
    run_id: Number(JOB_RUN),
    run_name: "train-churn",
    state: { life_cycle_state: "TERMINATED", result_state: "SUCCESS" },
    job_parameters: [{ name: "git_sha", default: SHA, value: SHA }],
    job_clusters: [
      {
        job_cluster_key: "train",
        new_cluster: { spark_version: "15.4.x-scala2.12", node_type_id: "Standard_DS3_v2", num_workers: 2 },
      },
    ],
    tasks: [
      {
        task_key: "train",
        run_id: Number(JOB_RUN) + 1,
        job_cluster_key: "train",
        spark_python_task: { python_file: "train.py", parameters: [`--git-sha=${SHA}`] },
        libraries: [{ pypi: { package: "scikit-learn==1.5.2" } }],
      },
    ],
    start_time: 1_764_205_200_000,
    end_time: 1_764_208_800_000,
    run_page_url: `https://adb-1.azuredatabricks.net/#job/11/run/${JOB_RUN}`,
  };
}

async function buildImage(commit: string, tag: string) {
  const imgCtx = ctx.with({ code: { gitSha: commit } });
  const built = await buildModelImage({
    modelDir: work,
    ctx: imgCtx,
    tags: [tag],
    push: { client: registry, repository: repo },
  });
  const statement = modelProvenance({
    image: { repository: repo, digest: built.digest },
    ctx: imgCtx,
    modelLayer: built.modelLayer,
  });
  await attachProvenance(registry, `${repo}@${built.digest}`, statement, { signingKey: keys.privateKey });
  return built.digest;
}

async function deployImage(name: string, ref: string, at: TraceContext) {
  const manifests = renderDeployment(at.with({ image: { digest: ref.split("@")[1] } }), {
    name,
    image: ref,
    port: 8080,
    replicas: 1,
  });
  return deploy(kube, manifests, { rolloutTimeoutMs: 90_000 });
}

function resolvers(
  overrides: Partial<Record<"mlflow" | "databricks" | "registry" | "kubernetes", TraceResolver>> = {},
) {
  return [
    overrides.mlflow ?? mlflowTraceResolver(mlflow),
    overrides.databricks ?? databricksTraceResolver(dbx),
    overrides.registry ??
      registryTraceResolver(registry, { repositories: [repo], publicKey: keys.publicKey }),
    overrides.kubernetes ?? kubernetesTraceResolver(kube, { cluster: "e2e", namespaces: [NS] }),
  ];
}

function check(checks: VerifyCheck[], id: string): VerifyCheck {
  const found = checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} among ${checks.map((c) => `${c.id}=${c.status}`).join(", ")}`);
  return found;
}

beforeAll(async () => {
  mlflow = new MlflowClient({ trackingUri: inject("mlflowUri"), env: {} });
  registry = new RegistryClient({ credentials: anonymousCredentials });
  kube = new KubeClient({ kubeconfig: inject("kubeconfig"), namespace: NS });
  await kube.http.json({ method: "POST", path: "/api/v1/namespaces", json: { metadata: { name: NS } } });
  workspace = await startMswServer(
    http.get("*/api/2.2/jobs/runs/get", ({ request }) =>
      new URL(request.url).searchParams.get("run_id") === JOB_RUN
        ? HttpResponse.json(jobRun())
        : HttpResponse.json(
            { error_code: "INVALID_PARAMETER_VALUE", message: "Run does not exist" },
            { status: 400 },
          ),
    ),
  );
  dbx = new DatabricksClient({ host: workspace.url, token: "dapi-e2e-token-not-a-secret-1234" });
  work = await mkdtemp(join(tmpdir(), "modeltrail-e2e-"));
  for (const [f, body] of Object.entries(files)) await writeFile(join(work, f), body);
  repo = `${inject("openRegistry")}/e2e/${MODEL}`;

  // training: the MLflow run, tagged with the trace, with its data set and model; the version
  const experimentId = await mlflow.experiments.create(`e2e-${randomUUID().slice(0, 8)}`);
  const run = await mlflow.runs.create({ experimentId, runName: "train" });
  runId = run.info.run_id;
  ctx = createTraceContext({
    code: { gitSha: SHA, repoUrl: "https://github.com/acme/churn" },
    job: { platform: "databricks", jobId: "11", runId: JOB_RUN },
  });
  await mlflow.tagRun(runId, ctx);
  await mlflow.runs.logBatch(runId, { params: { alpha: "0.5" }, metrics: [{ key: "auc", value: 0.91 }] });
  await mlflow.runs.logInputs(runId, [
    {
      name: "churn-train",
      digest: "5e1f2a",
      sourceType: "s3",
      source: JSON.stringify({ uri: "s3://data/churn.parquet" }),
      context: "training",
    },
  ]);
  await mlflow.artifacts.uploadTree(work, { runId, path: "model" });
  const registered = await mlflow.registerModel(ctx, { runId, artifactPath: "model", name: MODEL });
  version = registered.modelVersion.version;
  ctx = ctx.with({ model: { name: MODEL, version, mlflowRunId: runId } });

  // packaging: the image of the run, signed provenance; serving: deployed by digest
  digest = await buildImage(SHA, "good");
  image = `${repo}@${digest}`;
  await deployImage("churn", image, ctx);
  const pods = await kube.pods.list({ namespace: NS, labelSelector: { "app.kubernetes.io/name": "churn" } });
  podName = pods.items[0]?.metadata?.name ?? "";
}, 600_000);

afterAll(async () => {
  await kube?.http
    .request({ method: "DELETE", path: `/api/v1/namespaces/${NS}`, okStatuses: [404] })
    .catch(() => undefined);
  await Promise.allSettled([
    mlflow?.close(),
    registry?.close(),
    kube?.close(),
    dbx?.close(),
    workspace?.close(),
  ]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("trace() across MLflow, Databricks, the registry and Kubernetes", () => {
  it("from a prediction's log line: the five answers, each with its source, in at most 12 requests", async () => {
    const line = JSON.stringify({
      msg: "prediction",
      score: 0.7,
      ...toLogFields(ctx.with({ image: { digest }, deployment: { namespace: NS, name: "churn" } })),
    });
    const seen: string[] = [];
    const report = await trace(line, {
      resolvers: resolvers(),
      onRequest: (e) => seen.push(`${e.method} ${e.url}`),
    });
    expect(parseTraceReport(JSON.stringify(report))).toEqual(report);
    expect(report.unreachable).toEqual([]);
    expect(report.lineages).toHaveLength(1);
    const l = report.lineages[0];
    expect(l?.code.gitSha).toMatchObject({ value: SHA });
    expect(l?.code.gitSha?.conflicts).toBeUndefined();
    const confirming = new Set(l?.code.gitSha?.confirmedBy?.map((s) => s.system));
    for (const system of ["databricks", "registry", "kubernetes", "handle"])
      expect(confirming).toContain(system);
    expect(l?.infrastructure.training).toMatchObject({
      jobRunId: { value: JOB_RUN },
      nodeType: { value: "Standard_DS3_v2" },
    });
    expect(l?.infrastructure.serving).toMatchObject({
      cluster: { value: "e2e" },
      namespace: { value: NS },
      deployment: { value: "churn" },
    });
    expect(l?.infrastructure.serving.nodes?.[0]?.name).toBe("kwok-node-0");
    expect(l?.environment.training.runtimeVersion?.value).toBe("15.4.x-scala2.12");
    expect(l?.environment.serving.env?.GIT_SHA?.value).toBe(SHA);
    expect(l?.artifacts).toMatchObject({
      modelName: { value: MODEL },
      modelVersion: { value: version },
      mlflowRunId: { value: runId },
      imageDigest: { value: digest },
    });
    expect(l?.artifacts.files?.map((f) => f.path)).toEqual(["MLmodel", "model.pkl"]);
    expect(l?.artifacts.provenance).toMatchObject({ verified: true, gitCommit: SHA });
    expect(l?.data.datasets[0]).toMatchObject({ name: "churn-train", digest: "5e1f2a", context: "training" });
    // Every request counted, each object read once: MLflow 3 (model version, its files, the run),
    // Databricks 1 (the job run), Kubernetes 4 (deployment, ReplicaSets, pods, node), the registry 5
    // (manifest, config, the referrers API, which this registry lacks, then its fallback tag, the
    // envelope the attestation's annotations name: its manifest is not read).
    expect(seen).toHaveLength(report.requests.total);
    expect(new Set(seen).size).toBe(seen.length);
    expect(report.requests.bySystem).toEqual({ mlflow: 3, databricks: 1, kubernetes: 4, registry: 5 });
    expect(report.requests.total).toBe(13);
    // The client now knows the registry has no referrers API: the issue's 12 (what a registry with
    // the referrers API gives the first time)
    const again = await trace(line, { resolvers: resolvers() });
    expect(again.requests.bySystem).toEqual({ mlflow: 3, databricks: 1, kubernetes: 4, registry: 4 });
    expect(again.requests.total).toBe(12);
    expect(again.lineages).toEqual(report.lineages);
  });

  it("from every other kind of handle, the same lineage", async () => {
    const handles = [
      `deployment/${NS}/churn`,
      `pod/${NS}/${podName}`,
      image,
      digest,
      `models:/${MODEL}/${version}`,
      JOB_RUN,
      runId,
      SHA,
    ];
    for (const handle of handles) {
      const report = await trace(handle, { resolvers: resolvers() });
      const l = report.lineages.find((x) => x.anchor === `deployment:${NS}/churn`);
      expect(l, handle).toBeDefined();
      expect(l?.code.gitSha?.value, handle).toBe(SHA);
      expect(l?.artifacts.modelVersion?.value, handle).toBe(version);
      expect(l?.infrastructure.training.jobRunId?.value, handle).toBe(JOB_RUN);
      expect(l?.artifacts.imageDigest?.value, handle).toBe(digest);
      // Kubernetes: Deployment, ReplicaSets, pods, node, each read once; from a pod, the pod too
      if (handle.startsWith("deployment/")) expect(report.requests.bySystem.kubernetes, handle).toBe(4);
      if (handle.startsWith("pod/")) expect(report.requests.bySystem.kubernetes, handle).toBe(5);
    }
  });
});

describe("verify() across the real systems", () => {
  it("passes every check of the intact pipeline", async () => {
    const result = await verify(`deployment/${NS}/churn`, { resolvers: resolvers() });
    for (const c of result.checks) expect(c.status, `${c.id}: ${c.message}`).toBe("pass");
    expect(result.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        "commit.deployment-image",
        "commit.image-model-version",
        "commit.model-version-run",
        "commit.run-job",
        "artifacts.model-layer",
        "provenance.signature",
        "provenance.commit",
        "data.digests",
      ]),
    );
    expect(result.ok).toBe(true);
  });

  it("an image rebuilt from another commit and deployed: the commit links around the image fail", async () => {
    const rebuilt = await buildImage(OTHER, "rebuilt");
    await deployImage("rebuilt", `${repo}@${rebuilt}`, ctx);
    const result = await verify(`deployment/${NS}/rebuilt`, { resolvers: resolvers() });
    expect(result.ok).toBe(false);
    const c = check(result.checks, "commit.image-model-version");
    expect(c.status).toBe("fail");
    expect(c.values.map((v) => v.value)).toEqual(expect.arrayContaining([SHA, OTHER]));
    expect(check(result.checks, "commit.deployment-image").status).toBe("fail");
    expect(check(result.checks, "commit.model-version-run").status).toBe("pass");
    // and the deploy gate refuses it, naming the link
    const policy = deployPolicy({ resolvers: resolvers() });
    const err = await policy.enforce(`${repo}@${rebuilt}`).catch((e) => e);
    expect(err).toBeInstanceOf(DeployRefusedError);
    expect(err.issues.map((i: { path: string }) => i.path)).toContain("commit.image-model-version");
    // the original image is allowed: the deployment check that fails is about the running "churn"
    // deployment (the run's tag now names the rebuilt image), not about the image to deploy
    const allowed = await policy.enforce(image);
    expect(check(allowed.checks, "commit.image-model-version").status).toBe("pass");
    expect(check(allowed.checks, "provenance.signature").status).toBe("pass");
  });

  it("a deployment patched by hand: the deployment/image link fails", async () => {
    await deployImage("patched", image, ctx);
    await kube.deployments.patch(
      "patched",
      {
        spec: {
          template: { spec: { containers: [{ name: "patched", env: [{ name: "GIT_SHA", value: OTHER }] }] } },
        },
      },
      { namespace: NS, type: "strategic" },
    );
    const result = await verify(`deployment/${NS}/patched`, { resolvers: resolvers() });
    const c = check(result.checks, "commit.deployment-image");
    expect(c.status).toBe("fail");
    expect(c.values.find((v) => v.value === OTHER)?.source).toMatchObject({ system: "kubernetes" });
  });

  it("a model version re-tagged: the image/model version and model version/run links fail", async () => {
    await mlflow.modelVersions.setTag(MODEL, version, "GIT_SHA", OTHER);
    try {
      const result = await verify(`models:/${MODEL}/${version}`, { resolvers: resolvers() });
      expect(check(result.checks, "commit.image-model-version").status).toBe("fail");
      expect(check(result.checks, "commit.model-version-run").status).toBe("fail");
    } finally {
      await mlflow.modelVersions.setTag(MODEL, version, "GIT_SHA", SHA);
    }
  });

  it("a registry that cannot be reached: the checks that need it are unknown, with the reason", async () => {
    // https against a registry that speaks http: every request fails, as with a registry down
    const unreachable = new RegistryClient({
      credentials: anonymousCredentials,
      plainHttp: false,
      retry: { maxRetries: 0 },
    });
    const down = registryTraceResolver(unreachable, { repositories: [repo] });
    const result = await verify(`deployment/${NS}/churn`, {
      resolvers: resolvers({ registry: down }),
    }).finally(() => unreachable.close());
    for (const id of ["commit.deployment-image", "commit.image-model-version", "image.deployed-digest"]) {
      const c = check(result.checks, id);
      expect(c.status, id).toBe("unknown");
    }
    expect(result.report.unreachable.some((u) => u.system === "registry" && u.reason === "failed")).toBe(
      true,
    );
    expect(result.summary.fail).toBe(0);
  });
});
