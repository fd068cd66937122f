import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BadRequestError, NetworkError, ValidationError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { anonymousCredentials, bytesSource, RegistryClient, sha256Digest } from "../src/index.js";
import { type FakeRegistry, startFakeRegistry } from "./helpers/fake-registry.js";

let fake: FakeRegistry;
let client: RegistryClient;
let dir: string;
beforeAll(async () => {
  fake = await startFakeRegistry();
  dir = await mkdtemp(join(tmpdir(), "modeltrail-blobs-"));
});
afterEach(async () => {
  fake.server.resetHandlers();
  await client?.close();
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});
const newClient = () => {
  client = new RegistryClient({
    credentials: anonymousCredentials,
    retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
  });
  return client;
};
const leftovers = async () => (await readdir(dir)).filter((f) => f.includes(".partial"));

describe("uploads", () => {
  it("sends nothing when the repository has the blob", async () => {
    const c = newClient();
    const blob = randomBytes(1000);
    expect((await c.uploadBlob(`${fake.host}/a/b`, bytesSource(blob))).status).toBe("uploaded");
    fake.server.requests.length = 0;
    expect((await c.uploadBlob(`${fake.host}/a/b`, bytesSource(blob))).status).toBe("exists");
    expect(fake.server.requests.map((r) => r.method)).toEqual(["HEAD"]);
  });

  it("resumes a chunk that broke off mid-body from the byte the registry reports", async () => {
    const c = newClient();
    const blob = randomBytes(2_500_000);
    fake.breakNextUpload(300_000, "PATCH");
    const progress: number[] = [];
    const result = await c.uploadBlob(`${fake.host}/resume/chunked`, bytesSource(blob), {
      chunkSize: 1_000_000,
      onProgress: (n) => progress.push(n),
    });
    expect(result).toMatchObject({ status: "uploaded", resumed: 1, restarted: 0 });
    expect(progress).toContain(300_000);
    expect(fake.blobs.get(sha256Digest(blob))?.equals(blob)).toBe(true);
    const patches = fake.server.requests
      .filter((r) => r.method === "PATCH")
      .map((r) => r.headers["content-range"]);
    expect(patches).toEqual(["0-999999", "300000-1299999", "1300000-2299999", "2300000-2499999"]);
  });

  it("resumes a monolithic PUT that broke off mid-body with the remainder", async () => {
    const c = newClient();
    const blob = randomBytes(1_000_000);
    fake.breakNextUpload(400_000, "PUT");
    const result = await c.uploadBlob(`${fake.host}/resume/mono`, bytesSource(blob));
    expect(result).toMatchObject({ status: "uploaded", resumed: 1 });
    expect(fake.blobs.get(sha256Digest(blob))?.equals(blob)).toBe(true);
  });

  it("starts over in a new session when the registry lost the old one", async () => {
    const c = newClient();
    const blob = randomBytes(500_000);
    fake.server.use(
      http.patch(
        "*",
        () => {
          fake.dropUploads();
          return new HttpResponse(
            new ReadableStream({
              start(controller) {
                controller.error(new Error("drop"));
              },
            }),
          );
        },
        { once: true },
      ),
    );
    const result = await c.uploadBlob(`${fake.host}/restart/x`, bytesSource(blob), { chunkSize: 200_000 });
    expect(result).toMatchObject({ status: "uploaded", restarted: 1 });
    expect(fake.blobs.get(sha256Digest(blob))?.equals(blob)).toBe(true);
  });

  it("gives up after maxResumes interruptions with a NetworkError", async () => {
    const c = newClient();
    fake.server.use(
      http.patch(
        "*",
        () =>
          new HttpResponse(
            new ReadableStream({
              start(controller) {
                controller.error(new Error("drop"));
              },
            }),
          ),
      ),
    );
    await expect(
      c.uploadBlob(`${fake.host}/flaky/x`, bytesSource(randomBytes(10_000)), {
        chunkSize: 4096,
        maxResumes: 2,
      }),
    ).rejects.toBeInstanceOf(NetworkError);
  });

  it("reports content that does not match its digest as DIGEST_INVALID", async () => {
    const c = newClient();
    const blob = randomBytes(1000);
    const err = await c
      .uploadBlob(`${fake.host}/bad/digest`, { ...bytesSource(blob), digest: sha256Digest("other") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).serviceCode).toBe("DIGEST_INVALID");
  });

  it("refuses a source whose stream is shorter than its declared size", async () => {
    const c = newClient();
    const blob = randomBytes(1000);
    const source = { ...bytesSource(blob), size: 2000 };
    await expect(c.uploadBlob(`${fake.host}/bad/size`, source, { maxResumes: 0 })).rejects.toThrow();
    expect(fake.blobs.has(sha256Digest(blob))).toBe(false);
  });

  it("rejects nonsense chunk sizes and digests before sending anything", async () => {
    const c = newClient();
    fake.server.requests.length = 0;
    await expect(
      c.uploadBlob(`${fake.host}/x/y`, bytesSource(Buffer.from("a")), { chunkSize: 0 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      c.uploadBlob(`${fake.host}/x/y`, { ...bytesSource(Buffer.from("a")), digest: "sha256:XYZ" }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(fake.server.requests).toEqual([]);
  });
});

describe("downloads", () => {
  const push = async (repo: string, blob: Buffer) => {
    await newClient().uploadBlob(`${fake.host}/${repo}`, bytesSource(blob));
    return sha256Digest(blob);
  };

  it("resumes a download cut mid-body with a Range request and writes the exact bytes", async () => {
    const blob = randomBytes(800_000);
    const digest = await push("dl/resume", blob);
    let cut = false;
    fake.server.use(
      http.get(`*/v2/dl/resume/blobs/${digest}`, ({ request }) => {
        if (cut || request.headers.get("range")) return undefined;
        cut = true;
        let sent = false;
        return new HttpResponse(
          new ReadableStream({
            async pull(controller) {
              if (!sent) {
                sent = true;
                controller.enqueue(blob.subarray(0, 300_000));
              } else {
                // let the first bytes reach the client, then drop the connection
                await new Promise((r) => setTimeout(r, 200));
                controller.error(new Error("cut"));
              }
            },
          }),
          { headers: { "content-length": String(blob.length) } },
        );
      }),
    );
    const dest = join(dir, "resumed.bin");
    await client.downloadBlob(`${fake.host}/dl/resume`, { digest, size: blob.length }, dest);
    expect((await readFile(dest)).equals(blob)).toBe(true);
    const ranges = fake.server.requests
      .filter((r) => r.method === "GET" && r.path.includes("/blobs/"))
      .map((r) => r.headers.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[1]).toMatch(/^bytes=[1-9]\d*-$/);
    expect(await leftovers()).toEqual([]);
  });

  it.each([
    [
      "a body that does not match the digest",
      (blob: Buffer) => new HttpResponse(Buffer.from(blob).fill(1, 10, 20)),
    ],
    [
      "a Content-Length above the declared size",
      (blob: Buffer) => new HttpResponse(Buffer.concat([blob, blob])),
    ],
    [
      "an endless body",
      () =>
        new HttpResponse(
          new ReadableStream({
            pull(controller) {
              controller.enqueue(new Uint8Array(64 * 1024));
            },
          }),
        ),
    ],
    ["a short body", (blob: Buffer) => new HttpResponse(blob.subarray(0, 10))],
  ])("refuses %s and leaves no file", async (_name, respond) => {
    const blob = randomBytes(200_000);
    const digest = await push("dl/hostile", blob);
    fake.server.use(http.get(`*/v2/dl/hostile/blobs/${digest}`, () => respond(blob)));
    const dest = join(dir, "hostile.bin");
    await expect(
      client.downloadBlob(`${fake.host}/dl/hostile`, { digest, size: blob.length }, dest, { maxResumes: 0 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(readFile(dest)).rejects.toThrow(/ENOENT/);
    expect(await leftovers()).toEqual([]);
  });

  it("streams a blob that fails at its end when the digest does not match", async () => {
    const blob = randomBytes(100_000);
    const digest = await push("dl/stream", blob);
    const ok = await client.openBlob(`${fake.host}/dl/stream`, { digest, size: blob.length });
    const chunks: Buffer[] = [];
    for await (const c of ok) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(blob)).toBe(true);
    fake.server.use(http.get(`*/v2/dl/stream/blobs/${digest}`, () => new HttpResponse(randomBytes(100_000))));
    const bad = await client.openBlob(`${fake.host}/dl/stream`, { digest, size: blob.length });
    await expect(
      (async () => {
        for await (const _ of bad) {
          // drain
        }
      })(),
    ).rejects.toThrow(/does not match/);
  });

  it("follows a redirect to storage on another origin without the registry's credentials", async () => {
    const storage = await startFakeRegistry();
    const secured = await startFakeRegistry({
      auth: { kind: "basic", username: "u", password: "storage-test-secret" },
    });
    try {
      const blob = randomBytes(5000);
      const digest = sha256Digest(blob);
      storage.server.use(http.get("*/signed/blob", () => new HttpResponse(blob)));
      secured.server.use(
        http.get(`*/v2/r/x/blobs/${digest}`, ({ request }) =>
          request.headers.get("authorization")
            ? new HttpResponse(null, {
                status: 307,
                headers: { location: `${storage.server.url}/signed/blob?sig=abcdefghijklmnopqrstuvwxyz` },
              })
            : undefined,
        ),
      );
      const { staticCredentials } = await import("../src/index.js");
      const c = new RegistryClient({
        credentials: staticCredentials({
          [secured.host]: { kind: "basic", username: "u", password: "storage-test-secret" },
        }),
      });
      const bytes = await c.fetchBlob(`${secured.host}/r/x`, { digest, size: blob.length });
      await c.close();
      expect(bytes.equals(blob)).toBe(true);
      const atStorage = storage.server.requests.find((r) => r.path.startsWith("/signed/blob"));
      expect(atStorage?.headers.authorization).toBeUndefined();
    } finally {
      await storage.close();
      await secured.close();
    }
  });
});
