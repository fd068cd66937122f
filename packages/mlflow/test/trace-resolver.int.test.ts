import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext, DEFAULT_CONVENTIONS, type RequestEvent, trace, verify } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MlflowClient, mlflowTraceResolver } from "../src/index.js";

const uid = () => randomUUID().slice(0, 8);
const sha = () => createHash("sha1").update(randomUUID()).digest("hex");
const digestOf = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

describe("mlflowTraceResolver against a real MLflow server", () => {
  let client: MlflowClient;
  let experimentId: string;
  const gitSha = sha();
  const jobRunId = `${Date.now()}`;
  const name = `modeltrail-resolver-${uid()}`;
  let runId: string;
  let version: string;
  const files = { MLmodel: "artifact_path: model\nflavors: {}\n", "model.pkl": "pickled-bytes-".repeat(100) };

  beforeAll(async () => {
    client = new MlflowClient({ trackingUri: inject("mlflowUri"), env: {} });
    experimentId = await client.experiments.create(`modeltrail-resolver-${uid()}`);
    const ctx = createTraceContext({
      code: { gitSha, repoUrl: "https://github.com/acme/churn.git" },
      job: { platform: "databricks", jobId: "11", runId: jobRunId },
    });
    const run = await client.runs.create({ experimentId, runName: "train" });
    runId = run.info.run_id;
    await client.tagRun(runId, ctx);
    await client.runs.logBatch(runId, { params: { alpha: "0.5" }, metrics: [{ key: "auc", value: 0.91 }] });
    await client.runs.logInputs(runId, [
      {
        name: "churn-train",
        digest: "d1g3st",
        sourceType: "s3",
        source: JSON.stringify({ uri: "s3://data/churn.parquet" }),
        context: "training",
      },
    ]);
    const dir = await mkdtemp(join(tmpdir(), "mt-resolver-"));
    for (const [f, body] of Object.entries(files)) await writeFile(join(dir, f), body);
    await client.artifacts.uploadTree(dir, { runId, path: "model" });
    await rm(dir, { recursive: true, force: true });
    const registered = await client.registerModel(ctx, { runId, artifactPath: "model", name });
    version = registered.modelVersion.version;
  });
  afterAll(async () => {
    await client?.close();
  });

  const lookup = (events: RequestEvent[] = []) => ({
    conventions: DEFAULT_CONVENTIONS,
    onRequest: (e: RequestEvent) => events.push(e),
  });

  it("reads a model version with its tags and files with sizes, counting each request", async () => {
    const r = mlflowTraceResolver(client);
    const events: RequestEvent[] = [];
    const mv = await r.getModelVersion?.(name, version, lookup(events));
    expect(mv).toMatchObject({ name, version, mlflowRunId: runId, status: "READY" });
    expect(mv?.tags.GIT_SHA).toBe(gitSha);
    expect(mv?.tags.DBR_RUN_ID).toBe(jobRunId);
    expect(mv?.files).toEqual([
      { path: "MLmodel", size: files.MLmodel.length },
      { path: "model.pkl", size: files["model.pkl"].length },
    ]);
    expect(mv?.url).toContain(`/models/${name}/versions/${version}`);
    // the version, then the listing of its source (an mlflow-artifacts:/ URI needs no get-download-uri)
    expect(events.map((e) => new URL(e.url).pathname)).toEqual([
      "/api/2.0/mlflow/model-versions/get",
      "/api/2.0/mlflow-artifacts/artifacts",
    ]);
    expect(events.every((e) => e.service === "mlflow")).toBe(true);
    expect(await r.getModelVersion?.(name, "999", lookup())).toBeUndefined();
  });

  it("reads a run with tags, params, metrics and dataset inputs", async () => {
    const r = mlflowTraceResolver(client);
    const run = await r.getMlflowRun?.(runId, lookup());
    expect(run).toMatchObject({
      runId,
      experimentId,
      runName: "train",
      params: { alpha: "0.5" },
      metrics: { auc: 0.91 },
    });
    expect(run?.tags["mlflow.source.git.commit"]).toBe(gitSha);
    expect(run?.datasets).toEqual([
      {
        name: "churn-train",
        digest: "d1g3st",
        uri: "s3://data/churn.parquet",
        sourceType: "s3",
        context: "training",
      },
    ]);
    expect(await r.getMlflowRun?.("0".repeat(32), lookup())).toBeUndefined();
  });

  it("finds model versions and runs by commit and by job run id", async () => {
    const r = mlflowTraceResolver(client, { experimentIds: [experimentId] });
    for (const q of [{ gitSha }, { jobRunId }, { mlflowRunId: runId }]) {
      const found = await r.findModelVersions?.(q, lookup());
      expect(found?.map((m) => `${m.name}/${m.version}`)).toEqual([`${name}/${version}`]);
    }
    expect(await r.findModelVersions?.({ imageDigest: `sha256:${"a".repeat(64)}` }, lookup())).toEqual([]);
    expect((await r.findMlflowRuns?.({ gitSha }, lookup()))?.map((x) => x.runId)).toEqual([runId]);
    expect((await r.findMlflowRuns?.({ jobRunId }, lookup()))?.map((x) => x.runId)).toEqual([runId]);
    const all = mlflowTraceResolver(client);
    expect((await all.findMlflowRuns?.({ gitSha }, lookup()))?.map((x) => x.runId)).toEqual([runId]);
  });

  it("hashes a model version's files", async () => {
    const r = mlflowTraceResolver(client);
    const got = await r.getModelVersionFileDigests?.(name, version, lookup());
    expect(got).toEqual([
      { path: "MLmodel", size: files.MLmodel.length, digest: digestOf(files.MLmodel) },
      { path: "model.pkl", size: files["model.pkl"].length, digest: digestOf(files["model.pkl"]) },
    ]);
  });

  it("trace() and verify() from the model version with MLflow alone", async () => {
    const resolvers = [mlflowTraceResolver(client)];
    const report = await trace(`models:/${name}/${version}`, { resolvers });
    const l = report.lineages[0];
    expect(l?.code.gitSha?.value).toBe(gitSha);
    expect(l?.artifacts.mlflowRunId?.value).toBe(runId);
    expect(l?.data.datasets[0]).toMatchObject({ name: "churn-train", digest: "d1g3st" });
    expect(report.unreachable.some((u) => u.system === "databricks" && u.reason === "no-resolver")).toBe(
      true,
    );
    expect(report.requests.bySystem.mlflow).toBe(report.requests.total);
    const result = await verify(`models:/${name}/${version}`, { resolvers });
    expect(result.checks.find((c) => c.id === "commit.model-version-run")?.status).toBe("pass");
    expect(result.checks.find((c) => c.id === "data.digests")?.status).toBe("pass");
    expect(result.checks.find((c) => c.id === "commit.run-job")?.status).toBe("unknown");
  });
});
