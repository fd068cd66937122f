import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import type { ArtifactProgress } from "../src/artifacts/index.js";
import { bytes, droppingBody, type Fixture, listLocal, ROUTE, setup } from "./artifacts/helpers.js";

const ROOT = "0/run1/artifacts";

function listing(files: Record<string, Array<{ path: string; is_dir?: boolean; file_size?: number }>>) {
  return http.get(`*${ROUTE}`, ({ request }) => {
    const path = new URL(request.url).searchParams.get("path") ?? "";
    return HttpResponse.json({ files: files[path] ?? [] });
  });
}

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

// Bodies up to syncIoMaxBytes are written with synchronous calls, larger ones through a write
// stream: every interruption and size rule is checked on both paths.
describe.each([
  { path: "write stream", syncIoMaxBytes: 0 },
  { path: "synchronous writes", syncIoMaxBytes: 1024 * 1024 },
])("downloads through $path", ({ syncIoMaxBytes }) => {
  const setupMode = (handlers: Parameters<typeof setup>[0], options: Parameters<typeof setup>[1] = {}) =>
    setup(handlers, { syncIoMaxBytes, ...options });
  /** The tree download fails with ValidationError and leaves nothing in its destination. */
  const expectRefusedLeavingNothing = async (f: Fixture): Promise<void> => {
    const dest = join(f.dir, "t");
    await expect(f.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    expect(await listLocal(dest)).toEqual([]);
  };

  describe("downloads: interrupted transfers", () => {
    it("resumes with Range after a connection dropped mid-body", async () => {
      const data = bytes(256 * 1024);
      const half = data.subarray(0, 100_000);
      let gets = 0;
      fx = await setupMode([
        http.get(`*${ROUTE}/${ROOT}/model.bin`, ({ request }) => {
          gets++;
          const range = request.headers.get("range");
          if (gets === 1) {
            return new HttpResponse(droppingBody(half), {
              headers: { "content-length": String(data.length), "accept-ranges": "bytes", etag: '"v1"' },
            });
          }
          const start = Number(/bytes=(\d+)-/.exec(range ?? "")?.[1]);
          return new HttpResponse(data.subarray(start), {
            status: 206,
            headers: {
              "content-range": `bytes ${start}-${data.length - 1}/${data.length}`,
              "content-length": String(data.length - start),
              "accept-ranges": "bytes",
            },
          });
        }),
      ]);
      const dest = join(fx.dir, "out", "model.bin");
      const res = await fx.artifacts.downloadFile(`mlflow-artifacts:/${ROOT}/model.bin`, dest);
      expect(res.bytes).toBe(data.length);
      expect(Buffer.compare(await readFile(dest), data)).toBe(0);
      const fileGets = fx.server.requests.filter((r) => r.path.endsWith("model.bin"));
      expect(fileGets).toHaveLength(2);
      expect(fileGets[0]?.headers.range).toBeUndefined();
      expect(fileGets[1]?.headers.range).toBe(`bytes=${half.length}-`);
      expect(fileGets[1]?.headers["if-range"]).toBe('"v1"');
      expect(await listLocal(join(fx.dir, "out"))).toEqual(["model.bin"]);
    });

    it("restarts from byte 0 when the server does not accept ranges", async () => {
      const data = bytes(64 * 1024, 2);
      let gets = 0;
      fx = await setupMode([
        http.get(`*${ROUTE}/${ROOT}/a.bin`, () => {
          gets++;
          if (gets === 1) {
            return new HttpResponse(droppingBody(data.subarray(0, 10_000)), {
              headers: { "content-length": String(data.length) },
            });
          }
          return new HttpResponse(data, { headers: { "content-length": String(data.length) } });
        }),
      ]);
      const dest = join(fx.dir, "a.bin");
      const events: ArtifactProgress[] = [];
      await fx.artifacts.downloadFile(`mlflow-artifacts:/${ROOT}/a.bin`, dest, {
        onProgress: (p) => events.push(p),
      });
      expect(Buffer.compare(await readFile(dest), data)).toBe(0);
      const fileGets = fx.server.requests.filter((r) => r.path.endsWith("a.bin"));
      expect(fileGets.map((r) => r.headers.range)).toEqual([undefined, undefined]);
      // bytes of the abandoned attempt are taken back: the final count is the file size
      expect(events.at(-1)).toMatchObject({ bytesDone: data.length, filesDone: 1, done: true });
    });

    it("leaves no partial file when every attempt fails, after a bounded number of attempts", async () => {
      const data = bytes(50_000, 3);
      fx = await setupMode(
        [
          listing({
            [ROOT]: [
              { path: "keep.txt", file_size: 4 },
              { path: "broken.bin", file_size: data.length },
            ],
          }),
          http.get(`*${ROUTE}/${ROOT}/keep.txt`, () => HttpResponse.text("keep")),
          http.get(
            `*${ROUTE}/${ROOT}/broken.bin`,
            () =>
              new HttpResponse(droppingBody(data.subarray(0, 20_000)), {
                headers: { "content-length": String(data.length), "accept-ranges": "bytes" },
              }),
          ),
        ],
        { maxAttempts: 3, concurrency: 1 },
      );
      const dest = join(fx.dir, "tree");
      await expect(fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest)).rejects.toMatchObject({
        code: "NETWORK_ERROR",
      });
      // broken.bin: 3 attempts (the 2nd and 3rd resume at 20 000), each fails mid-body
      const gets = fx.server.requests.filter((r) => r.path.endsWith("broken.bin"));
      expect(gets).toHaveLength(3);
      expect(gets[1]?.headers.range).toBe("bytes=20000-");
      const left = await listLocal(dest);
      expect(left.filter((n) => n.includes("broken") || n.endsWith(".part"))).toEqual([]);
    });

    it("aborting removes the temporary file", async () => {
      const controller = new AbortController();
      fx = await setupMode(
        [
          http.get(`*${ROUTE}/${ROOT}/slow.bin`, () => {
            let n = 0;
            const body = new ReadableStream<Uint8Array>({
              async pull(c) {
                await new Promise((r) => setTimeout(r, 10));
                if (n++ < 50) c.enqueue(bytes(1000));
                else c.close();
              },
            });
            return new HttpResponse(body, { headers: { "content-length": "50000" } });
          }),
        ],
        { progressIntervalMs: 0 },
      );
      const dest = join(fx.dir, "slow.bin");
      let seen = 0;
      const err = await fx.artifacts
        .downloadFile(`mlflow-artifacts:/${ROOT}/slow.bin`, dest, {
          signal: controller.signal,
          onProgress: (p) => {
            seen = Math.max(seen, p.bytesDone);
            // abort once bytes were written to the temporary file
            if (p.bytesDone >= 3000) controller.abort();
          },
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "ABORTED" });
      expect(seen).toBeGreaterThanOrEqual(3000);
      expect(await listLocal(fx.dir)).toEqual([]);
    });
  });

  describe("downloads: size checks", () => {
    it("detects a body shorter than the size the listing reported", async () => {
      fx = await setupMode(
        [
          listing({ [ROOT]: [{ path: "short.bin", file_size: 1000 }] }),
          http.get(`*${ROUTE}/${ROOT}/short.bin`, () => new HttpResponse(bytes(600))),
        ],
        { maxAttempts: 2 },
      );
      const dest = join(fx.dir, "t");
      const err = await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "VALIDATION_ERROR" });
      expect(String((err as Error).message)).toMatch(/1000/);
      expect(fx.server.requests.filter((r) => r.path.endsWith("short.bin"))).toHaveLength(2);
      expect(await listLocal(dest)).toEqual([]);
    });

    it("detects a content-length that disagrees with the listing", async () => {
      fx = await setupMode(
        [
          listing({ [ROOT]: [{ path: "x.bin", file_size: 10 }] }),
          http.get(`*${ROUTE}/${ROOT}/x.bin`, () => new HttpResponse(bytes(12))),
        ],
        { maxAttempts: 1 },
      );
      await expectRefusedLeavingNothing(fx);
    });

    it("stops a chunked body that grows past the reported size", async () => {
      const MAX_CHUNKS = 4096;
      const chunk = bytes(16 * 1024);
      let pulled = 0;
      fx = await setupMode(
        [
          listing({ [ROOT]: [{ path: "big.bin", file_size: 100 }] }),
          http.get(`*${ROUTE}/${ROOT}/big.bin`, () => {
            // 64 MiB at most (bounded), far more than the 100 bytes announced
            return new HttpResponse(
              new ReadableStream<Uint8Array>({
                pull(c) {
                  if (pulled++ < MAX_CHUNKS) c.enqueue(chunk);
                  else c.close();
                },
              }),
            );
          }),
        ],
        { maxAttempts: 1 },
      );
      await expectRefusedLeavingNothing(fx);
      // the client hung up at the first byte too many instead of reading (and writing) it all;
      // what the server produced meanwhile is bounded by socket buffers, not by the body
      expect(pulled).toBeLessThan(MAX_CHUNKS / 2);
    });
  });
});

describe("downloads: unsafe listings and destinations", () => {
  const hostile = ["../../etc/passwd", "/abs", "a/../../b", "..\\..\\win", "nul\u0000byte", "C:/x"];
  for (const bad of hostile) {
    it(`refuses the listing entry ${JSON.stringify(bad)} before writing anything`, async () => {
      fx = await setup([
        listing({
          [ROOT]: [
            { path: "fine.txt", file_size: 2 },
            { path: "sub", is_dir: true },
          ],
          [`${ROOT}/sub`]: [{ path: bad, file_size: 2 }],
        }),
        http.get(`*${ROUTE}/${ROOT}/*`, () => HttpResponse.text("ok")),
      ]);
      const dest = join(fx.dir, "dest");
      const err = await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "VALIDATION_ERROR" });
      expect(fx.server.requests.filter((r) => r.path.startsWith(`${ROUTE}/`))).toEqual([]);
      expect(await listLocal(fx.dir)).toEqual([]);
    });
  }

  it("refuses traversal in a tracking-API listing (run without proxied root)", async () => {
    fx = await setup([
      http.get("*/api/2.0/mlflow/runs/get", () =>
        HttpResponse.json({ run: { info: { run_id: "r1", artifact_uri: "/srv/mlruns/0/r1/artifacts" } } }),
      ),
      http.get("*/api/2.0/mlflow/artifacts/list", () =>
        HttpResponse.json({ files: [{ path: "model/../../../etc/passwd", is_dir: false, file_size: 3 }] }),
      ),
    ]);
    await expect(
      fx.artifacts.downloadTree({ runId: "r1", path: "model" }, join(fx.dir, "d")),
    ).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    expect(await listLocal(fx.dir)).toEqual([]);
  });

  it("refuses to write through a symlink planted in the destination", async () => {
    fx = await setup([
      listing({
        [ROOT]: [{ path: "model", is_dir: true }],
        [`${ROOT}/model`]: [{ path: "w.bin", file_size: 2 }],
      }),
      http.get(`*${ROUTE}/${ROOT}/model/w.bin`, () => HttpResponse.text("ww")),
    ]);
    const outside = join(fx.dir, "outside");
    await mkdir(outside);
    const dest = join(fx.dir, "dest");
    await mkdir(dest);
    await symlink(outside, join(dest, "model"));
    await expect(fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    expect(await listLocal(outside)).toEqual([]);
  });

  it("replaces a symlink at the file's own path instead of writing through it", async () => {
    fx = await setup([
      listing({ [ROOT]: [{ path: "f.txt", file_size: 3 }] }),
      http.get(`*${ROUTE}/${ROOT}/f.txt`, () => HttpResponse.text("new")),
    ]);
    const victim = join(fx.dir, "victim.txt");
    await writeFile(victim, "original");
    const dest = join(fx.dir, "dest");
    await mkdir(dest);
    await symlink(victim, join(dest, "f.txt"));
    await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest);
    expect(await readFile(victim, "utf8")).toBe("original");
    expect(await readFile(join(dest, "f.txt"), "utf8")).toBe("new");
  });
});

describe("downloads: concurrency and progress", () => {
  it("never runs more file transfers than the concurrency bound", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const files = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}.bin`, file_size: 2048 }));
    fx = await setup(
      [
        listing({ [ROOT]: files }),
        http.get(`*${ROUTE}/${ROOT}/:name`, async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 25));
          inFlight--;
          return new HttpResponse(bytes(2048));
        }),
      ],
      { concurrency: 3 },
    );
    const res = await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, join(fx.dir, "d"));
    expect(res.files).toHaveLength(12);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it("reports throttled progress with totals, monotonic counts and a final event", async () => {
    let clock = 0;
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `p${i}.bin`, file_size: 1000 + i }));
    fx = await setup(
      [
        listing({ [ROOT]: files }),
        http.get(`*${ROUTE}/${ROOT}/:name`, ({ params }) => {
          const i = Number(String(params.name).slice(1, 2));
          return new HttpResponse(bytes(1000 + i));
        }),
      ],
      { concurrency: 2, progressIntervalMs: 1000, now: () => clock },
    );
    const events: ArtifactProgress[] = [];
    await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, join(fx.dir, "d"), {
      onProgress: (p) => {
        events.push(p);
        clock += 400; // the throttle lets at most one event through per 1000 ms of this clock
      },
    });
    const total = files.reduce((a, f) => a + f.file_size, 0);
    const last = events.at(-1);
    expect(last).toMatchObject({
      phase: "download",
      bytesDone: total,
      bytesTotal: total,
      filesDone: 5,
      filesTotal: 5,
      done: true,
    });
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.filesDone).toBeGreaterThanOrEqual(events[i - 1]?.filesDone ?? 0);
    }
    // 5 files, 10 chunk/file events at least, but the throttle keeps the count low
    expect(events.length).toBeLessThan(8);
    expect(events.filter((e) => e.done)).toHaveLength(1);
  });
});

describe("resolving references", () => {
  it("looks a run's artifact root up once and maps it to proxy paths", async () => {
    fx = await setup([
      http.get("*/api/2.0/mlflow/runs/get", () =>
        HttpResponse.json({
          run: { info: { run_id: "abc", artifact_uri: "mlflow-artifacts:/7/abc/artifacts" } },
        }),
      ),
      listing({ "7/abc/artifacts/model": [{ path: "MLmodel", file_size: 3 }] }),
      http.get(`*${ROUTE}/7/abc/artifacts/model/MLmodel`, () => HttpResponse.text("yes")),
    ]);
    expect(await fx.artifacts.resolve({ runId: "abc", path: "model" })).toEqual({
      kind: "proxy",
      path: "7/abc/artifacts/model",
    });
    const res = await fx.artifacts.download("runs:/abc/model", join(fx.dir, "d"));
    expect(await readFile(join(fx.dir, "d", "model", "MLmodel"), "utf8")).toBe("yes");
    expect(res.files.map((f) => f.path)).toEqual(["MLmodel"]);
    expect(fx.server.requests.filter((r) => r.path.startsWith("/api/2.0/mlflow/runs/get"))).toHaveLength(1);
  });

  it("download() puts a run's whole artifact root into the destination itself", async () => {
    fx = await setup([
      http.get("*/api/2.0/mlflow/runs/get", () =>
        HttpResponse.json({
          run: { info: { run_id: "abc", artifact_uri: "mlflow-artifacts:/7/abc/artifacts" } },
        }),
      ),
      listing({ "7/abc/artifacts": [{ path: "MLmodel", file_size: 3 }] }),
      http.get(`*${ROUTE}/7/abc/artifacts/MLmodel`, () => HttpResponse.text("yes")),
    ]);
    await fx.artifacts.download({ runId: "abc" }, join(fx.dir, "d"));
    expect(await listLocal(join(fx.dir, "d"))).toEqual(["MLmodel"]);
    await fx.artifacts.download("runs:/abc", join(fx.dir, "e"));
    expect(await listLocal(join(fx.dir, "e"))).toEqual(["MLmodel"]);
  });

  it("reads non-proxied runs through artifacts/list and get-artifact", async () => {
    fx = await setup([
      http.get("*/api/2.0/mlflow/runs/get", () =>
        HttpResponse.json({ run: { info: { run_id: "r2", artifact_uri: "s3://bucket/0/r2/artifacts" } } }),
      ),
      http.get("*/api/2.0/mlflow/artifacts/list", ({ request }) => {
        const u = new URL(request.url);
        if (u.searchParams.get("path") === "m" && !u.searchParams.get("page_token"))
          return HttpResponse.json({
            files: [{ path: "m/a.txt", is_dir: false, file_size: "1" }],
            next_page_token: "p2",
          });
        if (u.searchParams.get("path") === "m")
          return HttpResponse.json({ files: [{ path: "m/sub", is_dir: true }] });
        return HttpResponse.json({ files: [{ path: "m/sub/b.txt", is_dir: false, file_size: 1 }] });
      }),
      http.get("*/get-artifact", ({ request }) =>
        HttpResponse.text(new URL(request.url).searchParams.get("path") === "m/a.txt" ? "A" : "B"),
      ),
    ]);
    await fx.artifacts.downloadTree({ runId: "r2", path: "m" }, join(fx.dir, "d"));
    expect(await readFile(join(fx.dir, "d", "a.txt"), "utf8")).toBe("A");
    expect(await readFile(join(fx.dir, "d", "sub", "b.txt"), "utf8")).toBe("B");
    const gets = fx.server.requests.filter((r) => r.path.startsWith("/get-artifact"));
    expect(gets.map((r) => new URL(r.path, "http://x").searchParams.get("run_uuid"))).toEqual(["r2", "r2"]);
  });
});
