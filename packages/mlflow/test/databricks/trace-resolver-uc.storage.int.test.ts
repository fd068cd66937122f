import { createHash, randomBytes } from "node:crypto";
import {
  createTraceContext,
  DEFAULT_CONVENTIONS,
  type RequestEvent,
  trace,
  ValidationError,
} from "@modeltrail/core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type MlflowClient, mlflowTraceResolver } from "../../src/index.js";
import { azuriteStore, type CloudStore } from "./cloud-stores.js";
import { fakeUnityCatalog } from "./fake-unity-catalog.js";
import { type FakeWorkspace, startFakeWorkspace } from "./fake-workspace.js";
import { rm, tempDir, workspaceClient, writeTree } from "./helpers.js";

// The MLflow trace resolver on a Unity Catalog registry: the fake workspace and the fake UC registry
// (msw on a loopback port), the model files in Azurite, as the other UC tests run them.

const SHA = "89abcdef0123456789abcdef0123456789abcdef";
const JOB_RUN = "1795788642459001";
const ctx = createTraceContext({
  code: { gitSha: SHA, branch: "main" },
  job: { platform: "databricks", jobId: "1795788642459000", runId: JOB_RUN },
  environment: { runtime: { python: "3.12.3" } },
});
const MLMODEL = `artifact_path: model
flavors:
  python_function: {loader_module: mlflow.sklearn}
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: '[{"type": "double"}]'
`;
const lookup = (events: RequestEvent[] = []) => ({
  conventions: DEFAULT_CONVENTIONS,
  onRequest: (e: RequestEvent) => events.push(e),
});

let ws: FakeWorkspace;
let azure: CloudStore;
let uc: ReturnType<typeof fakeUnityCatalog>;
let client: MlflowClient;
let name: string;
let runId: string;
let files: Map<string, Buffer>;
const dirs: string[] = [];

beforeAll(async () => {
  ws = await startFakeWorkspace();
  azure = await azuriteStore(inject("azuriteUrl"), "mlflow");
  const ucAzure = await azuriteStore(inject("azuriteUrl"), "ucmodels");
  uc = fakeUnityCatalog(inject("azuriteUrl"), { kind: "azure", store: ucAzure, container: "ucmodels" });
  ws.server.use(...uc.handlers);
  const azuriteBase = inject("azuriteUrl").replace(/\/[^/]+$/, "");
  client = await workspaceClient(ws.url, {
    registryUri: "databricks-uc",
    registerRetryDelayMs: 0,
    unityCatalogStorage: { azureBlobEndpoint: (account) => `${azuriteBase}/${account}` },
  });
  runId = randomBytes(16).toString("hex");
  ws.addRun(runId, azure);
  const src = await tempDir();
  dirs.push(src);
  files = await writeTree(src, { MLmodel: MLMODEL, "model.pkl": 70_000, "data/weights.bin": 3_000 });
  await client.artifacts.uploadTree(src, { runId, path: "model" });
  name = `main.ml.trace_${randomBytes(3).toString("hex")}`;
  await client.registerModel(ctx, { runId, artifactPath: "model", name });
});
afterEach(() => {
  uc.state.credentialRequests.length = 0;
});
afterAll(async () => {
  await client?.close();
  await ws?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("mlflowTraceResolver on a Unity Catalog registry", () => {
  it("reads a three-level name from UC: tags under the conventions' names, files with sizes, a UC link", async () => {
    uc.state.credentialRequests.length = 0;
    const events: RequestEvent[] = [];
    const mv = await mlflowTraceResolver(client).getModelVersion?.(name, "1", lookup(events));
    expect(mv).toMatchObject({ name, version: "1", mlflowRunId: runId, status: "READY" });
    // UC keeps GIT_SHA as is and mlflow.source.git.commit as mlflow_source_git_commit: both read back
    expect(mv?.tags.GIT_SHA).toBe(SHA);
    expect(mv?.tags["mlflow.source.git.commit"]).toBe(SHA);
    expect(mv?.tags.DBR_RUN_ID).toBe(JOB_RUN);
    expect(mv?.tags["modeltrail.environment.runtime.python"]).toBe("3.12.3");
    expect(mv?.files).toEqual(
      [...files]
        .map(([path, data]) => ({ path, size: data.length }))
        .sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
    const [catalog, schema, model] = name.split(".");
    expect(mv?.url).toBe(`${ws.url}/explore/data/models/${catalog}/${schema}/${model}/version/1`);
    // the walk's call options reach UC's API (counted); the files are listed with READ credentials only
    expect(events.some((e) => e.url.includes("/unity-catalog/model-versions/get"))).toBe(true);
    expect(uc.state.credentialRequests.map((r) => r.operation)).toEqual(["MODEL_VERSION_OPERATION_READ"]);
  });

  it("trace() from models:/catalog.schema.model/1 answers the commit, the job run and the runtime from UC's tags", async () => {
    const report = await trace(`models:/${name}/1`, { resolvers: [mlflowTraceResolver(client)] });
    const l = report.lineages[0];
    expect(l?.artifacts.modelName?.value).toBe(name);
    expect(l?.code.gitSha?.value).toBe(SHA);
    expect(l?.code.gitSha?.source).toMatchObject({ system: "mlflow", object: `model version ${name}/1` });
    expect(l?.infrastructure.training.jobRunId?.value).toBe(JOB_RUN);
    expect(l?.environment.training.runtime?.python?.value).toBe("3.12.3");
    expect(l?.artifacts.files?.map((f) => f.path).sort()).toEqual([...files.keys()].sort());
    expect(report.unreachable.filter((u) => u.system === "mlflow")).toEqual([]);
  });

  it("finds the UC version of an MLflow run (UC's search) and of a commit or job run (unityCatalogModels)", async () => {
    const r = mlflowTraceResolver(client, { unityCatalogModels: [name] });
    for (const query of [{ mlflowRunId: runId }, { gitSha: SHA }, { jobRunId: JOB_RUN }]) {
      const found = await r.findModelVersions?.(query, lookup());
      expect(
        found?.map((v) => `${v.name}/${v.version}`),
        JSON.stringify(query),
      ).toEqual([`${name}/1`]);
      expect(found?.[0]?.tags.GIT_SHA).toBe(SHA);
    }
    expect(await r.findModelVersions?.({ gitSha: "f".repeat(40) }, lookup())).toEqual([]);
    // without unityCatalogModels a commit reaches UC versions only through the runs it finds
    expect(await mlflowTraceResolver(client).findModelVersions?.({ gitSha: SHA }, lookup())).toEqual([]);
    const report = await trace(SHA, { resolvers: [r] });
    expect(report.lineages.map((x) => x.artifacts.modelName?.value)).toContain(name);
  });

  it("hashes a UC version's files from a download (verify's artifact check)", async () => {
    const digests = await mlflowTraceResolver(client).getModelVersionFileDigests?.(name, "1", lookup());
    expect(digests).toEqual(
      [...files]
        .map(([path, data]) => ({ path, size: data.length, digest: sha256(data) }))
        .sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
  });

  it("a version UC does not have is not found; names that are not UC's go to the workspace registry", async () => {
    const r = mlflowTraceResolver(client);
    expect(await r.getModelVersion?.(`${name}`, "99", lookup())).toBeUndefined();
    expect(await r.getModelVersion?.("main.ml.nothing_here", "1", lookup())).toBeUndefined();
    expect(await r.getModelVersionFileDigests?.(name, "99", lookup())).toBeUndefined();
    const events: RequestEvent[] = [];
    await r.getModelVersion?.("churn", "1", lookup(events)).catch(() => undefined);
    expect(events.every((e) => !e.url.includes("/unity-catalog/"))).toBe(true);
  });

  it("refuses unityCatalogModels that are not three-level names, or without a UC registry", async () => {
    expect(() => mlflowTraceResolver(client, { unityCatalogModels: ["churn"] })).toThrow(ValidationError);
    const plain = await workspaceClient(ws.url);
    try {
      expect(() => mlflowTraceResolver(plain, { unityCatalogModels: [name] })).toThrow(/Unity Catalog/);
    } finally {
      await plain.close();
    }
  });
});
