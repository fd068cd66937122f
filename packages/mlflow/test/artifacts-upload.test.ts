import { appendFile, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import type { ArtifactProgress } from "../src/artifacts/index.js";
import { bytes, type Fixture, ROUTE, setup } from "./artifacts/helpers.js";

const ROOT = "0/run1/artifacts";
const MPU = "/api/2.0/mlflow-artifacts/mpu";

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

function acceptPuts(store: Map<string, Buffer>) {
  return http.put(`*${ROUTE}/*`, async ({ request }) => {
    store.set(decodeURIComponent(new URL(request.url).pathname), Buffer.from(await request.arrayBuffer()));
    return new HttpResponse(null, { status: 200 });
  });
}

// Files up to syncIoMaxBytes are read whole with one synchronous call, larger ones streamed: the
// upload rules are checked on both paths.
describe.each([
  { path: "streamed reads", syncIoMaxBytes: 0 },
  { path: "whole-file reads", syncIoMaxBytes: 1024 * 1024 },
])("uploads through $path", ({ syncIoMaxBytes }) => {
  const setupMode = (handlers: Parameters<typeof setup>[0], options: Parameters<typeof setup>[1] = {}) =>
    setup(handlers, { syncIoMaxBytes, ...options });

  it("uploads a tree with relative paths, with progress", async () => {
    const store = new Map<string, Buffer>();
    fx = await setupMode([acceptPuts(store)], { concurrency: 2, progressIntervalMs: 0 });
    const src = join(fx.dir, "src");
    await mkdir(join(src, "model", "deep"), { recursive: true });
    await writeFile(join(src, "MLmodel"), "m");
    await writeFile(join(src, "model", "deep", "w.bin"), bytes(70_000));
    await writeFile(join(src, "model", "sp ace.txt"), "s");
    const events: ArtifactProgress[] = [];
    const res = await fx.artifacts.uploadTree(src, `mlflow-artifacts:/${ROOT}/out`, {
      onProgress: (p) => events.push(p),
    });
    expect(res.files.map((f) => f.path)).toEqual(["MLmodel", "model/deep/w.bin", "model/sp ace.txt"]);
    expect([...store.keys()].sort()).toEqual([
      `${ROUTE}/${ROOT}/out/MLmodel`,
      `${ROUTE}/${ROOT}/out/model/deep/w.bin`,
      `${ROUTE}/${ROOT}/out/model/sp ace.txt`,
    ]);
    expect(Buffer.compare(store.get(`${ROUTE}/${ROOT}/out/model/deep/w.bin`) as Buffer, bytes(70_000))).toBe(
      0,
    );
    const put = fx.server.requests.find((r) => r.path.endsWith("w.bin"));
    expect(put?.headers["content-length"]).toBe("70000");
    expect(put?.path).toBe(`${ROUTE}/${ROOT}/out/model/deep/w.bin`);
    expect(fx.server.requests.find((r) => r.path.includes("sp"))?.path).toBe(
      `${ROUTE}/${ROOT}/out/model/sp%20ace.txt`,
    );
    expect(events.at(-1)).toMatchObject({
      phase: "upload",
      bytesDone: 70_002,
      bytesTotal: 70_002,
      filesDone: 3,
      done: true,
    });
  });

  it("sends the whole file again when a PUT is retried after a 503", async () => {
    const store = new Map<string, Buffer>();
    let calls = 0;
    fx = await setupMode([
      http.put(`*${ROUTE}/*`, async ({ request }) => {
        calls++;
        const body = Buffer.from(await request.arrayBuffer());
        if (calls === 1) return new HttpResponse("busy", { status: 503 });
        store.set(new URL(request.url).pathname, body);
        return new HttpResponse(null, { status: 200 });
      }),
    ]);
    const f = join(fx.dir, "a.bin");
    await writeFile(f, bytes(10_000));
    const events: ArtifactProgress[] = [];
    await fx.artifacts.uploadFile(f, `mlflow-artifacts:/${ROOT}`, { onProgress: (p) => events.push(p) });
    expect(calls).toBe(2);
    expect(Buffer.compare(store.get(`${ROUTE}/${ROOT}/a.bin`) as Buffer, bytes(10_000))).toBe(0);
    expect(events.at(-1)?.bytesDone).toBe(10_000);
  });

  it("uploads file symlinks' content and does not descend into directory symlinks", async () => {
    const store = new Map<string, Buffer>();
    fx = await setupMode([acceptPuts(store)]);
    const src = join(fx.dir, "src");
    const elsewhere = join(fx.dir, "elsewhere");
    await mkdir(src);
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, "secret.txt"), "outside");
    await writeFile(join(fx.dir, "target.txt"), "linked");
    await symlink(join(fx.dir, "target.txt"), join(src, "link.txt"));
    await symlink(elsewhere, join(src, "dirlink"));
    await fx.artifacts.uploadTree(src, `mlflow-artifacts:/${ROOT}`);
    expect([...store.keys()]).toEqual([`${ROUTE}/${ROOT}/link.txt`]);
    expect(store.get(`${ROUTE}/${ROOT}/link.txt`)?.toString()).toBe("linked");
  });
});

describe("uploads", () => {
  // Small files are read when their turn comes: one that changes or vanishes after the listing
  // fails with a ValidationError naming it, and is not sent.
  for (const [what, change, expected] of [
    [
      "grew",
      (f: string) => appendFile(f, "more"),
      /changed while it was being uploaded: it was 5 bytes, it is 9/,
    ],
    ["vanished", (f: string) => rm(f), /Cannot read .*b\.txt.*ENOENT/],
  ] as const) {
    it(`refuses a small file that ${what} after the listing`, async () => {
      let src = "";
      fx = await setup(
        [
          http.put(`*${ROUTE}/*`, async ({ request }) => {
            // while a.txt is being received, b.txt changes on disk
            if (request.url.endsWith("a.txt")) await change(join(src, "b.txt"));
            await request.arrayBuffer();
            return new HttpResponse(null, { status: 200 });
          }),
        ],
        { concurrency: 1 },
      );
      src = join(fx.dir, "src");
      await mkdir(src);
      await writeFile(join(src, "a.txt"), "first");
      await writeFile(join(src, "b.txt"), "later");
      const err = await fx.artifacts.uploadTree(src, `mlflow-artifacts:/${ROOT}`).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "VALIDATION_ERROR" });
      expect(String((err as Error).message)).toMatch(expected);
      expect(fx.server.requests.filter((r) => r.method === "PUT").map((r) => r.path)).toEqual([
        `${ROUTE}/${ROOT}/a.txt`,
      ]);
    });
  }

  it("refuses local names that cannot be artifact paths before sending anything", async () => {
    fx = await setup([acceptPuts(new Map())]);
    const src = join(fx.dir, "src");
    await mkdir(src);
    await writeFile(join(src, "ok.txt"), "x");
    await writeFile(join(src, "bad\\name.txt"), "x");
    await expect(fx.artifacts.uploadTree(src, `mlflow-artifacts:/${ROOT}`)).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
    expect(fx.server.requests).toEqual([]);
    await expect(
      fx.artifacts.uploadFile(join(src, "ok.txt"), {
        artifactUri: `mlflow-artifacts:/${ROOT}`,
        path: "../escape",
      }),
    ).rejects.toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("deletes through the proxy and refuses the store root", async () => {
    fx = await setup([http.delete(`*${ROUTE}/*`, () => HttpResponse.json({}))]);
    await fx.artifacts.delete(`mlflow-artifacts:/${ROOT}/model`);
    expect(fx.server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE ${ROUTE}/${ROOT}/model`]);
    await expect(fx.artifacts.delete("mlflow-artifacts:/")).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
    });
  });
});

describe("multipart uploads", () => {
  it("sends create, parts to the presigned URLs, and complete with the documented shapes", async () => {
    const parts = new Map<number, Buffer>();
    fx = await setup([], { multipart: { minFileSize: 1000, partSize: 400 }, concurrency: 2 });
    const base = fx.server.url;
    fx.server.use(
      http.post(`*${MPU}/create/*`, () =>
        HttpResponse.json({
          upload_id: "up-1",
          credentials: [1, 2, 3].map((n) => ({
            url: `${base}/presigned/part?n=${n}`,
            part_number: n,
            headers: { "x-amz-meta-test": `h${n}` },
          })),
        }),
      ),
      http.put("*/presigned/part", async ({ request }) => {
        const n = Number(new URL(request.url).searchParams.get("n"));
        parts.set(n, Buffer.from(await request.arrayBuffer()));
        return new HttpResponse(null, { headers: { etag: `"etag-${n}"` } });
      }),
      http.post(`*${MPU}/complete/*`, () => HttpResponse.json({})),
    );
    const f = join(fx.dir, "big.bin");
    const data = bytes(1100);
    await writeFile(f, data);
    const res = await fx.artifacts.uploadFile(f, `mlflow-artifacts:/${ROOT}/model`);
    expect(res.files[0]?.multipart).toBe(true);

    const create = fx.server.requests.find((r) => r.path.includes("/mpu/create/"));
    expect(create?.path).toBe(`${MPU}/create/${ROOT}/model`);
    expect(JSON.parse(create?.body ?? "{}")).toEqual({ path: "big.bin", num_parts: 3 });

    const partReqs = fx.server.requests.filter((r) => r.path.startsWith("/presigned/"));
    expect(partReqs.map((r) => r.headers["x-amz-meta-test"]).sort()).toEqual(["h1", "h2", "h3"]);
    expect(partReqs.map((r) => Number(r.headers["content-length"])).sort()).toEqual([300, 400, 400]);
    expect(Buffer.compare(Buffer.concat([1, 2, 3].map((n) => parts.get(n) as Buffer)), data)).toBe(0);

    const complete = fx.server.requests.find((r) => r.path.includes("/mpu/complete/"));
    expect(complete?.path).toBe(`${MPU}/complete/${ROOT}/model`);
    expect(JSON.parse(complete?.body ?? "{}")).toEqual({
      path: "big.bin",
      upload_id: "up-1",
      parts: [1, 2, 3].map((n) => ({
        part_number: n,
        etag: `"etag-${n}"`,
        url: `${base}/presigned/part?n=${n}`,
      })),
    });
    expect(fx.server.requests.some((r) => r.path.includes("/mpu/abort/"))).toBe(false);
  });

  it("aborts the multipart upload when a part fails", async () => {
    fx = await setup([], { multipart: { minFileSize: 10, partSize: 10 } });
    const base = fx.server.url;
    fx.server.use(
      http.post(`*${MPU}/create/*`, () =>
        HttpResponse.json({
          upload_id: "up-2",
          credentials: [1, 2].map((n) => ({ url: `${base}/presigned/p${n}`, part_number: n })),
        }),
      ),
      http.put("*/presigned/p1", () => new HttpResponse(null, { headers: { etag: '"e1"' } })),
      http.put("*/presigned/p2", () => HttpResponse.text("denied", { status: 403 })),
      http.post(`*${MPU}/abort/*`, () => HttpResponse.json({})),
    );
    const f = join(fx.dir, "f.bin");
    await writeFile(f, bytes(15));
    await expect(fx.artifacts.uploadFile(f, `mlflow-artifacts:/${ROOT}`)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const abort = fx.server.requests.find((r) => r.path.includes("/mpu/abort/"));
    expect(abort?.path).toBe(`${MPU}/abort/${ROOT}`);
    expect(JSON.parse(abort?.body ?? "{}")).toEqual({ path: "f.bin", upload_id: "up-2" });
    expect(fx.server.requests.some((r) => r.path.includes("/mpu/complete/"))).toBe(false);
  });

  it("falls back to a single PUT when the server has no multipart support, and remembers it", async () => {
    const store = new Map<string, Buffer>();
    fx = await setup(
      [
        http.post(`*${MPU}/create/*`, () =>
          HttpResponse.json(
            {
              error_code: "NOT_IMPLEMENTED",
              message: "Multipart upload is not supported for the current artifact repository",
            },
            { status: 501 },
          ),
        ),
        acceptPuts(store),
      ],
      { multipart: { minFileSize: 10, partSize: 5 }, concurrency: 1 },
    );
    const src = join(fx.dir, "src");
    await mkdir(src);
    await writeFile(join(src, "a.bin"), bytes(20));
    await writeFile(join(src, "b.bin"), bytes(30));
    const res = await fx.artifacts.uploadTree(src, `mlflow-artifacts:/${ROOT}`);
    expect(res.files.map((f) => f.multipart)).toEqual([false, false]);
    expect(store.size).toBe(2);
    expect(fx.server.requests.filter((r) => r.path.includes("/mpu/create/"))).toHaveLength(1);
  });

  it("keeps presigned URL signatures and credential headers out of errors", async () => {
    const signature = "SIGplanted0123456789abcdefSECRET";
    const token = "TOKplanted-session-token-987654";
    fx = await setup([], { multipart: { minFileSize: 10, partSize: 100 } });
    const base = fx.server.url;
    fx.server.use(
      http.post(`*${MPU}/create/*`, () =>
        HttpResponse.json({
          upload_id: "up-3",
          credentials: [
            {
              url: `${base}/presigned/p1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${signature}`,
              part_number: 1,
              headers: { "x-amz-security-token": token },
            },
          ],
        }),
      ),
      http.put("*/presigned/p1", () =>
        HttpResponse.text(`<Error>bad signature ${signature} for token ${token}</Error>`, { status: 403 }),
      ),
      http.post(`*${MPU}/abort/*`, () => HttpResponse.json({})),
    );
    const f = join(fx.dir, "f.bin");
    await writeFile(f, bytes(20));
    const err = await fx.artifacts.uploadFile(f, `mlflow-artifacts:/${ROOT}`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "FORBIDDEN" });
    const shown = [(err as Error).message, JSON.stringify(err), inspect(err, { depth: 8 })].join("\n");
    expect(shown).toContain("presigned/p1");
    expect(shown).not.toContain(signature);
    expect(shown).not.toContain(token);
  });
});
