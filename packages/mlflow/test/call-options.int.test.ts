/**
 * Every public method of the MLflow client passes the caller's per-call options (signal, timeoutMs,
 * deadlineMs, retry, headers, maxResponseBytes, onRequest) to every request it makes, against a real MLflow
 * server. The tables are typed `Record<PublicMethodName<Api>, ...>`: a public method added without
 * a row fails the typecheck, so the rule holds as methods are added.
 */
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CallOptions, createTraceContext } from "@modeltrail/core";
import {
  callOptionsProbe,
  expectAbortReachesTransport,
  expectProbeReachedTransport,
  type PublicMethodName,
  recordTransport,
} from "@modeltrail/test-utils";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import {
  type Experiments,
  type MlflowArtifacts,
  MlflowClient,
  type ModelVersions,
  type RegisteredModels,
  type Runs,
} from "../src/index.js";

const uid = () => randomUUID().slice(0, 8);
const SHA = "0123456789abcdef0123456789abcdef01234567";

/** One row: prepare what the call needs (not recorded), then make the call with the given options. */
interface Row<P = void> {
  prepare?: () => Promise<P>;
  call: (options: CallOptions, prepared: P) => Promise<unknown>;
}
// biome-ignore lint/suspicious/noExplicitAny: rows prepare different things
type Table<Api> = Record<PublicMethodName<Api>, Row<any>>;

async function drain(items: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

let client: MlflowClient;
let work: string;
let experimentId: string;
let runId: string;
let modelName: string;
let version: string;

/** A run of the shared experiment with a small model tree (MLmodel + weights) in its artifacts. */
async function runWithModel(): Promise<string> {
  const run = await client.runs.create({ experimentId });
  const src = await mkdtemp(join(work, "model-"));
  await mkdir(join(src, "weights"));
  await writeFile(join(src, "MLmodel"), "flavors: {}\n");
  await writeFile(join(src, "weights", "w.bin"), "weights");
  await client.artifacts.uploadTree(src, { runId: run.info.run_id, path: "model" });
  return run.info.run_id;
}

/** A registered model with one version (from a fresh run), for rows that change or delete them. */
async function freshVersion(): Promise<{ name: string; version: string; runId: string }> {
  const name = `probe-${uid()}`;
  const run = await runWithModel();
  await client.registeredModels.create(name);
  const mv = await client.modelVersions.create({
    name,
    source: `mlflow-artifacts:/${experimentId}/${run}/artifacts/model`,
    runId: run,
  });
  return { name, version: mv.version, runId: run };
}

const clientRows: Table<MlflowClient> = {
  resolveUri: { call: (o) => client.resolveUri(`models:/${modelName}/${version}`, o) },
  download: {
    call: async (o) => client.download(`runs:/${runId}/model`, await mkdtemp(join(work, "dl-")), o),
  },
  tagRun: { call: (o) => client.tagRun(runId, createTraceContext({ code: { gitSha: SHA } }), o) },
  registerModel: {
    prepare: runWithModel,
    call: (o, run: string) =>
      client.registerModel(createTraceContext({ code: { gitSha: SHA } }), {
        ...o,
        runId: run,
        artifactPath: "model",
        name: `probe-reg-${uid()}`,
      }),
  },
  findModelVersions: { call: (o) => drain(client.findModelVersions({ mlflowRunId: runId }, o)) },
  traceOfModelVersion: { call: (o) => client.traceOfModelVersion(modelName, version, o) },
  // no request: a link is built from the connection, a pool is closed; the registry here is not
  // Unity Catalog (listUcModelVersionFiles is in databricks/call-options.storage.int.test.ts)
  runLink: { call: async () => "exempt" },
  close: { call: async () => "exempt" },
  listUcModelVersionFiles: { call: async () => "exempt" },
};
const CLIENT_WITHOUT_REQUESTS = new Set(["runLink", "close", "listUcModelVersionFiles"]);

const experimentRows: Table<Experiments> = {
  get: { call: (o) => client.experiments.get(experimentId, o) },
  getByName: {
    prepare: async () => (await client.experiments.get(experimentId)).name,
    call: (o, name: string) => client.experiments.getByName(name, o),
  },
  findByName: { call: (o) => client.experiments.findByName(`missing-${uid()}`, o) },
  create: { call: (o) => client.experiments.create(`probe-${uid()}`, { ...o, tags: { a: "b" } }) },
  getOrCreate: { call: (o) => client.experiments.getOrCreate(`probe-${uid()}`, o) },
  search: {
    call: (o) => drain(client.experiments.search({ ...o, pageSize: 2, filter: "name LIKE 'probe-%'" })),
  },
  delete: {
    prepare: () => client.experiments.create(`probe-${uid()}`),
    call: (o, id: string) => client.experiments.delete(id, o),
  },
};

const runRows: Table<Runs> = {
  create: { call: (o) => client.runs.create({ ...o, experimentId, tags: { a: "b" } }) },
  get: { call: (o) => client.runs.get(runId, o) },
  update: { call: (o) => client.runs.update(runId, { ...o, runName: `renamed-${uid()}` }) },
  delete: {
    prepare: async () => (await client.runs.create({ experimentId })).info.run_id,
    call: (o, id: string) => client.runs.delete(id, o),
  },
  search: { call: (o) => drain(client.runs.search({ ...o, experimentIds: [experimentId], pageSize: 2 })) },
  setTag: { call: (o) => client.runs.setTag(runId, "probe", "x", o) },
  deleteTag: {
    prepare: () => client.runs.setTag(runId, "doomed", "x"),
    call: (o) => client.runs.deleteTag(runId, "doomed", o),
  },
  logBatch: { call: (o) => client.runs.logBatch(runId, { params: { [`p-${uid()}`]: "1" } }, o) },
  logInputs: {
    call: (o) =>
      client.runs.logInputs(
        runId,
        [{ name: `ds-${uid()}`, digest: "abc123", source: "s3://bucket/data.csv", sourceType: "s3" }],
        o,
      ),
  },
  metricHistory: {
    prepare: () => client.runs.logBatch(runId, { metrics: [{ key: "loss", value: 1, step: 0 }] }),
    call: (o) => drain(client.runs.metricHistory(runId, "loss", { ...o, pageSize: 1 })),
  },
};

const registeredModelRows: Table<RegisteredModels> = {
  create: { call: (o) => client.registeredModels.create(`probe-${uid()}`, { ...o, tags: { a: "b" } }) },
  get: { call: (o) => client.registeredModels.get(modelName, o) },
  updateDescription: { call: (o) => client.registeredModels.updateDescription(modelName, "probed", o) },
  delete: {
    prepare: async () => (await client.registeredModels.create(`probe-${uid()}`)).name,
    call: (o, name: string) => client.registeredModels.delete(name, o),
  },
  search: { call: (o) => drain(client.registeredModels.search({ ...o, pageSize: 2 })) },
  setTag: { call: (o) => client.registeredModels.setTag(modelName, "probe", "x", o) },
  deleteTag: {
    prepare: () => client.registeredModels.setTag(modelName, "doomed", "x"),
    call: (o) => client.registeredModels.deleteTag(modelName, "doomed", o),
  },
  setAlias: { call: (o) => client.registeredModels.setAlias(modelName, "probe", version, o) },
  getVersionByAlias: {
    prepare: () => client.registeredModels.setAlias(modelName, "champion", version),
    call: (o) => client.registeredModels.getVersionByAlias(modelName, "champion", o),
  },
  deleteAlias: {
    prepare: () => client.registeredModels.setAlias(modelName, "doomed", version),
    call: (o) => client.registeredModels.deleteAlias(modelName, "doomed", o),
  },
  getLatestVersions: { call: (o) => client.registeredModels.getLatestVersions(modelName, undefined, o) },
};

const modelVersionRows: Table<ModelVersions> = {
  create: {
    call: (o) =>
      client.modelVersions.create({
        ...o,
        name: modelName,
        source: `mlflow-artifacts:/${experimentId}/${runId}/artifacts/model`,
        runId,
      }),
  },
  get: { call: (o) => client.modelVersions.get(modelName, version, o) },
  search: {
    call: (o) => drain(client.modelVersions.search({ ...o, filter: `name = '${modelName}'`, pageSize: 1 })),
  },
  listForModel: { call: (o) => drain(client.modelVersions.listForModel(modelName, { ...o, pageSize: 1 })) },
  updateDescription: { call: (o) => client.modelVersions.updateDescription(modelName, version, "probed", o) },
  setTag: { call: (o) => client.modelVersions.setTag(modelName, version, "probe", "x", o) },
  deleteTag: {
    prepare: () => client.modelVersions.setTag(modelName, version, "doomed", "x"),
    call: (o) => client.modelVersions.deleteTag(modelName, version, "doomed", o),
  },
  delete: {
    prepare: freshVersion,
    call: (o, v: { name: string; version: string }) => client.modelVersions.delete(v.name, v.version, o),
  },
  transitionStage: {
    prepare: freshVersion,
    call: (o, v: { name: string; version: string }) =>
      client.modelVersions.transitionStage(v.name, v.version, "Staging", o),
  },
  getDownloadUri: { call: (o) => client.modelVersions.getDownloadUri(modelName, version, o) },
};

const artifactRows: Table<MlflowArtifacts> = {
  // a fresh run each time: the client caches what runs/get said of a run
  resolve: {
    prepare: async () => (await client.runs.create({ experimentId })).info.run_id,
    call: (o, run: string) => client.artifacts.resolve({ runId: run, path: "model" }, o),
  },
  list: { call: (o) => drain(client.artifacts.list({ runId, path: "model" }, o)) },
  downloadFile: {
    call: async (o) =>
      client.artifacts.downloadFile(
        { runId, path: "model/MLmodel" },
        join(await mkdtemp(join(work, "f-")), "MLmodel"),
        o,
      ),
  },
  downloadTree: {
    call: async (o) =>
      client.artifacts.downloadTree({ runId, path: "model" }, await mkdtemp(join(work, "t-")), o),
  },
  download: {
    call: async (o) =>
      client.artifacts.download({ runId, path: "model" }, await mkdtemp(join(work, "d-")), o),
  },
  uploadFile: {
    call: async (o) => {
      const f = join(await mkdtemp(join(work, "u-")), "notes.txt");
      await writeFile(f, "notes");
      return client.artifacts.uploadFile(f, { runId, path: `up-${uid()}` }, o);
    },
  },
  uploadTree: {
    call: async (o) => {
      const dir = await mkdtemp(join(work, "ut-"));
      await writeFile(join(dir, "a.txt"), "a");
      return client.artifacts.uploadTree(dir, { runId, path: `upt-${uid()}` }, o);
    },
  },
  delete: {
    prepare: async () => {
      const f = join(await mkdtemp(join(work, "x-")), "doomed.txt");
      await writeFile(f, "x");
      const path = `doomed-${uid()}`;
      await client.artifacts.uploadFile(f, { runId, path });
      return path;
    },
    call: (o, path: string) => client.artifacts.delete({ runId, path }, o),
  },
};

const TABLES: Array<[string, Record<string, Row<unknown>>]> = [
  ["MlflowClient", clientRows],
  ["experiments", experimentRows],
  ["runs", runRows],
  ["registeredModels", registeredModelRows],
  ["modelVersions", modelVersionRows],
  ["artifacts", artifactRows],
];

describe("every MLflow client method passes the caller's per-call options to the transport", () => {
  beforeAll(async () => {
    client = new MlflowClient({ trackingUri: inject("mlflowUri"), env: {}, registerRetryDelayMs: 0 });
    work = await mkdtemp(join(tmpdir(), "modeltrail-call-options-"));
    experimentId = await client.experiments.create(`probe-${uid()}`);
    const v = await freshVersion();
    runId = v.runId;
    modelName = v.name;
    version = v.version;
  });
  afterAll(async () => {
    await client?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const [api, rows] of TABLES) {
    for (const [method, row] of Object.entries(rows)) {
      if (api === "MlflowClient" && CLIENT_WITHOUT_REQUESTS.has(method)) continue;
      const label = `${api}.${method}`;
      it(`${label}: every per-call option (signal, timeoutMs, deadlineMs, retry, headers, maxResponseBytes, onRequest) reaches every request`, async () => {
        const probe = callOptionsProbe();
        const prepared = await row.prepare?.();
        const { calls } = await recordTransport(() => row.call(probe.options, prepared));
        expectProbeReachedTransport(label, calls, probe, "mlflow");
        const again = await row.prepare?.();
        await expectAbortReachesTransport(label, (o) => row.call(o, again));
      });
    }
  }
});
