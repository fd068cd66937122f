import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext, fromMlflowTags, runIdOf } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MlflowClient, type ModelVersion, tagsToRecord } from "../src/index.js";
import { runPython } from "./python-client.js";

const uid = () => randomUUID().slice(0, 8);
const sha = () => randomUUID().replace(/-/g, "").padEnd(40, "0").slice(0, 40);

describe("traceability against a real server, cross-checked with MLflow's Python client", () => {
  let client: MlflowClient;
  let experimentId: string;
  const uri = inject("mlflowUri");
  const python = inject("mlflowPython");

  beforeAll(async () => {
    client = new MlflowClient({ trackingUri: uri, env: {} });
    experimentId = await client.experiments.create(`modeltrail-trace-${uid()}`);
  });
  afterAll(async () => {
    await client.close();
  });

  it("tags a run, registers a traceable version idempotently, finds it and reads its trace", async () => {
    const gitSha = sha();
    const jobRunId = `${Date.now()}`;
    const ctx = createTraceContext({
      code: { gitSha, repoUrl: "https://github.com/acme/fraud.git", branch: "main" },
      job: { platform: "databricks", jobId: "4242", runId: jobRunId },
      data: [{ name: "train", uri: "s3://bucket/train.parquet", digest: "sha256:abc" }],
      extra: { team: "risk" },
    });
    const run = await client.runs.create({ experimentId, runName: "train" });
    const runId = run.info.run_id;
    const written = await client.tagRun(runId, ctx);
    const runTags = tagsToRecord((await client.runs.get(runId)).data.tags);
    expect(runTags).toMatchObject(written);
    expect(fromMlflowTags(runTags).equals(ctx)).toBe(true);

    const name = `modeltrail-trace-${uid()}`;
    await expect(client.registerModel(ctx, { runId, artifactPath: "model", name })).rejects.toThrow(
      "Nothing to register",
    );
    const modelDir = await mkdtemp(join(tmpdir(), "mt-model-src-"));
    await writeFile(join(modelDir, "MLmodel"), "artifact_path: model\nflavors: {}\n");
    await writeFile(join(modelDir, "model.onnx"), "onnx-bytes");
    await client.artifacts.uploadTree(modelDir, { runId, path: "model" });
    await rm(modelDir, { recursive: true, force: true });
    const first = await client.registerModel(ctx, {
      runId,
      artifactPath: "model",
      name,
      description: "trained",
    });
    expect(first.created).toBe(true);
    expect(first.source).toBe(`${run.info.artifact_uri}/model`);
    const again = await client.registerModel(ctx, { runId, artifactPath: "model", name });
    expect(again.created).toBe(false);
    expect(again.modelVersion.version).toBe(first.modelVersion.version);
    const all: ModelVersion[] = [];
    for await (const v of client.modelVersions.listForModel(name)) all.push(v);
    expect(all).toHaveLength(1);

    // "the run id" is the job run id; a look-up by run id accepts either kind
    expect(runIdOf(first.trace)).toEqual({ runId: jobRunId, kind: "job-run", fallback: false });
    for (const query of [
      { gitSha },
      { gitSha: gitSha.slice(0, 10) },
      { jobRunId },
      { mlflowRunId: runId },
      { runId: jobRunId },
      { runId },
    ]) {
      const found: string[] = [];
      for await (const v of client.findModelVersions(query, { name })) found.push(v.version);
      expect(found, JSON.stringify(query)).toEqual([first.modelVersion.version]);
    }
    const none: string[] = [];
    for await (const v of client.findModelVersions({ gitSha: sha() })) none.push(v.version);
    expect(none).toEqual([]);

    const trace = await client.traceOfModelVersion(name, first.modelVersion.version);
    expect(trace.code).toEqual(ctx.code);
    expect(trace.job).toEqual(ctx.job);
    expect(trace.data).toEqual(ctx.data);
    expect(trace.extra).toEqual(ctx.extra);
    expect(trace.model).toMatchObject({ name, version: first.modelVersion.version, mlflowRunId: runId });

    // MLflow's own client sees the same version, tags and run link
    expect(python, "run scripts/install-mlflow.sh").not.toBe("");
    const seen = await runPython<{
      source: string;
      run_id: string;
      run_link: string;
      tags: Record<string, string>;
      description: string;
      status: string;
    }>(python, uri, "read_model_version", { name, version: first.modelVersion.version });
    expect(seen.source).toBe(first.source);
    expect(seen.run_id).toBe(runId);
    expect(seen.run_link).toBe(`${uri}/#/experiments/${experimentId}/runs/${runId}`);
    expect(seen.tags).toEqual(tagsToRecord(first.modelVersion.tags));
    expect(seen.tags).toMatchObject({ GIT_SHA: gitSha, DBR_RUN_ID: jobRunId, DBR_JOB_ID: "4242" });
    expect(seen.description).toBe("trained");
    expect(seen.status).toBe("READY");
  });

  it("registers an MLflow 3 logged model of a run from the same source as Python does", async () => {
    const run = await client.runs.create({ experimentId });
    const runId = run.info.run_id;
    const logged = (await client.http.json({
      method: "POST",
      path: "/api/2.0/mlflow/logged-models",
      json: { experiment_id: experimentId, name: "model", source_run_id: runId },
    })) as { model: { info: { model_id: string; artifact_uri: string } } };
    const loggedUri = logged.model.info.artifact_uri;
    const name = `modeltrail-logged-${uid()}`;
    const ours = await client.registerModel(createTraceContext({ code: { gitSha: sha() } }), {
      runId,
      artifactPath: "model",
      name,
    });
    expect(ours.source).toBe(`models:/${logged.model.info.model_id}`);
    const again = await client.registerModel(createTraceContext({ code: { gitSha: sha() } }), {
      runId,
      artifactPath: "model",
      name,
    });
    expect(again).toMatchObject({ created: false, modelVersion: { version: ours.modelVersion.version } });
    // the registry resolves it to the logged model's artifacts
    expect((await client.resolveUri(`models:/${name}/${ours.modelVersion.version}`)).artifactUri).toBe(
      loggedUri,
    );
    expect(ours.modelVersion.run_id).toBe(runId);
    const theirs = await runPython<{ version: string; source: string; run_id: string }>(
      python,
      uri,
      "register",
      {
        model_uri: `runs:/${runId}/model`,
        name,
      },
    );
    expect(theirs.source).toBe(ours.source);
    expect(theirs.run_id).toBe(runId);
  });

  it("reads a run logged by Python, and finds the version Python registered from it", async () => {
    const losses = [0.9, 0.5, 0.25, 0.125];
    const logged = await runPython<{ run_id: string; artifact_uri: string }>(python, uri, "log_run", {
      experiment_id: experimentId,
      run_name: "python-run",
      params: { lr: "0.01", epochs: "4" },
      losses,
      tags: { GIT_SHA: "feedbeef", owner: "python" },
      dataset_url: "https://example.com/train.csv",
      dataset_name: "train-csv",
      dataset_digest: "a1b2c3d4",
      model_path: "model",
    });
    const run = await client.runs.get(logged.run_id);
    expect(run.info.artifact_uri).toBe(logged.artifact_uri);
    expect(run.info.status).toBe("FINISHED");
    expect(tagsToRecord(run.data.params)).toEqual({ lr: "0.01", epochs: "4" });
    expect(tagsToRecord(run.data.tags)).toMatchObject({
      GIT_SHA: "feedbeef",
      owner: "python",
      "mlflow.runName": "python-run",
    });
    const history: Array<[number, number]> = [];
    for await (const m of client.runs.metricHistory(logged.run_id, "loss")) history.push([m.step, m.value]);
    expect(history.sort((a, b) => a[0] - b[0])).toEqual(losses.map((v, i) => [i, v]));
    expect(run.inputs.dataset_inputs).toHaveLength(1);
    const input = run.inputs.dataset_inputs[0]!;
    expect(input.dataset).toMatchObject({ name: "train-csv", digest: "a1b2c3d4", source_type: "http" });
    expect(tagsToRecord(input.tags)).toMatchObject({ "mlflow.data.context": "training" });
    const found: string[] = [];
    for await (const r of client.runs.search({
      experimentIds: [experimentId],
      filter: "tags.owner = 'python'",
    }))
      found.push(r.info.run_id);
    expect(found).toEqual([logged.run_id]);

    // Python registers runs:/<id>/model; modeltrail computes the same source and reuses that version
    const name = `modeltrail-py-${uid()}`;
    const registered = await runPython<{ version: string; source: string }>(python, uri, "register", {
      model_uri: `runs:/${logged.run_id}/model`,
      name,
    });
    const ctx = createTraceContext({ code: { gitSha: sha() } });
    const ours = await client.registerModel(ctx, { runId: logged.run_id, artifactPath: "model", name });
    expect(ours.source).toBe(registered.source);
    expect(ours.created).toBe(false);
    expect(ours.modelVersion.version).toBe(registered.version);
    const loc = await client.resolveUri(`models:/${name}/${registered.version}`);
    expect(loc).toMatchObject({ runId: logged.run_id, artifactUri: registered.source, path: "model" });

    // the model files Python logged download byte-identical through models:/ and runs:/ URIs
    for (const modelUri of [`models:/${name}/${registered.version}`, `runs:/${logged.run_id}/model`]) {
      const dest = await mkdtemp(join(tmpdir(), "mt-model-"));
      try {
        const result = await client.download(modelUri, dest);
        const files = Object.fromEntries(
          await Promise.all(result.files.map(async (f) => [f.path, await readFile(f.localPath)] as const)),
        );
        expect(Object.keys(files).sort(), modelUri).toEqual(["MLmodel", "model.bin"]);
        expect(files["model.bin"]).toEqual(Buffer.from([0, 1, ...Buffer.from("weights")]));
        expect(files.MLmodel?.toString()).toContain("artifact_path: model");
      } finally {
        await rm(dest, { recursive: true, force: true });
      }
    }
  });
});
