import { NotFoundError, RateLimitError, ServerError, ValidationError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  anonymousCredentials,
  canonicalJson,
  MediaType,
  RegistryClient,
  sha256Digest,
} from "../src/index.js";
import { type FakeRegistry, startFakeRegistry } from "./helpers/fake-registry.js";

let fake: FakeRegistry;
let client: RegistryClient;
beforeAll(async () => {
  fake = await startFakeRegistry();
});
afterEach(async () => {
  fake.server.resetHandlers();
  await client?.close();
});
afterAll(() => fake.close());
const newClient = (retries = 2) => {
  client = new RegistryClient({
    credentials: anonymousCredentials,
    retry: { maxRetries: retries, baseDelayMs: 1, maxDelayMs: 2 },
  });
  return client;
};

const config = { mediaType: MediaType.OciConfig, digest: sha256Digest("{}"), size: 2 };
const image = (n: number) =>
  canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config,
    layers: [],
    annotations: { n: String(n) },
  });

describe("manifests", () => {
  it("retries a manifest PUT answered 503 and 429 (honouring Retry-After), then stores it", async () => {
    const c = newClient(3);
    let calls = 0;
    fake.server.use(
      http.put("*/v2/m/retry/manifests/v1", () => {
        calls++;
        if (calls === 1) return HttpResponse.json({ errors: [{ code: "UNAVAILABLE" }] }, { status: 503 });
        if (calls === 2)
          return HttpResponse.json(
            { errors: [{ code: "TOOMANYREQUESTS" }] },
            { status: 429, headers: { "retry-after": "0" } },
          );
        return undefined;
      }),
    );
    const digest = await c.putManifest(`${fake.host}/m/retry:v1`, {
      bytes: image(1),
      mediaType: MediaType.OciManifest,
    });
    expect(calls).toBe(3);
    expect(fake.tags.get("m/retry")?.get("v1")).toBe(digest);
  });

  it("gives up with RateLimitError / ServerError when the registry keeps refusing", async () => {
    const c = newClient(1);
    fake.server.use(
      http.put("*/v2/m/busy/manifests/v1", () =>
        HttpResponse.json(
          { errors: [{ code: "TOOMANYREQUESTS", message: "slow down" }] },
          { status: 429, headers: { "retry-after": "0" } },
        ),
      ),
    );
    const err = await c
      .putManifest(`${fake.host}/m/busy:v1`, { bytes: image(2), mediaType: MediaType.OciManifest })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).serviceCode).toBe("TOOMANYREQUESTS");
    fake.server.use(
      http.put("*/v2/m/down/manifests/v1", () => new HttpResponse("bad gateway", { status: 502 })),
    );
    await expect(
      c.putManifest(`${fake.host}/m/down:v1`, { bytes: image(3), mediaType: MediaType.OciManifest }),
    ).rejects.toBeInstanceOf(ServerError);
  });

  it("checks fetched bytes against the digest asked for and the one the registry declares", async () => {
    const c = newClient();
    const digest = await c.putManifest(`${fake.host}/m/check:v1`, {
      bytes: image(4),
      mediaType: MediaType.OciManifest,
    });
    expect((await c.getManifest(`${fake.host}/m/check@${digest}`)).digest).toBe(digest);
    fake.server.use(
      http.get(
        `*/v2/m/check/manifests/*`,
        () =>
          new HttpResponse(image(5), {
            headers: { "content-type": MediaType.OciManifest, "docker-content-digest": digest },
          }),
      ),
    );
    await expect(c.getManifest(`${fake.host}/m/check@${digest}`)).rejects.toThrow(/does not match/);
    await expect(c.getManifest(`${fake.host}/m/check:v1`)).rejects.toThrow(/does not match/);
  });

  it("refuses oversized, non-JSON and mislabelled manifests", async () => {
    const c = newClient();
    fake.server.use(
      http.get(
        "*/v2/m/huge/manifests/v1",
        () =>
          new HttpResponse(new Uint8Array(5 * 1024 * 1024), {
            headers: { "content-type": MediaType.OciManifest },
          }),
      ),
    );
    await expect(c.getManifest(`${fake.host}/m/huge:v1`)).rejects.toThrow(/limit/);
    fake.server.use(
      http.get(
        "*/v2/m/junk/manifests/v1",
        () => new HttpResponse("<html>login</html>", { headers: { "content-type": MediaType.OciManifest } }),
      ),
    );
    await expect(c.getManifest(`${fake.host}/m/junk:v1`)).rejects.toThrow(/not valid JSON/);
    const docker = canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config,
      layers: [],
    });
    fake.server.use(
      http.get(
        "*/v2/m/label/manifests/v1",
        () => new HttpResponse(docker, { headers: { "content-type": MediaType.OciManifest } }),
      ),
    );
    await expect(c.getManifest(`${fake.host}/m/label:v1`)).rejects.toBeInstanceOf(ValidationError);
    await expect(c.getManifest(`${fake.host}/m/missing:v1`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("reads Docker schema 2 manifests and lists, and selects a platform from an index", async () => {
    const c = newClient();
    const amd = canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { ...config, mediaType: MediaType.DockerConfig },
      layers: [],
    });
    const arm = canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config,
      layers: [],
      annotations: { arch: "arm64" },
    });
    const amdDigest = await c.putManifest(`${fake.host}/m/multi@${sha256Digest(amd)}`, {
      bytes: amd,
      mediaType: MediaType.DockerManifest,
    });
    const armDigest = await c.putManifest(`${fake.host}/m/multi@${sha256Digest(arm)}`, {
      bytes: arm,
      mediaType: MediaType.OciManifest,
    });
    const list = canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.DockerManifestList,
      manifests: [
        {
          mediaType: MediaType.DockerManifest,
          digest: amdDigest,
          size: amd.length,
          platform: { os: "linux", architecture: "amd64" },
        },
        {
          mediaType: MediaType.OciManifest,
          digest: armDigest,
          size: arm.length,
          platform: { os: "linux", architecture: "arm64", variant: "v8" },
        },
        {
          mediaType: MediaType.OciManifest,
          digest: armDigest,
          size: arm.length,
          platform: { os: "unknown", architecture: "unknown" },
        },
      ],
    });
    await c.putManifest(`${fake.host}/m/multi:latest`, {
      bytes: list,
      mediaType: MediaType.DockerManifestList,
    });
    const got = await c.getManifest(`${fake.host}/m/multi`);
    expect(got.kind).toBe("index");
    const arm64 = await c.resolveImage(`${fake.host}/m/multi`, {
      platform: { os: "linux", architecture: "arm64" },
    });
    expect(arm64.ref.digest).toBe(armDigest);
    expect(arm64.index?.digest).toBe(got.digest);
    const amd64 = await c.resolveImage(`${fake.host}/m/multi`, {
      platform: { os: "linux", architecture: "amd64" },
    });
    expect(amd64.manifest.mediaType).toBe(MediaType.DockerManifest);
    const err = await c
      .resolveImage(`${fake.host}/m/multi`, { platform: { os: "windows", architecture: "amd64" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/offers linux\/amd64, linux\/arm64\/v8/);
  });

  it("deletes by resolving a tag to its digest", async () => {
    const c = newClient();
    const digest = await c.putManifest(`${fake.host}/m/del:v1`, {
      bytes: image(6),
      mediaType: MediaType.OciManifest,
    });
    expect(await c.deleteManifest(`${fake.host}/m/del:v1`)).toBe(true);
    const del = fake.server.requests.find((r) => r.method === "DELETE");
    expect(del?.path).toBe(`/v2/m/del/manifests/${digest}`);
    expect(await c.headManifest(`${fake.host}/m/del:v1`)).toBeUndefined();
  });
});

describe("tags", () => {
  it("follows Link pagination", async () => {
    const c = newClient();
    for (const t of ["t1", "t2", "t3", "t4", "t5"])
      await c.putManifest(`${fake.host}/m/paged:${t}`, { bytes: image(7), mediaType: MediaType.OciManifest });
    fake.server.requests.length = 0;
    expect(await c.tags(`${fake.host}/m/paged`, { pageSize: 2 })).toEqual(["t1", "t2", "t3", "t4", "t5"]);
    expect(fake.server.requests.filter((r) => r.path.includes("tags/list")).map((r) => r.path)).toEqual([
      "/v2/m/paged/tags/list?n=2",
      "/v2/m/paged/tags/list?n=2&last=t2",
      "/v2/m/paged/tags/list?n=2&last=t4",
    ]);
  });

  it("refuses a Link that leaves the registry or loops", async () => {
    const c = newClient();
    fake.server.use(
      http.get("*/v2/m/evil/tags/list", () =>
        HttpResponse.json(
          { tags: ["a"] },
          { headers: { link: '<https://elsewhere.example/v2/x/tags/list?n=1>; rel="next"' } },
        ),
      ),
    );
    await expect(c.tags(`${fake.host}/m/evil`)).rejects.toThrow(/another host/);
    fake.server.use(
      http.get("*/v2/m/loop/tags/list", () =>
        HttpResponse.json({ tags: ["a"] }, { headers: { link: '</v2/m/loop/tags/list>; rel="next"' } }),
      ),
    );
    await expect(c.tags(`${fake.host}/m/loop`)).rejects.toThrow(/already sent/);
  });
});
