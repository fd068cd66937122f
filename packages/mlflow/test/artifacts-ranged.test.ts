import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { bytes, droppingBody, type Fixture, listLocal, ROUTE, setup } from "./artifacts/helpers.js";

const ROOT = "0/run1/artifacts";
const DATA = bytes(1000, 9);

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const listing = http.get(`*${ROUTE}`, () =>
  HttpResponse.json({ files: [{ path: "big.bin", file_size: DATA.length }] }),
);

/** Serves DATA with Range support; `hook` may replace the answer for a given request. */
function rangedFile(hook?: (start: number, end: number, n: number) => Response | undefined) {
  let n = 0;
  let inFlight = 0;
  const stats = { maxInFlight: 0 };
  const handler = http.get(`*${ROUTE}/${ROOT}/big.bin`, async ({ request }) => {
    n++;
    const m = /bytes=(\d+)-(\d*)/.exec(request.headers.get("range") ?? "");
    if (!m) return new HttpResponse(DATA, { headers: { "accept-ranges": "bytes" } });
    const start = Number(m[1]);
    const end = m[2] ? Number(m[2]) : DATA.length - 1;
    const custom = hook?.(start, end, n);
    if (custom) return custom;
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    // After the probe, a range is held until two are in flight at once (bounded at 5 s), so a parallel
    // client shows its parallelism however loaded the machine is, and a serial one never reaches 2.
    const heldSince = Date.now();
    while (n > 1 && stats.maxInFlight < 2 && Date.now() - heldSince < 5000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    inFlight--;
    return new HttpResponse(DATA.subarray(start, end + 1), {
      status: 206,
      headers: {
        "content-range": `bytes ${start}-${end}/${DATA.length}`,
        "content-length": String(end - start + 1),
        "accept-ranges": "bytes",
        etag: '"e1"',
      },
    });
  });
  return { handler, stats };
}

const OPTIONS = { rangedDownload: { minFileSize: 500, chunkSize: 300 }, concurrency: 2 };

describe("ranged downloads of large files", () => {
  it("fetches a large file as parallel ranges within the concurrency bound", async () => {
    const file = rangedFile();
    fx = await setup([listing, file.handler], OPTIONS);
    const dest = join(fx.dir, "d");
    const res = await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest);
    expect(res.bytes).toBe(1000);
    expect(Buffer.compare(await readFile(join(dest, "big.bin")), DATA)).toBe(0);
    const ranges = fx.server.requests.filter((r) => r.path.endsWith("big.bin")).map((r) => r.headers.range);
    expect(ranges[0]).toBe("bytes=0-299"); // the probe goes first, alone
    expect([...ranges].sort()).toEqual(["bytes=0-299", "bytes=300-599", "bytes=600-899", "bytes=900-999"]);
    expect(file.stats.maxInFlight).toBeLessThanOrEqual(2);
    expect(file.stats.maxInFlight).toBe(2);
    const later = fx.server.requests.filter((r) => r.path.endsWith("big.bin")).slice(1);
    expect(later.every((r) => r.headers["if-range"] === '"e1"')).toBe(true);
    // the ranges after the probe come over connections of their own that reuse one read buffer
    expect(later.every((r) => r.headers.connection === "close")).toBe(true);
    expect(await listLocal(dest)).toEqual(["big.bin"]);
  });

  it("reads every range through request with rangedDownload.direct false, and refuses a direct that is not a boolean", async () => {
    const file = rangedFile();
    fx = await setup([listing, file.handler], {
      ...OPTIONS,
      rangedDownload: { ...OPTIONS.rangedDownload, direct: false },
    });
    const dest = join(fx.dir, "d");
    await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest);
    expect(Buffer.compare(await readFile(join(dest, "big.bin")), DATA)).toBe(0);
    const ranged = fx.server.requests.filter((r) => r.path.endsWith("big.bin"));
    expect(ranged).toHaveLength(4);
    expect(ranged.some((r) => r.headers.connection === "close")).toBe(false);
    const { MlflowArtifacts } = await import("../src/index.js");
    const client = fx.http;
    expect(
      () => new MlflowArtifacts(client, { rangedDownload: { direct: "yes" as unknown as boolean } }),
    ).toThrow(/rangedDownload.direct must be true or false/);
  });

  it("reads every range through request when the server answers ranges without a length", async () => {
    let n = 0;
    const chunked = http.get(`*${ROUTE}/${ROOT}/big.bin`, ({ request }) => {
      n++;
      const m = /bytes=(\d+)-(\d+)/.exec(request.headers.get("range") ?? "");
      const [start, end] = [Number(m?.[1]), Number(m?.[2])];
      return new HttpResponse(DATA.subarray(start, end + 1), {
        status: 206,
        headers: { "content-range": `bytes ${start}-${end}/${DATA.length}`, "accept-ranges": "bytes" },
      });
    });
    fx = await setup([listing, chunked], OPTIONS);
    const dest = join(fx.dir, "d");
    const res = await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest);
    expect(res.bytes).toBe(1000);
    expect(Buffer.compare(await readFile(join(dest, "big.bin")), DATA)).toBe(0);
    // 4 ranges, plus at most one declined direct read per lane (2) before the file switches over
    expect(n).toBeGreaterThanOrEqual(5);
    expect(n).toBeLessThanOrEqual(6);
  });

  it("streams the whole file when the server ignores Range", async () => {
    fx = await setup([listing, http.get(`*${ROUTE}/${ROOT}/big.bin`, () => new HttpResponse(DATA))], OPTIONS);
    const dest = join(fx.dir, "d");
    await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest);
    expect(Buffer.compare(await readFile(join(dest, "big.bin")), DATA)).toBe(0);
    expect(fx.server.requests.filter((r) => r.path.endsWith("big.bin"))).toHaveLength(1);
  });

  it("resumes a range that dropped mid-body from where it stopped", async () => {
    let dropped = false;
    const file = rangedFile((start, end) => {
      if (start !== 300 || dropped) return undefined;
      dropped = true;
      return new HttpResponse(droppingBody(DATA.subarray(300, 400)), {
        status: 206,
        headers: { "content-range": `bytes 300-${end}/${DATA.length}`, "content-length": String(end - 299) },
      });
    });
    fx = await setup([listing, file.handler], OPTIONS);
    const dest = join(fx.dir, "d");
    await fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest);
    expect(Buffer.compare(await readFile(join(dest, "big.bin")), DATA)).toBe(0);
    const ranges = fx.server.requests.filter((r) => r.path.endsWith("big.bin")).map((r) => r.headers.range);
    expect(ranges).toContain("bytes=400-599");
  });

  it("removes the temporary file when a range keeps failing", async () => {
    const file = rangedFile((start) =>
      start >= 600 ? HttpResponse.text("gone", { status: 404 }) : undefined,
    );
    fx = await setup([listing, file.handler], OPTIONS);
    const dest = join(fx.dir, "d");
    await expect(fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await listLocal(dest)).toEqual([]);
  });

  it("refuses a server whose ranges disagree with the listing", async () => {
    const file = rangedFile((start, end) =>
      start === 0
        ? new HttpResponse(DATA.subarray(0, end + 1), {
            status: 206,
            headers: { "content-range": `bytes 0-${end}/5000` },
          })
        : undefined,
    );
    fx = await setup([listing, file.handler], OPTIONS);
    const dest = join(fx.dir, "d");
    await expect(fx.artifacts.downloadTree(`mlflow-artifacts:/${ROOT}`, dest)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    expect(await listLocal(dest)).toEqual([]);
  });
});
