/**
 * MLflow as Databricks hosts it: every public method of the client's Databricks artifact store
 * (`client.artifacts`, cloud storage through signed URIs) and the client's flows on a Unity Catalog
 * registry pass the caller's per-call options (each key of CALL_OPTION_KEYS) to every request, to
 * the workspace and to cloud storage (Azurite, moto) alike, except `headers`, which never go to a
 * signed storage URI. The artifacts table is typed `Record<PublicMethodName<DatabricksArtifacts>, ...>`:
 * a method added without a row fails the typecheck. (The open-source server's table is
 * call-options.int.test.ts; the UC registry's own methods are uc-call-options.test.ts.)
 */
import { join } from "node:path";
import { type CallOptions, ConfigError, createTraceContext } from "@modeltrail/core";
import {
  callOptionsProbe,
  expectAbortReachesTransport,
  expectProbeReachedTransport,
  type PublicMethodName,
  recordTransport,
} from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { DatabricksArtifacts, MlflowClient, UcModelVersion } from "../../src/index.js";
import { azuriteStore, type CloudStore, motoStore } from "./cloud-stores.js";
import { fakeUnityCatalog, type UcBacking } from "./fake-unity-catalog.js";
import { type FakeWorkspace, startFakeWorkspace } from "./fake-workspace.js";
import { rm, tempDir, workspaceClient, writeTree } from "./helpers.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const ctx = createTraceContext({ code: { gitSha: SHA } });
const MLMODEL = `artifact_path: model
flavors:
  python_function: {loader_module: mlflow.sklearn}
signature:
  inputs: '[{"type": "double", "name": "x"}]'
  outputs: '[{"type": "double"}]'
`;
const TREE = { MLmodel: MLMODEL, "model.pkl": 20_000, "conda.yaml": "name: x\n" };

interface Row<P = void> {
  prepare?: () => Promise<P>;
  call: (options: CallOptions, prepared: P) => Promise<unknown>;
}
// biome-ignore lint/suspicious/noExplicitAny: rows prepare different things
type Table<Api> = Record<PublicMethodName<Api>, Row<any> | "no request">;

let ws: FakeWorkspace;
let ucStore: CloudStore;
let uc: ReturnType<typeof fakeUnityCatalog>;
let work: string;
let seq = 0;
const cleanup: MlflowClient[] = [];

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

const stores = (): Array<[string, () => Promise<CloudStore>]> => [
  ["Azure blob (Azurite)", () => azuriteStore(inject("azuriteUrl"), "mlflow")],
  ["S3 (moto)", () => motoStore(inject("motoUrl"), "mlflow")],
];

beforeAll(async () => {
  ws = await startFakeWorkspace();
  ucStore = await azuriteStore(inject("azuriteUrl"), "ucmodels");
  uc = fakeUnityCatalog(inject("azuriteUrl"), {
    kind: "azure",
    store: ucStore,
    container: "ucmodels",
  } as UcBacking);
  work = await tempDir("mt-dbx-call-options-");
});
afterAll(async () => {
  for (const c of cleanup) await c.close();
  await ws?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function client(extra: Parameters<typeof workspaceClient>[1] = {}): Promise<MlflowClient> {
  const c = await workspaceClient(ws.url, extra);
  cleanup.push(c);
  return c;
}

const dir = (name: string) => tempDir(`mt-dbx-${name}-`);

/** Runs the table's rows as tests: every option reaches every request, and aborting aborts. */
function runTable(api: string, rows: Record<string, Row<unknown> | "no request">): void {
  for (const [method, row] of Object.entries(rows)) {
    if (row === "no request") continue;
    const label = `${api}.${method}`;
    it(`${label}: every per-call option reaches every request (headers only to the workspace)`, async () => {
      const probe = callOptionsProbe();
      const prepared = await row.prepare?.();
      const { calls } = await recordTransport(() => row.call(probe.options, prepared));
      expectProbeReachedTransport(label, calls, probe, "mlflow");
      const again = await row.prepare?.();
      await expectAbortReachesTransport(label, (o) => row.call(o, again));
    });
  }
}

describe.each(stores())("Databricks artifacts on %s", (_label, makeStore) => {
  let store: CloudStore;
  let c: MlflowClient;
  const arts = () => c.artifacts as DatabricksArtifacts;
  /** A fresh run with `model/` uploaded (fresh: the client caches what runs/get said of a run). */
  const runWithModel = async (): Promise<string> => {
    const id = `corun${Date.now().toString(16)}${seq++}`;
    ws.addRun(id, store);
    await writeTree(join(work, id), TREE);
    await arts().uploadTree(join(work, id), { runId: id, path: "model" });
    return id;
  };

  beforeAll(async () => {
    store = await makeStore();
    c = await client();
    // The workspace registry's files of version 1 of "wsmodel" are a run's model/ directory.
    const registryRun = await runWithModel();
    const prefix = `1/${registryRun}/artifacts/model`;
    ws.server.use(
      http.get("*/api/2.0/mlflow/model-versions/list-artifacts", ({ request }) => {
        const path = new URL(request.url).searchParams.get("path") ?? "";
        if (path !== "") return HttpResponse.json({ files: [] });
        return HttpResponse.json({
          files: Object.entries(TREE).map(([p, v]) => ({
            path: p,
            is_dir: false,
            file_size: String(typeof v === "number" ? v : Buffer.byteLength(v)),
          })),
        });
      }),
      http.get("*/api/2.0/mlflow/model-versions/get-signed-download-uri", async ({ request }) => {
        const path = new URL(request.url).searchParams.get("path") ?? "";
        return HttpResponse.json({ signed_uri: await store.signedUrl(`${prefix}/${path}`, "read", 900) });
      }),
    );
  });
  afterAll(() => {
    ws.server.resetHandlers();
  });

  const rows: Table<DatabricksArtifacts> = {
    resolve: {
      prepare: runWithModel,
      call: (o, id: string) => arts().resolve({ runId: id, path: "model" }, o),
    },
    list: {
      prepare: runWithModel,
      call: (o, id: string) => drain(arts().list({ runId: id, path: "model" }, o)),
    },
    downloadFile: {
      prepare: runWithModel,
      call: async (o, id: string) =>
        arts().downloadFile({ runId: id, path: "model/MLmodel" }, join(await dir("f"), "MLmodel"), o),
    },
    downloadTree: {
      prepare: runWithModel,
      call: async (o, id: string) => arts().downloadTree({ runId: id, path: "model" }, await dir("t"), o),
    },
    download: {
      prepare: runWithModel,
      call: async (o, id: string) => arts().download({ runId: id, path: "model" }, await dir("d"), o),
    },
    downloadModelVersion: {
      call: async (o) => arts().downloadModelVersion("wsmodel", "1", await dir("mv"), o),
    },
    uploadFile: {
      prepare: async () => {
        const id = `coup${Date.now().toString(16)}${seq++}`;
        ws.addRun(id, store);
        await writeTree(join(work, id), TREE);
        return id;
      },
      call: (o, id: string) => arts().uploadFile(join(work, id, "MLmodel"), { runId: id, path: "model" }, o),
    },
    uploadTree: {
      prepare: async () => {
        const id = `coupt${Date.now().toString(16)}${seq++}`;
        ws.addRun(id, store);
        await writeTree(join(work, id), TREE);
        return id;
      },
      call: (o, id: string) => arts().uploadTree(join(work, id), { runId: id, path: "model" }, o),
    },
    // Databricks has no artifact delete: the run is read (with the options), then ConfigError.
    // A run this client has not read yet, so that it asks the workspace.
    delete: {
      prepare: async () => {
        const id = `codel${Date.now().toString(16)}${seq++}`;
        ws.addRun(id, store);
        return id;
      },
      call: (o, id: string) =>
        arts()
          .delete({ runId: id, path: "model" }, o)
          .then(
            () => {
              throw new Error("delete of a Databricks run's artifacts resolved");
            },
            (err: unknown) => {
              if (!(err instanceof ConfigError)) throw err;
              return "refused";
            },
          ),
    },
    closeStorage: "no request",
  };
  runTable("artifacts", rows);

  it("the storage requests are there and get no caller headers", async () => {
    const probe = callOptionsProbe();
    const id = await runWithModel();
    const dest = await dir("s");
    const { calls } = await recordTransport(() =>
      arts().downloadTree({ runId: id, path: "model" }, dest, probe.options),
    );
    expect(calls.filter((x) => x.service !== "mlflow").length).toBeGreaterThanOrEqual(
      Object.keys(TREE).length,
    );
  });
});

describe("the client's flows on a Unity Catalog registry (Azure storage)", () => {
  let c: MlflowClient;
  let name: string;
  const azure = () => azuriteStore(inject("azuriteUrl"), "mlflow");
  const runWithModel = async (): Promise<string> => {
    const id = `cour${Date.now().toString(16)}${seq++}`;
    ws.addRun(id, await azure());
    await writeTree(join(work, id), TREE);
    await c.artifacts.uploadTree(join(work, id), { runId: id, path: "model" });
    return id;
  };

  beforeAll(async () => {
    ws.server.use(...uc.handlers);
    const azuriteBase = inject("azuriteUrl").replace(/\/[^/]+$/, "");
    c = await client({
      registryUri: "databricks-uc",
      registerRetryDelayMs: 0,
      unityCatalogStorage: { azureBlobEndpoint: (account) => `${azuriteBase}/${account}` },
    });
    name = `main.ml.probe_${seq++}`;
    const runId = await runWithModel();
    await c.registerModel(ctx, { runId, artifactPath: "model", name });
  });
  afterAll(() => {
    ws.server.resetHandlers();
  });

  const rows: Record<string, Row<unknown>> = {
    registerModel: {
      prepare: runWithModel,
      call: (o, runId) =>
        c.registerModel(ctx, {
          ...o,
          runId: runId as string,
          artifactPath: "model",
          name: `main.ml.reg_${seq++}`,
        }),
    },
    download: { call: async (o) => c.download(`models:/${name}/1`, await dir("ucd"), o) },
    resolveUri: { call: (o) => c.resolveUri(`models:/${name}/1`, o) },
    traceOfModelVersion: { call: (o) => c.traceOfModelVersion(name, 1, o) },
    findModelVersions: { call: (o) => drain(c.findModelVersions({ gitSha: SHA }, { ...o, name })) },
    listUcModelVersionFiles: {
      prepare: async () => c.unityCatalog?.getModelVersion(name, 1),
      call: (o, mv) => c.listUcModelVersionFiles(mv as UcModelVersion, o),
    },
  };
  runTable("MlflowClient (Unity Catalog)", rows);
});
