import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { bearerToken, ResponseTooLargeError } from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { MlflowClient } from "../src/index.js";
import { bytes, type Fixture, listLocal, ROUTE, setup } from "./artifacts/helpers.js";

// A hostile or broken server: listings that lie, sizes that lie, bodies that never end, stall,
// or carry the wrong range, redirects to another host. Every case must end in a typed error,
// promptly, with nothing half-written in the destination.

const ROOT = "0/run1/artifacts";
const TREE = `mlflow-artifacts:/${ROOT}`;

type Entry = { path: string; is_dir?: boolean; file_size?: unknown };

/** The proxy's listing: `files[dir]` for `?path=dir`. */
function listing(files: Record<string, Entry[]>) {
  return http.get(`*${ROUTE}`, ({ request }) => {
    const path = new URL(request.url).searchParams.get("path") ?? "";
    return HttpResponse.json({ files: files[path] ?? [] });
  });
}

/** Requests for files (not listings) the fake server received. */
const fileRequests = (f: Fixture) => f.server.requests.filter((r) => r.path.startsWith(`${ROUTE}/`));

let fx: Fixture | undefined;
let other: MswServer | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  await other?.close();
  other = undefined;
});

/** Runs `promise`, expecting a rejection; returns the error. */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; issues?: unknown }> {
  const result = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(result).toBeInstanceOf(Error);
  return result as Error & { code?: string };
}

describe("hostile listings are refused before anything is written", () => {
  it.each([
    [
      "a file listed twice",
      [
        { path: "a.bin", file_size: 1 },
        { path: "a.bin", file_size: 1 },
      ],
      "is listed twice as a file",
    ],
    [
      "a name listed as a file and as a directory",
      [
        { path: "model", file_size: 1 },
        { path: "model", is_dir: true },
      ],
      "is listed as a file and as a directory",
    ],
    ["an entry that is not a direct child", [{ path: "sub/x.bin", file_size: 1 }], "is not a direct child"],
  ])("refuses %s (proxy listing)", async (_what, entries, message) => {
    fx = await setup([
      listing({ [ROOT]: entries as Entry[], [`${ROOT}/model`]: [{ path: "f", file_size: 1 }] }),
      http.get(`*${ROUTE}/${ROOT}/*`, () => HttpResponse.text("x")),
    ]);
    const dest = join(fx.dir, "dest");
    const err = await failure(fx.artifacts.downloadTree(TREE, dest));
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.message).toContain(message);
    expect(fileRequests(fx)).toEqual([]);
    expect(await listLocal(fx.dir)).toEqual([]);
  });

  it("refuses a tracking-API listing that repeats a name across pages, or lists a grandchild", async () => {
    const runsGet = http.get("*/api/2.0/mlflow/runs/get", () =>
      HttpResponse.json({ run: { info: { run_id: "r1", artifact_uri: "/srv/mlruns/0/r1/artifacts" } } }),
    );
    const pages = http.get("*/api/2.0/mlflow/artifacts/list", ({ request }) => {
      const q = new URL(request.url).searchParams;
      if (q.get("path") === "grand") {
        return HttpResponse.json({ files: [{ path: "grand/sub/x.bin", is_dir: false, file_size: 1 }] });
      }
      if (q.get("page_token") !== "p2") {
        return HttpResponse.json({
          files: [{ path: "model/MLmodel", is_dir: false, file_size: 3 }],
          next_page_token: "p2",
        });
      }
      return HttpResponse.json({ files: [{ path: "model/MLmodel", is_dir: true }] });
    });
    fx = await setup([runsGet, pages, http.get("*/get-artifact", () => HttpResponse.text("abc"))]);
    const err = await failure(fx.artifacts.downloadTree({ runId: "r1", path: "model" }, join(fx.dir, "d")));
    expect(err.message).toContain("is listed as a file and as a directory");
    const err2 = await failure(fx.artifacts.downloadTree({ runId: "r1", path: "grand" }, join(fx.dir, "d")));
    expect(err2.message).toContain("is not a direct child");
    expect(fx.server.requests.filter((r) => r.path.startsWith("/get-artifact"))).toEqual([]);
    expect(await listLocal(fx.dir)).toEqual([]);
  });

  it.each([1e18, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, "12abc", "99999999999999999999", ""])(
    "refuses the listed file_size %j at once",
    async (size) => {
      fx = await setup([
        listing({ [ROOT]: [{ path: "big.bin", file_size: size }] }),
        http.get(`*${ROUTE}/${ROOT}/big.bin`, () => HttpResponse.text("x")),
      ]);
      const err = await failure(fx.artifacts.downloadTree(TREE, join(fx.dir, "d")));
      expect(err.code).toBe("VALIDATION_ERROR");
      expect(err.message).toContain("file_size");
      expect(err.message).toContain("big.bin");
      expect(fileRequests(fx)).toEqual([]);
      expect(await listLocal(fx.dir)).toEqual([]);
    },
  );

  it("refuses sizes that cannot fit into the destination's free space, before any write", async () => {
    fx = await setup([
      listing({
        [ROOT]: [
          { path: "small.txt", file_size: 2 },
          { path: "huge.bin", file_size: 2 ** 52 }, // 4 PiB: a byte count, but no disk holds it
        ],
      }),
      http.get(`*${ROUTE}/${ROOT}/*`, () => HttpResponse.text("ok")),
    ]);
    const dest = join(fx.dir, "not", "yet", "created");
    const err = await failure(fx.artifacts.downloadTree(TREE, dest));
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.message).toContain(`${2 ** 52 + 2} bytes`);
    expect(err.message).toContain("free");
    expect(fileRequests(fx)).toEqual([]);
    expect(await listLocal(fx.dir)).toEqual([]);
  });

  it("refuses a listing body over maxResponseBytes with ResponseTooLargeError, announced or not", async () => {
    const endless = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"files": ['));
        },
        pull(c) {
          c.enqueue(new TextEncoder().encode('{"path": "f", "file_size": 1},'.repeat(1000)));
        },
      });
    fx = await setup(
      [
        http.get(`*${ROUTE}`, ({ request }) =>
          new URL(request.url).searchParams.get("path") === `${ROOT}/announced`
            ? new HttpResponse(endless(), { headers: { "content-length": String(600 * 1024 ** 2) } })
            : new HttpResponse(endless()),
        ),
      ],
      {},
      { maxResponseBytes: 1024 * 1024 },
    );
    const chunked = await failure(fx.artifacts.downloadTree(TREE, join(fx.dir, "a")));
    expect(chunked).toBeInstanceOf(ResponseTooLargeError);
    expect(chunked.message).toContain("maxResponseBytes");
    const announced = await failure(fx.artifacts.downloadTree(`${TREE}/announced`, join(fx.dir, "b")));
    expect((announced as ResponseTooLargeError).announcedBytes).toBe(600 * 1024 ** 2);
    expect(await listLocal(fx.dir)).toEqual([]);
  });
});

describe("MlflowClient maxResponseBytes", () => {
  it("bounds every JSON answer read into memory", async () => {
    other = await startMswServer(
      http.get("*/api/2.0/mlflow/runs/get", () =>
        HttpResponse.json({ run: { info: { run_id: "r1", run_name: "x".repeat(5000) } } }),
      ),
    );
    const client = new MlflowClient({ trackingUri: other.url, env: {}, maxResponseBytes: 1024 });
    const err = await failure(client.runs.get("r1"));
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as ResponseTooLargeError).limitBytes).toBe(1024);
    await client.close();
  });
});

/** The byte at offset `i` of the large fake file. */
const byteAt = (i: number) => (i * 31 + 7) & 0xff;

/** Serves the ranges of a fake file of `total` bytes (content byteAt), after `delayMs`. */
function rangedServer(
  total: number,
  options: {
    delayMs?: number;
    answer?: (start: number, end: number) => Response | Promise<Response> | undefined;
  } = {},
) {
  const seen: string[] = [];
  const handler = http.get(`*${ROUTE}/${ROOT}/big.bin`, async ({ request }) => {
    const header = request.headers.get("range") ?? "";
    seen.push(header);
    const m = /^bytes=(\d+)-(\d+)$/.exec(header);
    if (!m) return new HttpResponse("no range", { status: 500 });
    const start = Number(m[1]);
    const end = Math.min(Number(m[2]), total - 1);
    const custom = await options.answer?.(start, end);
    if (custom) return custom;
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const body = Buffer.alloc(end - start + 1);
    for (let i = 0; i < body.length; i++) body[i] = byteAt(start + i);
    return new HttpResponse(body, {
      status: 206,
      headers: { "content-range": `bytes ${start}-${end}/${total}`, "accept-ranges": "bytes" },
    });
  });
  return { handler, seen };
}

describe("ranged downloads do not trust the listed size", () => {
  it("plans lazily: a 64 MiB file in 1-byte ranges starts at once, keeps the event loop free, and aborts", async () => {
    const total = 64 * 1024 ** 2; // 67 million ranges of one byte: planning them up front would not finish
    const file = rangedServer(total, { delayMs: 2 });
    fx = await setup([listing({ [ROOT]: [{ path: "big.bin", file_size: total }] }), file.handler], {
      rangedDownload: { minFileSize: 1, chunkSize: 1 },
      concurrency: 2,
      progressIntervalMs: 0,
    });
    const controller = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const err = await failure(
      fx.artifacts.downloadTree(TREE, join(fx.dir, "d"), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.bytesDone >= 20) controller.abort();
        },
      }),
    );
    clearInterval(timer);
    expect(err.code).toBe("ABORTED");
    expect(file.seen[0]).toBe("bytes=0-0");
    expect(file.seen.length).toBeGreaterThanOrEqual(20);
    expect(file.seen.length).toBeLessThan(30); // 20 ranges + what the two lanes had in flight
    expect(ticks).toBeGreaterThan(0);
    expect(await listLocal(join(fx.dir, "d"))).toEqual([]);
  });

  it("keeps timeouts working: a range whose answer never comes fails with TimeoutError, nothing left", async () => {
    const total = 4000;
    const file = rangedServer(total, {
      answer: (start, end) => (start === 3000 ? stalled(start, end, total) : undefined),
    });
    fx = await setup(
      [listing({ [ROOT]: [{ path: "big.bin", file_size: total }] }), file.handler],
      { rangedDownload: { minFileSize: 1, chunkSize: 1000 }, concurrency: 2, maxAttempts: 2 },
      { timeoutMs: 300, retry: { maxRetries: 0 } },
    );
    const err = await failure(fx.artifacts.downloadTree(TREE, join(fx.dir, "d")));
    expect(err.code).toBe("TIMEOUT");
    expect(file.seen.filter((r) => r === "bytes=3000-3999")).toHaveLength(2);
    expect(await listLocal(join(fx.dir, "d"))).toEqual([]);
  });

  it.each([
    [
      "a 206 whose total disagrees with the listing",
      (s: number, e: number) => partial(s, e, 1000),
      "the server has 1000",
    ],
    ["a 206 for another range", (s: number, e: number) => partial(s + 1, e, 8000), "with the range"],
    ["a 206 that ends elsewhere", (s: number, e: number) => partial(s, e - 1, 8000), "with the range"],
    ["a 206 without Content-Range", () => new HttpResponse(bytes(10), { status: 206 }), "with the range"],
    [
      "a 200 whose Content-Length disagrees with the listing",
      () => new HttpResponse(bytes(5000), { headers: { "content-length": "5000" } }),
      "(Content-Length)",
    ],
  ])("refuses %s after the first response", async (_what, answer, message) => {
    const file = rangedServer(8000, { answer: (s, e) => answer(s, e) });
    fx = await setup([listing({ [ROOT]: [{ path: "big.bin", file_size: 8000 }] }), file.handler], {
      rangedDownload: { minFileSize: 1, chunkSize: 1000 },
    });
    const err = await failure(fx.artifacts.downloadTree(TREE, join(fx.dir, "d")));
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.message).toContain(message);
    expect(file.seen).toEqual(["bytes=0-999"]); // nothing else was asked for
    expect(await listLocal(join(fx.dir, "d"))).toEqual([]);
  });

  it("refuses a 206 with the wrong range in the middle of the file", async () => {
    const file = rangedServer(8000, { answer: (s, e) => (s === 5000 ? partial(s, e + 1, 8000) : undefined) });
    fx = await setup([listing({ [ROOT]: [{ path: "big.bin", file_size: 8000 }] }), file.handler], {
      rangedDownload: { minFileSize: 1, chunkSize: 1000 },
      concurrency: 1,
    });
    const err = await failure(fx.artifacts.downloadTree(TREE, join(fx.dir, "d")));
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.message).toContain("bytes=5000-5999");
    expect(file.seen.length).toBeLessThanOrEqual(7);
    expect(await listLocal(join(fx.dir, "d"))).toEqual([]);
  });
});

describe("bodies that lie about their length, never end, or stall", () => {
  it("refuses a Content-Length that disagrees with the listing, and the connection stays usable", async () => {
    fx = await setup(
      [
        listing({ [ROOT]: [{ path: "a.bin", file_size: 2000 }] }),
        // announces 1000 bytes, sends 2000: the extra half would be read as the next response
        http.get(
          `*${ROUTE}/${ROOT}/a.bin`,
          () => new HttpResponse(bytes(2000), { headers: { "content-length": "1000" } }),
        ),
        http.get(`*${ROUTE}/${ROOT}/ok.txt`, () => HttpResponse.text("fine")),
      ],
      { maxAttempts: 1 },
    );
    const err = await failure(fx.artifacts.downloadTree(TREE, join(fx.dir, "d")));
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(await listLocal(join(fx.dir, "d"))).toEqual([]);
    const res = await fx.artifacts.downloadFile(`${TREE}/ok.txt`, join(fx.dir, "ok.txt"));
    expect(res.bytes).toBe(4);
    expect(await readFile(join(fx.dir, "ok.txt"), "utf8")).toBe("fine");
  });

  it("treats a body shorter than its Content-Length as broken: retried, then refused, nothing left", async () => {
    fx = await setup(
      [
        http.get(
          `*${ROUTE}/${ROOT}/short.bin`,
          () =>
            new HttpResponse(
              new ReadableStream({
                start(c) {
                  c.enqueue(bytes(600));
                  c.close();
                },
              }),
              { headers: { "content-length": "1000" } },
            ),
        ),
      ],
      { maxAttempts: 3 },
      // the server keeps the connection open after its short body: a stall, ended by the timeout
      { timeoutMs: 300, retry: { maxRetries: 0 } },
    );
    const err = await failure(fx.artifacts.downloadFile(`${TREE}/short.bin`, join(fx.dir, "short.bin")));
    expect(["NETWORK_ERROR", "TIMEOUT"]).toContain(err.code);
    expect(fileRequests(fx)).toHaveLength(3);
    expect(await listLocal(fx.dir)).toEqual([]);
  });

  it("stops an endless body of unknown size when aborted, leaving nothing", async () => {
    let produced = 0;
    fx = await setup(
      [
        http.get(
          `*${ROUTE}/${ROOT}/endless.bin`,
          () =>
            new HttpResponse(
              new ReadableStream<Uint8Array>({
                pull(c) {
                  produced += 64 * 1024;
                  if (produced > 1024 ** 3)
                    c.close(); // bound for the test
                  else c.enqueue(new Uint8Array(64 * 1024));
                },
              }),
            ),
        ),
      ],
      { progressIntervalMs: 0 },
    );
    const controller = new AbortController();
    const err = await failure(
      fx.artifacts.downloadFile(`${TREE}/endless.bin`, join(fx.dir, "endless.bin"), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.bytesDone >= 4 * 1024 ** 2) controller.abort();
        },
      }),
    );
    expect(err.code).toBe("ABORTED");
    expect(produced).toBeLessThan(256 * 1024 ** 2);
    expect(await listLocal(fx.dir)).toEqual([]);
  });

  it("fails a body that stalls with TimeoutError after bounded attempts, leaving nothing", async () => {
    fx = await setup(
      [
        http.get(
          `*${ROUTE}/${ROOT}/stall.bin`,
          () =>
            new HttpResponse(
              new ReadableStream<Uint8Array>({
                start(c) {
                  c.enqueue(bytes(100));
                },
                pull: () => new Promise((r) => setTimeout(r, 5000)), // then nothing more
              }),
              { headers: { "content-length": "1000" } },
            ),
        ),
      ],
      { maxAttempts: 2 },
      { timeoutMs: 300 },
    );
    const err = await failure(fx.artifacts.downloadFile(`${TREE}/stall.bin`, join(fx.dir, "stall.bin")));
    expect(err.code).toBe("TIMEOUT");
    expect(fileRequests(fx)).toHaveLength(2);
    expect(await listLocal(fx.dir)).toEqual([]);
  });

  it("refuses a 206 to a request without Range", async () => {
    fx = await setup([http.get(`*${ROUTE}/${ROOT}/p.bin`, () => partial(0, 9, 10))], { maxAttempts: 2 });
    const err = await failure(fx.artifacts.downloadFile(`${TREE}/p.bin`, join(fx.dir, "p.bin")));
    expect(err.code).toBe("VALIDATION_ERROR");
    expect(err.message).toContain("wrong range");
    expect(await listLocal(fx.dir)).toEqual([]);
  });
});

describe("redirects", () => {
  it("never follows a redirect to another host, so credentials stay home", async () => {
    other = await startMswServer(http.get("*", () => HttpResponse.text("stolen")));
    const token = "tok-redirect-Xq81Lm02";
    fx = await setup(
      [
        listing({ [ROOT]: [{ path: "m.bin", file_size: 6 }] }),
        http.get(
          `*${ROUTE}/${ROOT}/m.bin`,
          () => new HttpResponse(null, { status: 302, headers: { location: `${other?.url}/steal?x=1` } }),
        ),
      ],
      { maxAttempts: 1 },
      { credentials: bearerToken(token) },
    );
    const err = await failure(fx.artifacts.downloadTree(TREE, join(fx.dir, "d")));
    expect(err.code).toBe("API_ERROR");
    expect(err.message).toContain("HTTP 302");
    expect(err.message).toContain(`redirect to ${other.url}/steal`);
    expect(err.message).toContain("does not follow redirects");
    expect(other.requests).toEqual([]);
    expect(JSON.stringify(err)).not.toContain(token);
    expect(await listLocal(join(fx.dir, "d"))).toEqual([]);
  });
});

/** A 206 answer claiming the range start-end of a `total`-byte file (with matching bytes). */
function partial(start: number, end: number, total: number): Response {
  const body = Buffer.alloc(Math.max(0, end - start + 1));
  for (let i = 0; i < body.length; i++) body[i] = byteAt(start + i);
  return new HttpResponse(body, {
    status: 206,
    headers: { "content-range": `bytes ${start}-${end}/${total}`, "accept-ranges": "bytes" },
  });
}

/** An answer whose headers come after the client gave up (bounded for the test). */
function stalled(start: number, end: number, total: number): Promise<Response> {
  return new Promise((resolve) => setTimeout(() => resolve(partial(start, end, total)), 5000));
}
