import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ConfigError, NotFoundError, ValidationError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MlflowClient } from "../src/index.js";
import { fakeArtifactStore } from "./fake-mlflow.js";
import { useFakeMlflowServer } from "./fake-mlflow-server.js";

const ROUTE = "/api/2.0/mlflow-artifacts/artifacts";
const RUN_ROOT = "mlflow-artifacts:/7/run1/artifacts";
const MODEL_ROOT = "mlflow-artifacts:/7/models/m-1/artifacts";
const MODEL_FILES = {
  MLmodel: "flavors: {}\n",
  "model.pkl": "pickled-bytes",
  "env/conda.yaml": "deps: []\n",
};

const fixture = useFakeMlflowServer();
let dest: string;

beforeEach(async () => {
  dest = await mkdtemp(join(tmpdir(), "mt-lmdl-"));
});
afterEach(async () => {
  await rm(dest, { recursive: true, force: true });
});

/** The client of the running test (some tests keep using the one `makeClient` made). */
let client: MlflowClient;
const makeClient = (): MlflowClient => {
  client = fixture.client();
  return client;
};

/**
 * A tracking server with run1 (experiment 7, proxied root) whose own artifacts are `runFiles`
 * (relative to the run root) and, unless `model` is false, a logged model "model" of run1 at
 * `modelRoot` holding MODEL_FILES. Uploads (PUT) and deletes are recorded, never stored.
 */
function fakeServer(options: { runFiles: string[]; model?: boolean; modelRoot?: string }) {
  const modelRoot = options.modelRoot ?? MODEL_ROOT;
  const store: Record<string, string> = {};
  for (const f of options.runFiles) store[`7/run1/artifacts/${f}`] = `run:${f}`;
  if (options.model !== false)
    for (const [f, c] of Object.entries(MODEL_FILES)) store[`7/models/m-1/artifacts/${f}`] = c;
  return [
    http.get("*/api/2.0/mlflow/runs/get", () =>
      HttpResponse.json({ run: { info: { run_id: "run1", experiment_id: "7", artifact_uri: RUN_ROOT } } }),
    ),
    http.post("*/api/2.0/mlflow/logged-models/search", async ({ request }) => {
      const body = (await request.json()) as { filter: string; experiment_ids: string[] };
      const models =
        options.model !== false && body.filter === "name = 'model'" && body.experiment_ids[0] === "7"
          ? [{ info: { model_id: "m-1", name: "model", artifact_uri: modelRoot, source_run_id: "run1" } }]
          : [];
      return HttpResponse.json({ models });
    }),
    http.get("*/api/2.0/mlflow/logged-models/m-1", () =>
      HttpResponse.json({
        model: { info: { model_id: "m-1", name: "model", artifact_uri: modelRoot, source_run_id: "run1" } },
      }),
    ),
    http.get("*/api/2.0/mlflow/registered-models/alias", () =>
      HttpResponse.json({
        model_version: { name: "churn", version: "3", run_id: "run1", source: "models:/m-1" },
      }),
    ),
    http.get("*/api/2.0/mlflow/model-versions/get-download-uri", () =>
      HttpResponse.json({ artifact_uri: modelRoot }),
    ),
    ...fakeArtifactStore(store, { prefix: "7/run1/artifacts", rootUri: RUN_ROOT }),
  ];
}

const requestsTo = (fragment: string, method?: string) =>
  fixture.server.requests.filter(
    (r) => r.path.includes(fragment) && (method === undefined || r.method === method),
  );
const searches = () => requestsTo("/logged-models/search");
const proxyLists = () =>
  fixture.server.requests.filter((r) => r.method === "GET" && r.path.startsWith(`${ROUTE}?`));

/** Every file below `dir` (relative, `/`-separated) with its text. */
async function localTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[relative(dir, p).split("\\").join("/")] = await readFile(p, "utf8");
  }
  return out;
}

const modelTree = (prefix: string) =>
  Object.fromEntries(Object.entries(MODEL_FILES).map(([k, v]) => [`${prefix}${k}`, v]));

describe("client.download of runs:/ URIs: the local name comes from the requested path", () => {
  it("puts a logged model's files into destDir/model, not destDir/artifacts", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"] }));
    const result = await makeClient().download("runs:/run1/model", dest);
    expect(result.localPath).toBe(join(dest, "model"));
    expect(await localTree(dest)).toEqual(modelTree("model/"));
    expect(result.files.map((f) => f.path).sort()).toEqual(Object.keys(MODEL_FILES).sort());
  });

  it("puts a run-stored model into destDir/model too (unchanged)", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["model/MLmodel", "model/model.pkl"], model: false }));
    const result = await makeClient().download("runs:/run1/model", dest);
    expect(result.localPath).toBe(join(dest, "model"));
    expect(await localTree(dest)).toEqual({
      "model/MLmodel": "run:model/MLmodel",
      "model/model.pkl": "run:model/model.pkl",
    });
    expect(searches()).toHaveLength(0);
  });

  it("puts one file of either kind into destDir/<file name>", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["notes/readme.txt"] }));
    await makeClient().download("runs:/run1/model/MLmodel", join(dest, "a"));
    expect(await localTree(join(dest, "a"))).toEqual({ MLmodel: MODEL_FILES.MLmodel });
    await client.download("runs:/run1/model/env", join(dest, "b"));
    expect(await localTree(join(dest, "b"))).toEqual({ "env/conda.yaml": MODEL_FILES["env/conda.yaml"] });
    await client.download("runs:/run1/notes/readme.txt", join(dest, "c"));
    expect(await localTree(join(dest, "c"))).toEqual({ "readme.txt": "run:notes/readme.txt" });
  });

  it("puts a run's whole root into destDir itself, and honours an explicit name", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"] }));
    // as MLflow's download_artifacts(run_id=...) (it used to land in destDir/artifacts)
    await makeClient().download("runs:/run1", join(dest, "root"));
    expect(await localTree(join(dest, "root"))).toEqual({ "metrics.json": "run:metrics.json" });
    await client.download("runs:/run1/model", join(dest, "named"), { name: "clf" });
    expect(await localTree(join(dest, "named"))).toEqual(modelTree("clf/"));
    await expect(client.download("runs:/run1/model", dest, { name: "../out" })).rejects.toThrow(
      ValidationError,
    );
    await expect(client.download("runs:/run1/model", dest, { name: "a/b" })).rejects.toThrow(ValidationError);
  });
});

describe("client.download of models:/ URIs", () => {
  it("puts the model's files into destDir itself, as MLflow does (not destDir/artifacts)", async () => {
    fixture.server.use(...fakeServer({ runFiles: [] }));
    await makeClient().download("models:/m-1", join(dest, "by-id"));
    expect(await localTree(join(dest, "by-id"))).toEqual(modelTree(""));
    await client.download("models:/churn@champion", join(dest, "by-alias"));
    expect(await localTree(join(dest, "by-alias"))).toEqual(modelTree(""));
  });
});

describe("client.artifacts reads of run paths fall back to the run's logged model", () => {
  it("download(runs:/<run>/model) lands in destDir/model with one parent listing and one search", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"] }));
    const result = await makeClient().artifacts.download("runs:/run1/model", dest);
    expect(result.localPath).toBe(join(dest, "model"));
    expect(await localTree(dest)).toEqual(modelTree("model/"));
    expect(searches()).toHaveLength(1);
    // the parent (run root) listed once to look for "model", then the model's own listings
    const listed = proxyLists().map((r) => new URL(r.path, fixture.server.url).searchParams.get("path"));
    expect(listed.filter((p) => p === "7/run1/artifacts")).toHaveLength(1);
    expect(listed.every((p) => p === "7/run1/artifacts" || p?.startsWith("7/models/m-1/artifacts"))).toBe(
      true,
    );
    expect(requestsTo("/mlflow/artifacts/list")).toHaveLength(0);
  });

  it("list, downloadFile and downloadTree of { runId, path } read the logged model; runs/get is cached", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"] }));
    const artifacts = makeClient().artifacts;
    const listed: string[] = [];
    for await (const f of artifacts.list({ runId: "run1", path: "model" })) listed.push(f.path);
    expect(listed.sort()).toEqual(["MLmodel", "env", "env/conda.yaml", "model.pkl"]);

    const one = await artifacts.downloadFile({ runId: "run1", path: "model/MLmodel" }, join(dest, "f", "M"));
    expect(one.bytes).toBe(Buffer.byteLength(MODEL_FILES.MLmodel));
    expect(await readFile(join(dest, "f", "M"), "utf8")).toBe(MODEL_FILES.MLmodel);

    const tree = await artifacts.downloadTree("runs:/run1/model/env", join(dest, "t"));
    expect(tree.files.map((f) => f.path)).toEqual(["conda.yaml"]);
    expect(await localTree(join(dest, "t"))).toEqual({ "conda.yaml": MODEL_FILES["env/conda.yaml"] });
    expect(requestsTo("/mlflow/runs/get")).toHaveLength(1);

    // without the fallback: only the run's own artifacts, which have nothing there
    const own: string[] = [];
    for await (const f of artifacts.list({ runId: "run1", path: "model" }, { runArtifactsOnly: true }))
      own.push(f.path);
    expect(own).toEqual([]);
  });

  it("reads the run's own artifacts without searching logged models when they hold the path", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["model/MLmodel", "model/weights.bin"] }));
    const listed: string[] = [];
    for await (const f of makeClient().artifacts.list({ runId: "run1", path: "model" })) listed.push(f.path);
    expect(listed.sort()).toEqual(["MLmodel", "weights.bin"]);
    await client.artifacts.download({ runId: "run1", path: "model" }, dest);
    expect(await localTree(dest)).toEqual({
      "model/MLmodel": "run:model/MLmodel",
      "model/weights.bin": "run:model/weights.bin",
    });
    expect(searches()).toHaveLength(0);
  });

  it("keeps the run location (NotFoundError) when neither the run nor a logged model has the path", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"], model: false }));
    await expect(makeClient().artifacts.download("runs:/run1/model", dest)).rejects.toThrow(NotFoundError);
    expect(searches()).toHaveLength(1);
    expect(await localTree(dest)).toEqual({});
  });

  it("reads the whole run root without any lookup", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"] }));
    await makeClient().artifacts.download({ runId: "run1" }, dest);
    expect(await localTree(dest)).toEqual({ "metrics.json": "run:metrics.json" });
    expect(searches()).toHaveLength(0);
  });

  it("refuses a logged model whose root the server does not proxy with a ConfigError", async () => {
    fixture.server.use(...fakeServer({ runFiles: [], modelRoot: "s3://bucket/7/models/m-1/artifacts" }));
    await expect(makeClient().artifacts.download("runs:/run1/model", dest)).rejects.toThrow(ConfigError);
  });
});

describe("client.artifacts writes always address the run", () => {
  it("uploadFile, uploadTree and delete of runs:/<run>/model go to the run's own artifacts", async () => {
    fixture.server.use(...fakeServer({ runFiles: [] }));
    const local = join(dest, "in");
    await writeFile(join(dest, "w.bin"), "w");
    await mkdir(local);
    await writeFile(join(local, "MLmodel"), "mine");
    const artifacts = makeClient().artifacts;
    await artifacts.uploadFile(join(dest, "w.bin"), { runId: "run1", path: "model" });
    await artifacts.uploadTree(local, "runs:/run1/model");
    await artifacts.delete({ runId: "run1", path: "model" });
    const writes = fixture.server.requests
      .filter((r) => r.method === "PUT" || r.method === "DELETE")
      .map((r) => `${r.method} ${decodeURIComponent(r.path)}`);
    expect(writes).toEqual([
      `PUT ${ROUTE}/7/run1/artifacts/model/w.bin`,
      `PUT ${ROUTE}/7/run1/artifacts/model/MLmodel`,
      `DELETE ${ROUTE}/7/run1/artifacts/model`,
    ]);
    expect(searches()).toHaveLength(0);
    expect(proxyLists()).toHaveLength(0);
  });
});
