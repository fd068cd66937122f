import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { ForbiddenError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { ArtifactProgress, MlflowClient } from "../../src/index.js";
import { azuriteStore, type CloudStore, motoStore } from "./cloud-stores.js";
import { type FakeWorkspace, startFakeWorkspace } from "./fake-workspace.js";
import { eventLog, readTree, rm, signaturesOf, tempDir, workspaceClient, writeTree } from "./helpers.js";

let ws: FakeWorkspace;
let azure: CloudStore;
let s3: CloudStore;
const cleanup: string[] = [];
let client: MlflowClient | undefined;

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

const KiB = 1024;
const MiB = 1024 * 1024;
let seq = 0;
const runId = () => `run${Date.now().toString(16)}${(seq++).toString(16).padStart(4, "0")}`;

async function dir(): Promise<string> {
  const d = await tempDir();
  cleanup.push(d);
  return d;
}

const stores = () =>
  [
    ["Azure blob (Azurite)", azure],
    ["S3 (moto)", s3],
    ["ADLS Gen2", ws.adls],
    ["GCS", ws.gcs],
  ] as const;

describe.each([0, 1, 2, 3])("run artifacts on store #%i", (index) => {
  it("uploads a tree with the store's own protocol and downloads it back byte for byte", async () => {
    const [label, store] = stores()[index]!;
    const id = runId();
    ws.addRun(id, store);
    const { events, logger } = eventLog();
    client = await workspaceClient(ws.url, {
      logger,
      env: { MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String(64 * KiB) },
      artifacts: { concurrency: 3, rangedDownload: { minFileSize: 200 * KiB, chunkSize: 64 * KiB } },
    });
    const src = await dir();
    const files = await writeTree(src, {
      MLmodel: "artifact_path: model\nflavors: {}\n",
      "data/model.bin": 300 * KiB + 17,
      "data/empty.txt": "",
      "data/deep/x.json": '{"a":1}',
    });
    const up = await client.artifacts.uploadTree(src, { runId: id, path: "model" });
    expect(up.files).toHaveLength(4);
    expect(up.bytes).toBe([...files.values()].reduce((a, b) => a + b.length, 0));
    for (const [rel, data] of files) {
      const stored = await store.read(`1/${id}/artifacts/model/${rel}`);
      expect(stored.equals(data), `${label}: ${rel}`).toBe(true);
    }

    const listed: string[] = [];
    for await (const e of client.artifacts.list({ runId: id, path: "model" }))
      listed.push(`${e.path}${e.isDir ? "/" : ""}`);
    expect(listed.sort()).toEqual([
      "MLmodel",
      "data/",
      "data/deep/",
      "data/deep/x.json",
      "data/empty.txt",
      "data/model.bin",
    ]);

    const dest = await dir();
    const progress: ArtifactProgress[] = [];
    const down = await client.download(`runs:/${id}/model`, dest, { onProgress: (p) => progress.push(p) });
    expect(down.localPath).toBe(join(dest, "model"));
    const got = await readTree(join(dest, "model"), files.keys());
    for (const [rel, data] of files) expect(got.get(rel)?.equals(data), `${label}: ${rel}`).toBe(true);
    expect(progress.at(-1)).toMatchObject({
      done: true,
      filesDone: 4,
      bytesDone: up.bytes,
      bytesTotal: up.bytes,
    });
    // no temporary file stays behind
    expect((await readdir(join(dest, "model", "data"))).filter((n) => n.endsWith(".part"))).toEqual([]);

    // no request carried the workspace token to the store, and no signature reached a log line
    const text = JSON.stringify(events);
    for (const sig of signaturesOf(ws.state.issued)) expect(text).not.toContain(sig);
    expect(text).not.toContain("dapi0123456789abcdef");
  });
});

describe("credentials", () => {
  it("fetches new credentials for the remaining files when the old ones are about to expire", async () => {
    const id = runId();
    ws.addRun(id, azure);
    const src = await dir();
    const files = await writeTree(src, { a: 1000, b: 2000, c: 3000, d: 4000 });
    client = await workspaceClient(ws.url);
    await client.artifacts.uploadTree(src, { runId: id, path: "" });
    await client.close();

    let clock = Date.now();
    client = await workspaceClient(ws.url, {
      artifacts: { concurrency: 1, progressIntervalMs: 0, credentials: { now: () => clock } },
    });
    ws.state.credentialRequests.length = 0;
    const dest = await dir();
    const res = await client.artifacts.downloadTree({ runId: id, path: "" }, dest, {
      onProgress: (p) => {
        // an hour later, once the first file is done: the first batch has expired (new ones last 2 h)
        if (p.filesDone === 1 && clock < Date.now() + 3600_000) {
          clock = Date.now() + 3600_000;
          ws.state.ttlSeconds = 7200;
        }
      },
    });
    expect(res.files).toHaveLength(4);
    const reads = ws.state.credentialRequests.filter((r) => r.mode === "read");
    expect(reads).toHaveLength(2);
    expect(reads[0]?.paths).toEqual(["a", "b", "c", "d"]);
    // the second request asks for the files not started yet, not for the one done
    expect(reads[1]?.paths).not.toContain("a");
    const got = await readTree(dest, files.keys());
    for (const [rel, data] of files) expect(got.get(rel)?.equals(data)).toBe(true);
  });

  // moto checks neither presigned signatures nor their expiry: S3 refusals cannot be produced here
  it.each([
    ["Azure blob", 0],
    ["ADLS Gen2", 2],
  ] as const)(
    "replaces a signed URI the store refuses with 403 (%s), for downloads and uploads",
    async (_label, i) => {
      const store = stores()[i]![1];
      const id = runId();
      ws.addRun(id, store);
      const { events, logger } = eventLog();
      client = await workspaceClient(ws.url, {
        logger,
        env: { MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String(16 * KiB) },
      });
      const src = await dir();
      const files = await writeTree(src, { "w.bin": 40 * KiB });
      ws.state.corruptNext = 1;
      await client.artifacts.uploadFile(join(src, "w.bin"), { runId: id, path: "out" });
      expect((await store.read(`1/${id}/artifacts/out/w.bin`)).equals(files.get("w.bin")!)).toBe(true);
      expect(events.some((e) => e.type === "error" && e.status === 403)).toBe(true);

      ws.state.corruptNext = 1;
      const dest = await dir();
      await client.artifacts.downloadFile({ runId: id, path: "out/w.bin" }, join(dest, "w.bin"));
      expect((await readTree(dest, ["w.bin"])).get("w.bin")?.equals(files.get("w.bin")!)).toBe(true);

      // refused twice: a clear ForbiddenError without the signature in it
      ws.state.corruptNext = 2;
      const err = await client.artifacts
        .downloadFile({ runId: id, path: "out/w.bin" }, join(dest, "again.bin"))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ForbiddenError);
      const text = `${(err as Error).message} ${JSON.stringify(err)} ${JSON.stringify(events)}`;
      for (const sig of signaturesOf(ws.state.issued)) expect(text).not.toContain(sig);
      expect(await readdir(dest)).toEqual(["w.bin"]);
    },
  );
});

describe("faults", () => {
  it("resumes a download whose body was cut off, with a Range request", async () => {
    const id = runId();
    ws.addRun(id, ws.gcs);
    const data = randomBytes(512 * KiB);
    await ws.gcs.write(`1/${id}/artifacts/big.bin`, data);
    let cut = 0;
    ws.server.use(
      http.get("*/__gcs/mlflow/*", ({ request }) => {
        if (cut > 0 || request.headers.get("range")) return undefined;
        cut++;
        const stream = new ReadableStream({
          start(controller) {
            controller.enqueue(data.subarray(0, 100 * KiB));
            setTimeout(() => controller.error(new Error("cut")), 20);
          },
        });
        return new HttpResponse(stream, {
          headers: { "content-length": String(data.length), "accept-ranges": "bytes" },
        });
      }),
    );
    client = await workspaceClient(ws.url, { artifacts: { rangedDownload: false } });
    const dest = await dir();
    await client.artifacts.downloadFile({ runId: id, path: "big.bin" }, join(dest, "big.bin"));
    expect(cut).toBe(1);
    const ranged = ws.server.requests.filter((r) => r.path.startsWith("/__gcs/") && r.headers.range);
    expect(ranged.map((r) => r.headers.range)).toEqual([`bytes=${100 * KiB}-`]);
    expect((await readTree(dest, ["big.bin"])).get("big.bin")?.equals(data)).toBe(true);
  });

  it("resumes an interrupted block upload: blocks already staged on the blob are not sent again", async () => {
    const id = runId();
    ws.addRun(id, azure);
    const src = await dir();
    const files = await writeTree(src, { "big.bin": 10 * 64 * KiB + 5 });
    const { events, logger } = eventLog();
    const env = { MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String(64 * KiB) };
    client = await workspaceClient(ws.url, {
      logger,
      env,
      artifacts: { concurrency: 1, progressIntervalMs: 0 },
    });
    const controller = new AbortController();
    const first = await client.artifacts
      .uploadFile(
        join(src, "big.bin"),
        { runId: id, path: "" },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.bytesDone >= 4 * 64 * KiB) controller.abort();
          },
        },
      )
      .catch((e: unknown) => e);
    expect((first as Error).name).toBe("AbortError");
    const stagedFirst = events.filter(
      (e) => e.type === "request" && e.method === "PUT" && e.url.includes("comp=block&"),
    ).length;
    expect(stagedFirst).toBeGreaterThanOrEqual(3);
    expect(stagedFirst).toBeLessThan(11);
    events.length = 0;

    await client.artifacts.uploadFile(
      join(src, "big.bin"),
      { runId: id, path: "" },
      { onProgress: () => {} },
    );
    const stagedSecond = events.filter(
      (e) => e.type === "request" && e.method === "PUT" && e.url.includes("comp=block&"),
    ).length;
    expect(stagedFirst + stagedSecond).toBeLessThanOrEqual(11 + 1);
    expect(stagedSecond).toBeLessThan(11);
    expect((await azure.read(`1/${id}/artifacts/big.bin`)).equals(files.get("big.bin")!)).toBe(true);
  });

  it("uploads a large file to S3 in parts through the workspace's multipart endpoints", async () => {
    const id = runId();
    ws.addRun(id, s3);
    const src = await dir();
    const files = await writeTree(src, { "weights.bin": 11 * MiB + 3 });
    client = await workspaceClient(ws.url, {
      env: {
        MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: String(MiB),
        MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String(5 * MiB),
      },
    });
    const res = await client.artifacts.uploadFile(join(src, "weights.bin"), { runId: id, path: "model" });
    expect(res.files[0]?.multipart).toBe(true);
    const calls = ws.server.requests.map((r) => r.path.split("?")[0]);
    expect(calls).toContain("/api/2.0/mlflow/artifacts/create-multipart-upload");
    expect(calls).toContain("/api/2.0/mlflow/artifacts/complete-multipart-upload");
    expect((await s3.read(`1/${id}/artifacts/model/weights.bin`)).equals(files.get("weights.bin")!)).toBe(
      true,
    );
  });
});

describe("logged models", () => {
  it("reads runs:/<run>/<name> from the run's MLflow 3 logged model and writes to a logged model", async () => {
    const id = runId();
    ws.addRun(id, azure);
    const modelId = `m-${id}`;
    ws.addLoggedModel(modelId, azure, { name: "model", sourceRunId: id });
    client = await workspaceClient(ws.url);
    const src = await dir();
    const files = await writeTree(src, { MLmodel: "flavors: {}\n", "model.pkl": 5000 });
    await client.artifacts.uploadTree(
      src,
      `dbfs:/databricks/mlflow-tracking/1/logged_models/${modelId}/artifacts`,
    );
    expect(
      (await azure.read(`1/logged_models/${modelId}/artifacts/model.pkl`)).equals(files.get("model.pkl")!),
    ).toBe(true);

    const dest = await dir();
    const res = await client.download(`runs:/${id}/model`, dest);
    expect(res.localPath).toBe(join(dest, "model"));
    const got = await readTree(join(dest, "model"), files.keys());
    for (const [rel, data] of files) expect(got.get(rel)?.equals(data)).toBe(true);
    const calls = ws.server.requests.map((r) => r.path.split("?")[0]);
    expect(calls).toContain(`/api/2.0/mlflow/logged-models/${modelId}/artifacts/credentials-for-download`);
  });
});
