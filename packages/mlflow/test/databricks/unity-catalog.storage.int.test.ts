import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createTraceContext, ValidationError } from "@modeltrail/core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { MlflowClient } from "../../src/index.js";
import { azuriteStore, type CloudStore, motoStore } from "./cloud-stores.js";
import { fakeUnityCatalog, type UcBacking } from "./fake-unity-catalog.js";
import { type FakeWorkspace, startFakeWorkspace } from "./fake-workspace.js";
import { eventLog, readTree, rm, signaturesOf, tempDir, workspaceClient, writeTree } from "./helpers.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const ctx = createTraceContext({
  code: { gitSha: SHA, branch: "main" },
  job: { platform: "databricks", jobId: "1795788642450000", runId: "1795788642450001" },
});
const MLMODEL_WITH_SIGNATURE = `artifact_path: model
flavors:
  python_function: {loader_module: mlflow.sklearn}
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: '[{"type": "double"}]'
`;

let ws: FakeWorkspace;
let azure: CloudStore;
let ucAzure: CloudStore;
let s3: CloudStore;
let uc: ReturnType<typeof fakeUnityCatalog>;
let client: MlflowClient | undefined;
const cleanup: string[] = [];
let seq = 0;

beforeAll(async () => {
  ws = await startFakeWorkspace();
  azure = await azuriteStore(inject("azuriteUrl"), "mlflow");
  ucAzure = await azuriteStore(inject("azuriteUrl"), "ucmodels");
  s3 = await motoStore(inject("motoUrl"), "mlflow");
  uc = fakeUnityCatalog(inject("azuriteUrl"), { kind: "azure", store: ucAzure, container: "ucmodels" });
});
beforeEach(() => {
  ws.server.use(...uc.handlers);
  uc.state.credentialRequests.length = 0;
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

function ucClient(extra: Parameters<typeof workspaceClient>[1] = {}): Promise<MlflowClient> {
  const azuriteBase = inject("azuriteUrl").replace(/\/[^/]+$/, "");
  return workspaceClient(ws.url, {
    registryUri: "databricks-uc",
    registerRetryDelayMs: 0,
    unityCatalogStorage: {
      azureBlobEndpoint: (account) => `${azuriteBase}/${account}`,
      s3EndpointUrl: inject("motoUrl"),
    },
    ...extra,
  });
}

/** A run on the fake workspace whose artifacts hold `model/` (with MLmodel `mlmodel`). */
async function runWithModel(
  mlmodel = MLMODEL_WITH_SIGNATURE,
): Promise<{ runId: string; files: Map<string, Buffer> }> {
  // shaped like MLflow's run ids (32 hex characters), which classifyRunId tells from job run ids
  const runId = randomBytes(16).toString("hex");
  ws.addRun(runId, azure);
  const src = await dir();
  const files = await writeTree(src, { MLmodel: mlmodel, "model.pkl": 70_000, "conda.yaml": "name: x\n" });
  const c = await workspaceClient(ws.url);
  await c.artifacts.uploadTree(src, { runId, path: "model" });
  await c.close();
  return { runId, files };
}

describe.each(["azure", "s3"] as const)("Unity Catalog registry with %s storage", (kind) => {
  beforeEach(() => {
    uc.state.backing = (
      kind === "azure"
        ? { kind, store: ucAzure, container: "ucmodels" }
        : { kind, store: s3, bucket: "mlflow" }
    ) as UcBacking;
  });

  it("registers a traceable version: create, upload with temporary credentials, finalize, READY; then finds, traces and downloads it", async () => {
    const { runId, files } = await runWithModel();
    const { events, logger } = eventLog();
    client = await ucClient({ logger });
    const name = `main.ml.churn_${kind}_${seq++}`;
    const res = await client.registerModel(ctx, { runId, artifactPath: "model", name });
    expect(res.created).toBe(true);
    expect(res.modelVersion.status).toBe("READY");
    expect(res.trace.model?.version).toBe("1");
    // files are in the storage location UC assigned, written with its temporary credentials
    const stored = uc.models.get(name)?.versions.get("1");
    expect(stored?.storage_location).toMatch(kind === "azure" ? /^abfss:\/\/ucmodels@/ : /^s3:\/\/mlflow\//);
    const prefix = (stored?.storage_location ?? "").replace(/^[a-z0-9]+:\/\/[^/]+\//, "");
    const store = kind === "azure" ? ucAzure : s3;
    for (const [rel, data] of files) expect((await store.read(`${prefix}/${rel}`)).equals(data)).toBe(true);
    expect(uc.state.credentialRequests.map((r) => r.operation)).toContain(
      "MODEL_VERSION_OPERATION_READ_WRITE",
    );
    // trace tags under UC-safe keys
    expect(stored?.tags.GIT_SHA).toBe(SHA);
    expect(stored?.tags.DBR_RUN_ID).toBe("1795788642450001");
    expect(stored?.tags.mlflow_source_git_commit).toBe(SHA);
    expect(Object.keys(stored?.tags ?? {}).every((k) => !/[.,\-=/:]/.test(k))).toBe(true);

    const trace = await client.traceOfModelVersion(name, 1);
    expect(trace.code?.gitSha).toBe(SHA);
    expect(trace.job?.runId).toBe("1795788642450001");
    expect(trace.model).toMatchObject({ name, version: "1", mlflowRunId: runId });

    const bySha = [];
    for await (const mv of client.findModelVersions({ gitSha: SHA.slice(0, 12) }, { name }))
      bySha.push(mv.version);
    expect(bySha).toEqual(["1"]);
    const byRun = [];
    for await (const mv of client.findModelVersions({ mlflowRunId: runId }))
      byRun.push(`${mv.name}/${mv.version}`);
    expect(byRun).toEqual([`${name}/1`]);
    const byJob = [];
    for await (const mv of client.findModelVersions({ jobRunId: "1795788642450001" }, { name }))
      byJob.push(mv.version);
    expect(byJob).toEqual(["1"]);
    // "the run id" of either kind (DESIGN.md, "Which id is which")
    for (const id of ["1795788642450001", runId]) {
      const byEither = [];
      for await (const mv of client.findModelVersions({ runId: id }, { name })) byEither.push(mv.version);
      expect(byEither, id).toEqual(["1"]);
    }

    // idempotent
    const again = await client.registerModel(ctx, { runId, artifactPath: "model", name });
    expect(again.created).toBe(false);
    expect(again.modelVersion.version).toBe("1");

    // download by version and by alias, with READ credentials
    await client.unityCatalog?.setAlias(name, "champion", 1);
    for (const uri of [`models:/${name}/1`, `models:/${name}@champion`]) {
      const dest = await dir();
      await client.download(uri, dest);
      const got = await readTree(dest, files.keys());
      for (const [rel, data] of files) expect(got.get(rel)?.equals(data), `${uri} ${rel}`).toBe(true);
    }
    expect(uc.state.credentialRequests.map((r) => r.operation)).toContain("MODEL_VERSION_OPERATION_READ");
    // no temporary credential in any log line
    const text = JSON.stringify(events);
    for (const sig of signaturesOf(ws.state.issued)) expect(text).not.toContain(sig);
    expect(text).not.toContain("uc-temp-secret-0123456789abcdef");
    expect(text).not.toContain("uc-session-token-0123456789abcdef");
    if (kind === "azure") expect(text).not.toMatch(/[?&]sig=[A-Za-z0-9%]{10}/);
  });
});

describe("Unity Catalog rules", () => {
  it("refuses a model without a signature, saying UC requires one, before creating a version", async () => {
    const { runId } = await runWithModel("artifact_path: model\nflavors: {}\n");
    client = await ucClient();
    const name = `main.ml.nosig_${seq++}`;
    const err = await client
      .registerModel(ctx, { runId, artifactPath: "model", name })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(String((err as Error).message)).toMatch(/signature/);
    expect(String((err as ValidationError).hint)).toMatch(/infer_signature/);
    expect(uc.models.get(name)?.versions.size ?? 0).toBe(0);
  });

  it("checks names and tag rules before sending, and says UC has no stages", async () => {
    client = await ucClient();
    const registry = client.unityCatalog!;
    const before = ws.server.requests.length;
    await expect(registry.getModelVersion("churn", 1)).rejects.toThrow(/three levels/);
    await expect(registry.setModelVersionTag("main.ml.m", 1, "a.b", "x")).rejects.toThrow(/Unity Catalog/);
    await expect(registry.setModelVersionTag("main.ml.m", 1, "k", "x".repeat(1001))).rejects.toBeInstanceOf(
      ValidationError,
    );
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
    await expect(registry.createRegisteredModel("main.ml.m", { tags: tooMany })).rejects.toThrow(/tags/);
    expect(() => registry.transitionStage("main.ml.m", 1, "Production")).toThrow(/no model stages/);
    await expect(client.download("models:/main.ml.m/Production", await dir())).rejects.toThrow(
      /no model stages/,
    );
    await expect(client.findModelVersions({ gitSha: SHA }).next()).rejects.toThrow(/needs the model name/);
    expect(ws.server.requests.length).toBe(before);
  });

  it("takes the registry from MLFLOW_REGISTRY_URI and refuses it without a Databricks tracking URI", async () => {
    client = await workspaceClient(ws.url, { env: { MLFLOW_REGISTRY_URI: "databricks-uc" } });
    expect(client.unityCatalog).toBeDefined();
    const { MlflowClient } = await import("../../src/index.js");
    expect(
      () =>
        new MlflowClient({
          trackingUri: "http://127.0.0.1:1",
          env: { MLFLOW_REGISTRY_URI: "databricks-uc" },
        }),
    ).toThrow(/needs a Databricks tracking URI/);
    void join;
  });
});
