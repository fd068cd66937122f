/**
 * Every public method of MLflow's Unity Catalog registry (`client.unityCatalog`) passes the caller's
 * per-call options (each key of CALL_OPTION_KEYS: signal, timeoutMs, deadlineMs, retry, headers,
 * maxResponseBytes, onRequest) to every request it makes, against a workspace answering each UC
 * endpoint with a documented response shape. The table is typed
 * `Record<PublicMethodName<UnityCatalogRegistry>, ...>`: a method added without a row fails the
 * typecheck. The flows that also reach cloud storage (register, download) are the storage tier's.
 */
import type { CallOptions } from "@modeltrail/core";
import { ValidationError } from "@modeltrail/core";
import {
  callOptionsProbe,
  expectAbortReachesTransport,
  expectProbeReachedTransport,
  type MswServer,
  type PublicMethodName,
  recordTransport,
  startMswServer,
} from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MlflowClient, type UnityCatalogRegistry } from "../src/index.js";

const API = "*/api/2.0/mlflow/unity-catalog";
const NAME = "main.ml.churn";

const version = {
  name: NAME,
  version: "3",
  status: "READY",
  source: "dbfs:/databricks/mlflow-tracking/1/abc/artifacts/model",
  run_id: "0123456789abcdef0123456789abcdef",
  storage_location: "abfss://models@acct.dfs.core.windows.net/models/42/versions/3",
  tags: [{ key: "GIT_SHA", value: "0123456789abcdef0123456789abcdef01234567" }],
  aliases: [{ alias: "champion", version: "3" }],
};
const model = {
  name: NAME,
  tags: [{ key: "team", value: "ml" }],
  aliases: [{ alias: "champion", version: "3" }],
};
const credentials = {
  azure_user_delegation_sas: { sas_token: "sv=2024-05-04&sig=probe-not-a-secret" },
  expiration_time: 4_102_444_800_000,
};

/** Two pages, so that a listing's second request is checked too. */
function paged<T>(key: string, item: T) {
  return ({ request }: { request: Request }) =>
    HttpResponse.json(
      new URL(request.url).searchParams.get("page_token")
        ? { [key]: [item] }
        : { [key]: [item], next_page_token: "p2" },
    );
}

const handlers = [
  http.post(`${API}/registered-models/create`, () => HttpResponse.json({ registered_model: model })),
  http.get(`${API}/registered-models/get`, () => HttpResponse.json({ registered_model: model })),
  http.delete(`${API}/registered-models/delete`, () => HttpResponse.json({})),
  http.get(`${API}/registered-models/search`, paged("registered_models", model)),
  http.post(`${API}/registered-models/set-tag`, () => HttpResponse.json({})),
  http.delete(`${API}/registered-models/delete-tag`, () => HttpResponse.json({})),
  http.post(`${API}/registered-models/alias`, () => HttpResponse.json({})),
  http.delete(`${API}/registered-models/alias`, () => HttpResponse.json({})),
  http.get(`${API}/registered-models/alias`, () => HttpResponse.json({ model_version: version })),
  http.post(`${API}/model-versions/create`, () =>
    HttpResponse.json({ model_version: { ...version, status: "PENDING_REGISTRATION" } }),
  ),
  http.post(`${API}/model-versions/finalize`, () => HttpResponse.json({ model_version: version })),
  http.post(`${API}/model-versions/generate-temporary-credentials`, () => HttpResponse.json({ credentials })),
  http.get(`${API}/model-versions/get`, () => HttpResponse.json({ model_version: version })),
  http.delete(`${API}/model-versions/delete`, () => HttpResponse.json({})),
  http.get(`${API}/model-versions/search`, paged("model_versions", version)),
  http.post(`${API}/model-versions/set-tag`, () => HttpResponse.json({})),
  http.delete(`${API}/model-versions/delete-tag`, () => HttpResponse.json({})),
  http.get(`${API}/model-versions/get-download-uri`, () =>
    HttpResponse.json({ artifact_uri: version.storage_location }),
  ),
];

type Call = (options: CallOptions) => Promise<unknown>;

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

let server: MswServer;
let client: MlflowClient;
const uc = (): UnityCatalogRegistry => {
  if (!client.unityCatalog) throw new Error("the client has no Unity Catalog registry");
  return client.unityCatalog;
};

const rows: Record<PublicMethodName<UnityCatalogRegistry>, Call | "no request"> = {
  createRegisteredModel: (o) =>
    uc().createRegisteredModel(NAME, { ...o, description: "d", tags: { team: "ml" } }),
  getRegisteredModel: (o) => uc().getRegisteredModel(NAME, o),
  deleteRegisteredModel: (o) => uc().deleteRegisteredModel(NAME, o),
  searchRegisteredModels: (o) => drain(uc().searchRegisteredModels({ ...o, pageSize: 1 })),
  setRegisteredModelTag: (o) => uc().setRegisteredModelTag(NAME, "team", "ml", o),
  deleteRegisteredModelTag: (o) => uc().deleteRegisteredModelTag(NAME, "team", o),
  setAlias: (o) => uc().setAlias(NAME, "champion", 3, o),
  deleteAlias: (o) => uc().deleteAlias(NAME, "champion", o),
  getVersionByAlias: (o) => uc().getVersionByAlias(NAME, "champion", o),
  createModelVersion: (o) =>
    uc().createModelVersion({
      ...o,
      name: NAME,
      source: version.source,
      runId: version.run_id,
      tags: { GIT_SHA: "x" },
    }),
  finalizeModelVersion: (o) => uc().finalizeModelVersion(NAME, 3, o),
  temporaryCredentials: (o) => uc().temporaryCredentials(NAME, 3, "MODEL_VERSION_OPERATION_READ", o),
  getModelVersion: (o) => uc().getModelVersion(NAME, 3, o),
  deleteModelVersion: (o) => uc().deleteModelVersion(NAME, 3, o),
  searchModelVersions: (o) =>
    drain(uc().searchModelVersions({ ...o, filter: `name = '${NAME}'`, pageSize: 1 })),
  listModelVersions: (o) => drain(uc().listModelVersions(NAME, { ...o, pageSize: 1 })),
  setModelVersionTag: (o) => uc().setModelVersionTag(NAME, 3, "probe", "x", o),
  deleteModelVersionTag: (o) => uc().deleteModelVersionTag(NAME, 3, "probe", o),
  getDownloadUri: (o) => uc().getDownloadUri(NAME, 3, o),
  // UC has no stages: these throw a ValidationError before any request
  transitionStage: "no request",
  getLatestVersions: "no request",
};

describe("every Unity Catalog registry method passes the caller's per-call options to the transport", () => {
  beforeAll(async () => {
    server = await startMswServer(...handlers);
    client = await MlflowClient.fromEnv({
      trackingUri: "databricks",
      registryUri: "databricks-uc",
      databricks: {
        host: server.url,
        token: "dapi0123456789abcdef0123456789abcdef",
        configFile: "/nonexistent/.databrickscfg",
      },
      env: {},
    });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  for (const [method, call] of Object.entries(rows)) {
    if (call === "no request") continue;
    const label = `unityCatalog.${method}`;
    it(`${label}: every per-call option (signal, timeoutMs, deadlineMs, retry, headers, maxResponseBytes, onRequest) reaches every request`, async () => {
      const probe = callOptionsProbe();
      const { calls } = await recordTransport(() => call(probe.options));
      expectProbeReachedTransport(label, calls, probe, "mlflow");
      await expectAbortReachesTransport(label, call);
    });
  }

  it("listings are checked on their second page too", async () => {
    const probe = callOptionsProbe();
    const { calls } = await recordTransport(() =>
      drain(uc().searchRegisteredModels({ ...probe.options, pageSize: 1 })),
    );
    expect(calls.length).toBe(2);
  });

  it("the stage methods send nothing", async () => {
    const before = server.requests.length;
    expect(() => uc().transitionStage(NAME, 3, "Production")).toThrow(/no model stages/);
    expect(() => uc().getLatestVersions(NAME)).toThrow(/no model stages/);
    expect(server.requests.length).toBe(before);
  });
});

describe("MlflowClient.resolveUri with a Unity Catalog registry", () => {
  beforeAll(async () => {
    server = await startMswServer(...handlers);
    client = await MlflowClient.fromEnv({
      trackingUri: "databricks",
      registryUri: "databricks-uc",
      databricks: {
        host: server.url,
        token: "dapi0123456789abcdef0123456789abcdef",
        configFile: "/nonexistent/.databrickscfg",
      },
      env: {},
    });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it("resolves a version and an alias through UC to the storage location UC assigned, with every per-call option", async () => {
    for (const uri of [`models:/${NAME}/3`, `models:/${NAME}@champion`]) {
      const probe = callOptionsProbe();
      const { result, calls } = await recordTransport(() => client.resolveUri(uri, probe.options));
      expect(result).toMatchObject({
        uri,
        artifactUri: version.storage_location,
        artifactRoot: version.storage_location,
        path: "",
        runId: version.run_id,
        modelVersion: { name: NAME, version: "3" },
      });
      expect(calls.map((c) => c.options.path.replace(/\?.*/, ""))).toEqual([
        uri.includes("@")
          ? "/api/2.0/mlflow/unity-catalog/registered-models/alias"
          : "/api/2.0/mlflow/unity-catalog/model-versions/get",
        "/api/2.0/mlflow/unity-catalog/model-versions/get-download-uri",
      ]);
      expectProbeReachedTransport(`resolveUri(${uri})`, calls, probe, "mlflow");
      await expectAbortReachesTransport(`resolveUri(${uri})`, (o) => client.resolveUri(uri, o));
    }
  });

  it("refuses a stage or latest before sending anything: UC has no stages", async () => {
    const before = server.requests.length;
    for (const uri of [`models:/${NAME}/Production`, `models:/${NAME}/latest`]) {
      const err = await client.resolveUri(uri).catch((e: unknown) => e);
      expect(err, uri).toBeInstanceOf(ValidationError);
      expect(String((err as Error).message)).toMatch(/no model stages/);
    }
    expect(server.requests.length).toBe(before);
  });
});
