import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTraceContext } from "@modeltrail/core";
import { runPythonJson } from "@modeltrail/test-utils";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { MlflowClient } from "../../src/index.js";
import { azuriteStore, type CloudStore, motoStore } from "./cloud-stores.js";
import { fakeUnityCatalog } from "./fake-unity-catalog.js";
import { type FakeWorkspace, startFakeWorkspace } from "./fake-workspace.js";
import { rm, tempDir, workspaceClient, writeTree } from "./helpers.js";

const SCRIPT = fileURLToPath(new URL("./python/dbx_crosscheck.py", import.meta.url));
const TOKEN = "dapi0123456789abcdef0123456789abcdef";
const MLMODEL = `artifact_path: model
flavors:
  python_function: {loader_module: mlflow.sklearn}
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: '[{"type": "double"}]'
`;

let ws: FakeWorkspace;
let azure: CloudStore;
let s3: CloudStore;
let client: MlflowClient | undefined;
const cleanup: string[] = [];
let seq = 0;
const python = () => inject("dbxPython");

beforeAll(async () => {
  ws = await startFakeWorkspace();
  azure = await azuriteStore(inject("azuriteUrl"), "mlflow");
  s3 = await motoStore(inject("motoUrl"), "mlflow");
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  ws.server.resetHandlers();
  for (const d of cleanup.splice(0)) await rm(d, { recursive: true, force: true });
});
afterAll(async () => {
  await ws?.close();
});

async function dir(): Promise<string> {
  const d = await tempDir();
  cleanup.push(d);
  return d;
}

/** Runs one command of dbx_crosscheck.py with MLflow's Python client on the fake workspace. */
function py<T>(input: Record<string, unknown>): Promise<T> {
  return runPythonJson<T>(SCRIPT, {
    python: python(),
    input,
    timeoutMs: 100_000,
    env: {
      MLFLOW_TRACKING_URI: "databricks",
      MLFLOW_REGISTRY_URI: "databricks-uc",
      DATABRICKS_HOST: ws.url,
      DATABRICKS_TOKEN: TOKEN,
      DATABRICKS_CONFIG_FILE: "/nonexistent/.databrickscfg",
      MLFLOW_S3_ENDPOINT_URL: inject("motoUrl"),
      // MLflow 3 tries the Files API (databricks-sdk) for run artifacts first; the fake has none
      MLFLOW_DISABLE_DATABRICKS_SDK_FOR_RUN_ARTIFACTS: "true",
      MLFLOW_USE_DATABRICKS_SDK_MODEL_ARTIFACTS_REPO_FOR_UC: "false",
      MLFLOW_DISABLE_TELEMETRY: "true",
      DO_NOT_TRACK: "true",
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const hashes = (files: Map<string, Buffer>) => Object.fromEntries([...files].map(([k, v]) => [k, sha(v)]));

describe.runIf(process.env.CI === "true" || inject("dbxPython") !== "")(
  "MLflow's Python client on the same workspace and stores",
  () => {
    it.each(["azure", "s3"] as const)(
      "reads what modeltrail uploaded to a run, and the reverse (%s)",
      async (kind) => {
        const runId = `xrun${Date.now().toString(16)}${seq++}`;
        ws.addRun(runId, kind === "azure" ? azure : s3);
        client = await workspaceClient(ws.url, {
          env: { MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String(64 * 1024) },
        });
        const src = await dir();
        const files = await writeTree(src, {
          MLmodel: MLMODEL,
          "data/weights.bin": 300_000,
          "data/empty": "",
        });
        await client.artifacts.uploadTree(src, { runId, path: "model" });
        const got = await py<{ files: Record<string, string> }>({
          op: "download_run",
          run_id: runId,
          path: "model",
          dst: await dir(),
        });
        expect(got.files).toEqual(hashes(files));

        const pySrc = await dir();
        const pyFiles = await writeTree(pySrc, { "report.json": '{"auc": 0.9}', "plots/roc.bin": 200_000 });
        await py({ op: "upload_run", run_id: runId, src: pySrc, path: "python" });
        const dest = await dir();
        await client.artifacts.downloadTree({ runId, path: "python" }, dest);
        for (const [rel, data] of pyFiles) {
          const { readFile } = await import("node:fs/promises");
          expect(sha(await readFile(join(dest, rel))), rel).toBe(sha(data));
        }
      },
      300_000,
    );

    it("registers in Unity Catalog (S3 storage) on one side and downloads on the other", async () => {
      const uc = fakeUnityCatalog(inject("azuriteUrl"), { kind: "s3", store: s3, bucket: "mlflow" });
      ws.server.use(...uc.handlers);
      const runId = `xuc${Date.now().toString(16)}${seq++}`;
      ws.addRun(runId, azure);
      client = await workspaceClient(ws.url, {
        registryUri: "databricks-uc",
        registerRetryDelayMs: 0,
        unityCatalogStorage: { s3EndpointUrl: inject("motoUrl") },
      });
      const src = await dir();
      const files = await writeTree(src, { MLmodel: MLMODEL, "model.pkl": 120_000 });
      await client.artifacts.uploadTree(src, { runId, path: "model" });

      // Python registers, modeltrail downloads
      const pyName = `main.ml.py_${seq++}`;
      const registered = await py<{ version: string; status: string }>({
        op: "register",
        source: `runs:/${runId}/model`,
        name: pyName,
      });
      expect(registered).toMatchObject({ version: "1", status: "READY" });
      const dest = await dir();
      await client.download(`models:/${pyName}/1`, dest);
      const { readFile } = await import("node:fs/promises");
      for (const [rel, data] of files) expect(sha(await readFile(join(dest, rel))), rel).toBe(sha(data));

      // modeltrail registers, Python downloads
      const mtName = `main.ml.mt_${seq++}`;
      const ctx = createTraceContext({ code: { gitSha: "0123456789abcdef0123456789abcdef01234567" } });
      const res = await client.registerModel(ctx, { runId, artifactPath: "model", name: mtName });
      expect(res.modelVersion.status).toBe("READY");
      const got = await py<{ files: Record<string, string> }>({
        op: "download_uri",
        uri: `models:/${mtName}/1`,
        dst: await dir(),
      });
      // MLflow's download of models:/ adds its own registered_model_meta file next to the model's
      const { registered_model_meta: meta, ...modelFiles } = got.files;
      expect(meta).toBeDefined();
      expect(modelFiles).toEqual(hashes(files));
    }, 400_000);
  },
);
