import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findLoggedModelOfRun, MlflowClient } from "../src/index.js";

// Logs a scikit-learn model the MLflow 3 way (a logged model of the run, outside the run's
// artifacts), downloads runs:/<run>/model with MLflow's own client, prints the sha256 of each file.
const LOG_AND_DOWNLOAD = `
import hashlib, json, os, sys
real_stdout, sys.stdout = sys.stdout, sys.stderr
import mlflow, numpy as np
from sklearn.linear_model import LogisticRegression
args = json.loads(sys.argv[1])
mlflow.set_experiment(experiment_id=args["experiment_id"])
X = np.arange(40, dtype=float).reshape(20, 2)
y = np.array([0, 1] * 10)
with mlflow.start_run() as run:
    info = mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model", pip_requirements=["scikit-learn"])
local = mlflow.artifacts.download_artifacts(f"runs:/{run.info.run_id}/model", dst_path=args["dest"])
hashes = {}
for root, _, files in os.walk(local):
    for f in files:
        p = os.path.join(root, f)
        with open(p, "rb") as fh:
            hashes[os.path.relpath(p, local).replace(os.sep, "/")] = hashlib.sha256(fh.read()).hexdigest()
real_stdout.write(json.dumps({"run_id": run.info.run_id, "model_id": info.model_id, "hashes": hashes,
    "local": os.path.relpath(local, args["dest"]).replace(os.sep, "/")}))
`;

function runSnippet<T>(python: string, trackingUri: string, args: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ["-c", LOG_AND_DOWNLOAD, JSON.stringify(args)],
      {
        timeout: 150_000,
        killSignal: "SIGKILL",
        maxBuffer: 4 * 1024 * 1024,
        env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri, PYTHONUNBUFFERED: "1" },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`python failed: ${err.message}\n${stderr.slice(-4000)}`));
        else {
          try {
            resolve(JSON.parse(stdout) as T);
          } catch {
            reject(new Error(`python printed no JSON: ${stdout.slice(0, 500)}\n${stderr.slice(-2000)}`));
          }
        }
      },
    );
  });
}

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

/** sha256 of every file below `dir`, by relative `/`-separated path. */
async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[relative(dir, p).split("\\").join("/")] = await sha256(p);
  }
  return out;
}

describe("runs:/ URIs of MLflow 3 logged models against a real server", () => {
  let client: MlflowClient;
  let experimentId: string;
  const uri = inject("mlflowUri");
  const python = inject("mlflowPython");
  const dirs: string[] = [];

  beforeAll(async () => {
    client = new MlflowClient({ trackingUri: uri, env: {} });
    experimentId = await client.experiments.create(`modeltrail-logged-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await client.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("downloads runs:/<run>/model of mlflow.sklearn.log_model byte-identical to MLflow's Python client", async () => {
    expect(python, "run scripts/install-mlflow.sh").not.toBe("");
    const pyDest = await mkdtemp(join(tmpdir(), "mt-logged-py-"));
    const ourDest = await mkdtemp(join(tmpdir(), "mt-logged-ts-"));
    dirs.push(pyDest, ourDest);
    const py = await runSnippet<{
      run_id: string;
      model_id: string;
      hashes: Record<string, string>;
      local: string;
    }>(python, uri, { experiment_id: experimentId, dest: pyDest });
    expect(Object.keys(py.hashes)).toContain("MLmodel");
    // MLflow puts runs:/<run>/model into <dst>/model, also for a logged model
    expect(py.local).toBe("model");

    // the model is not in the run's own artifacts: that is what made runs:/ fail before
    const runFiles: string[] = [];
    for await (const f of client.artifacts.list({ runId: py.run_id, path: "" })) runFiles.push(f.path);
    const ownModel: string[] = [];
    for await (const f of client.artifacts.list(
      { runId: py.run_id, path: "model" },
      { runArtifactsOnly: true },
    ))
      ownModel.push(f.path);
    expect(ownModel).toEqual([]);
    expect(runFiles.filter((p) => p === "model" || p.startsWith("model/"))).toEqual([]);

    const run = await client.runs.get(py.run_id);
    expect(await findLoggedModelOfRun(client.http, run, "model")).toMatchObject({
      model_id: py.model_id,
      source_run_id: py.run_id,
    });
    const loc = await client.resolveUri(`runs:/${py.run_id}/model`);
    expect(loc).toMatchObject({ runId: py.run_id, loggedModelId: py.model_id });
    expect((await client.resolveUri(`runs:/${py.run_id}/model/MLmodel`)).artifactUri).toBe(
      `${loc.artifactUri}/MLmodel`,
    );

    const result = await client.download(`runs:/${py.run_id}/model`, ourDest);
    const ours = Object.fromEntries(
      await Promise.all(result.files.map(async (f) => [f.path, await sha256(f.localPath)] as const)),
    );
    // Python's models:/ repository writes a local `registered_model_meta` (name/version of a
    // registered model, none here) next to the files: it is not an artifact on the server.
    const { registered_model_meta: _local, ...pyArtifacts } = py.hashes;
    expect(Object.keys(ours).length).toBeGreaterThanOrEqual(4);
    expect(ours).toEqual(pyArtifacts);
    // same place as Python: <dst>/model, nothing else written
    expect(result.localPath).toBe(join(ourDest, "model"));
    const onDisk = await hashTree(ourDest);
    expect(onDisk).toEqual(
      Object.fromEntries(Object.entries(pyArtifacts).map(([k, v]) => [`model/${k}`, v])),
    );
    expect(Object.keys(onDisk)).toContain("model/MLmodel");

    // the artifact client reads runs:/<run>/model through the logged model too
    const listed: Array<{ path: string; isDir: boolean }> = [];
    for await (const f of client.artifacts.list({ runId: py.run_id, path: "model" }))
      listed.push({ path: f.path, isDir: f.isDir });
    expect(
      listed
        .filter((f) => !f.isDir)
        .map((f) => f.path)
        .sort(),
    ).toEqual(Object.keys(pyArtifacts).sort());
    const viaArtifacts = await mkdtemp(join(tmpdir(), "mt-logged-art-"));
    dirs.push(viaArtifacts);
    await client.artifacts.download(`runs:/${py.run_id}/model`, viaArtifacts);
    expect(await hashTree(viaArtifacts)).toEqual(onDisk);
    const mlmodel = join(viaArtifacts, "single", "MLmodel");
    await client.artifacts.downloadFile({ runId: py.run_id, path: "model/MLmodel" }, mlmodel);
    expect(await sha256(mlmodel)).toBe(pyArtifacts.MLmodel);
  });
});
