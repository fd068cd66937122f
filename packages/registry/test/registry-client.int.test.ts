import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortError, NotFoundError, UnauthorizedError } from "@modeltrail/core";
import {
  anonymousCredentials,
  bytesSource,
  canonicalJson,
  dockerConfigCredentials,
  MediaType,
  RegistryClient,
  sha256Digest,
  staticCredentials,
  type UploadSession,
} from "@modeltrail/registry";
import { REGISTRY_TEST_USERS } from "@modeltrail/test-utils";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startCuttingProxy } from "./helpers/cutting-proxy.js";

const open = inject("openRegistry");
const basic = inject("basicRegistry");
const token = inject("tokenRegistry");
const realm = inject("tokenRealm");

/** A minimal image: a config and one layer of random bytes (the registry does not look inside). */
function artifact(layerBytes: Buffer) {
  const config = canonicalJson({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [sha256Digest(layerBytes)] },
  });
  const manifest = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: MediaType.OciLayer, digest: sha256Digest(layerBytes), size: layerBytes.length }],
  });
  return { config, layer: layerBytes, manifest };
}

async function pushArtifact(client: RegistryClient, repo: string, tag: string, layer = randomBytes(1024)) {
  const a = artifact(layer);
  await client.uploadBlob(repo, bytesSource(a.layer));
  await client.uploadBlob(repo, bytesSource(a.config));
  const digest = await client.putManifest(`${repo}:${tag}`, {
    bytes: a.manifest,
    mediaType: MediaType.OciManifest,
  });
  return { ...a, digest };
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-registry-int-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("against a real distribution registry (no auth)", () => {
  const client = new RegistryClient({ credentials: anonymousCredentials });
  afterAll(() => client.close());

  it("pushes blobs and a manifest, reads them back by tag and by digest, and sends nothing twice", async () => {
    const repo = `${open}/it/push-pull`;
    const layer = randomBytes(300_000);
    const a = artifact(layer);
    const first = await client.uploadBlob(repo, bytesSource(a.layer));
    expect(first.status).toBe("uploaded");
    const again = await client.uploadBlob(repo, bytesSource(a.layer));
    expect(again.status).toBe("exists");
    await client.uploadBlob(repo, bytesSource(a.config));
    const digest = await client.putManifest(`${repo}:v1`, {
      bytes: a.manifest,
      mediaType: MediaType.OciManifest,
    });
    expect(digest).toBe(sha256Digest(a.manifest));

    const byTag = await client.getManifest(`${repo}:v1`);
    expect(byTag.digest).toBe(digest);
    expect(Buffer.from(byTag.bytes).equals(a.manifest)).toBe(true);
    expect(byTag.kind).toBe("image");
    const byDigest = await client.getManifest(`${repo}@${digest}`);
    expect(byDigest.digest).toBe(digest);
    expect(await client.headManifest(`${repo}:v1`)).toMatchObject({ digest, size: a.manifest.length });
    expect(await client.blobSize(repo, sha256Digest(layer))).toBe(layer.length);

    const dest = join(work, "layer.bin");
    await client.downloadBlob(repo, { digest: sha256Digest(layer), size: layer.length }, dest);
    expect((await readFile(dest)).equals(layer)).toBe(true);
    expect((await readdir(work)).filter((f) => f.includes("partial"))).toEqual([]);
  });

  it("refuses a download whose declared size is wrong and leaves no file behind", async () => {
    const repo = `${open}/it/lying-size`;
    const a = await pushArtifact(client, repo, "v1");
    const dest = join(work, "wrong-size.bin");
    await expect(
      client.downloadBlob(repo, { digest: sha256Digest(a.layer), size: a.layer.length - 1 }, dest),
    ).rejects.toThrow(/bytes/);
    await expect(readFile(dest)).rejects.toThrow(/ENOENT/);
    expect((await readdir(work)).filter((f) => f.includes("wrong-size"))).toEqual([]);
  });

  it("mounts a blob from another repository instead of sending it", async () => {
    const from = `${open}/it/mount-source`;
    const a = await pushArtifact(client, from, "v1");
    const to = `${open}/it/mount-target`;
    const result = await client.uploadBlob(to, bytesSource(a.layer), { mountFrom: "it/mount-source" });
    expect(result.status).toBe("mounted");
    expect(await client.blobSize(to, sha256Digest(a.layer))).toBe(a.layer.length);
    expect(await client.mountBlob(`${open}/it/mount-target2`, sha256Digest(a.layer), "it/mount-source")).toBe(
      true,
    );
    expect(
      await client.mountBlob(`${open}/it/mount-target3`, sha256Digest(randomBytes(10)), "it/mount-source"),
    ).toBe(false);
  });

  it("lists tags, and repositories across pages with Link pagination", async () => {
    const repo = `${open}/it/tags`;
    const tags = ["a1", "a2", "b1", "b2", "c1"];
    const a = await pushArtifact(client, repo, tags[0]!);
    for (const tag of tags.slice(1))
      await client.putManifest(`${repo}:${tag}`, { bytes: a.manifest, mediaType: MediaType.OciManifest });
    // distribution 2.8 answers the whole tag list in storage order and ignores `n` (Link paging of
    // tags is covered by the msw tests); its catalog pages with Link.
    expect((await client.tags(repo, { pageSize: 2 })).sort()).toEqual(tags);
    await expect(client.tags(`${open}/it/no-such-repo`)).rejects.toBeInstanceOf(NotFoundError);

    const pages: string[] = [];
    const counting = new RegistryClient({
      credentials: anonymousCredentials,
      logger: (e) => {
        if (e.type === "response" && e.url.includes("/_catalog")) pages.push(e.url);
      },
    });
    const repositories: string[] = [];
    for await (const r of counting.listRepositories(open, { pageSize: 2 })) repositories.push(r);
    await counting.close();
    expect(repositories).toContain("it/tags");
    expect(new Set(repositories).size).toBe(repositories.length);
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(repositories.length / 2));
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(repositories.length / 2) + 1);
    expect(pages[1]).toMatch(/last=/);
  });

  it("deletes a manifest by tag", async () => {
    const repo = `${open}/it/delete`;
    await pushArtifact(client, repo, "gone");
    expect(await client.deleteManifest(`${repo}:gone`)).toBe(true);
    await expect(client.getManifest(`${repo}:gone`)).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.deleteManifest(`${repo}:gone`)).toBe(false);
  });

  it("indexes a referrer with the tag schema (distribution 2.8 has no referrers API) and lists it", async () => {
    const repo = `${open}/it/referrers`;
    const image = await pushArtifact(client, repo, "v1");
    const empty = Buffer.from("{}");
    await client.uploadBlob(repo, bytesSource(empty));
    const payload = Buffer.from('{"hello":"world"}');
    await client.uploadBlob(repo, bytesSource(payload));
    const subject = { mediaType: MediaType.OciManifest, digest: image.digest, size: image.manifest.length };
    const manifest = canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: "application/vnd.example.test",
      config: { mediaType: MediaType.OciEmpty, digest: sha256Digest(empty), size: 2 },
      layers: [{ mediaType: "application/json", digest: sha256Digest(payload), size: payload.length }],
      subject,
      annotations: { "org.example": "yes" },
    });
    const pushed = await client.pushReferrer(repo, {
      bytes: manifest,
      mediaType: MediaType.OciManifest,
      artifactType: "application/vnd.example.test",
      annotations: { "org.example": "yes" },
      subject,
    });
    expect(pushed.indexedBy).toBe("tag-schema");
    // pushing it again does not add it twice
    await client.pushReferrer(repo, {
      bytes: manifest,
      mediaType: MediaType.OciManifest,
      artifactType: "application/vnd.example.test",
      subject,
    });
    const listed = await client.listReferrers(`${repo}@${image.digest}`);
    expect(listed.source).toBe("tag-schema");
    expect(listed.referrers.map((r) => r.digest)).toEqual([sha256Digest(manifest)]);
    expect(listed.referrers[0]).toMatchObject({
      artifactType: "application/vnd.example.test",
      annotations: { "org.example": "yes" },
    });
    expect(
      (await client.listReferrers(`${repo}@${image.digest}`, { artifactType: "other/type" })).referrers,
    ).toEqual([]);
    const none = await client.listReferrers(`${repo}@${sha256Digest("nothing")}`);
    expect(none).toEqual({ referrers: [], source: "tag-schema" });
  });
});

describe("interrupted uploads against the real registry", () => {
  it("resumes a chunked upload aborted between chunks from the session it kept", async () => {
    const client = new RegistryClient({ credentials: anonymousCredentials });
    try {
      const repo = `${open}/it/resume-chunked`;
      const blob = randomBytes(3 * 1024 * 1024 + 123);
      const abort = new AbortController();
      let kept: UploadSession | undefined;
      const first = client.uploadBlob(repo, bytesSource(blob), {
        chunkSize: 1024 * 1024,
        signal: abort.signal,
        onSession: (s) => {
          kept = s;
          if (s.offset >= 1024 * 1024) abort.abort();
        },
      });
      await expect(first).rejects.toBeInstanceOf(AbortError);
      expect(kept?.offset).toBe(1024 * 1024);
      const offsets: number[] = [];
      const result = await client.uploadBlob(repo, bytesSource(blob), {
        chunkSize: 1024 * 1024,
        resume: kept,
        onProgress: (n) => offsets.push(n),
      });
      expect(result).toMatchObject({ status: "uploaded", resumed: 1, restarted: 0 });
      expect(offsets[0]).toBe(1024 * 1024);
      const dest = join(work, "resumed.bin");
      await client.downloadBlob(repo, { digest: sha256Digest(blob), size: blob.length }, dest);
      expect((await readFile(dest)).equals(blob)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("recovers a chunked upload whose connection is cut mid-chunk (distribution drops that session: a new one starts)", async () => {
    const proxy = await startCuttingProxy(open);
    const client = new RegistryClient({ credentials: anonymousCredentials });
    try {
      const repo = `${proxy.host}/it/cut-chunked`;
      const blob = randomBytes(3 * 1024 * 1024 + 123);
      proxy.cutOnceAfter(
        500_000,
        (head) => head.startsWith("PATCH") && /content-range: 1048576-/i.test(head),
      );
      const result = await client.uploadBlob(repo, bytesSource(blob), { chunkSize: 1024 * 1024 });
      expect(proxy.cuts).toBe(1);
      expect(result.status).toBe("uploaded");
      expect(result.restarted).toBeGreaterThanOrEqual(1);
      const dest = join(work, "cut.bin");
      await client.downloadBlob(
        `${open}/it/cut-chunked`,
        { digest: sha256Digest(blob), size: blob.length },
        dest,
      );
      expect((await readFile(dest)).equals(blob)).toBe(true);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("recovers a monolithic upload cut mid-body", async () => {
    const proxy = await startCuttingProxy(open);
    const client = new RegistryClient({ credentials: anonymousCredentials });
    try {
      const repo = `${proxy.host}/it/cut-monolithic`;
      const blob = randomBytes(2 * 1024 * 1024);
      proxy.cutOnceAfter(700_000, (head) => head.startsWith("PUT"));
      const result = await client.uploadBlob(repo, bytesSource(blob));
      expect(proxy.cuts).toBe(1);
      expect(result.status).toBe("uploaded");
      expect(result.resumed + result.restarted).toBeGreaterThanOrEqual(1);
      expect(await client.blobSize(`${open}/it/cut-monolithic`, sha256Digest(blob))).toBe(blob.length);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});

describe("against a registry with htpasswd Basic auth", () => {
  const { username, password } = REGISTRY_TEST_USERS.basic;

  it("pushes and pulls with the registry's credentials", async () => {
    const client = new RegistryClient({
      credentials: staticCredentials({ [basic]: { kind: "basic", username, password } }),
    });
    try {
      const repo = `${basic}/it/basic`;
      const a = await pushArtifact(client, repo, "v1");
      expect((await client.getManifest(`${repo}:v1`)).digest).toBe(a.digest);
    } finally {
      await client.close();
    }
  });

  it("says what to do when no credentials are configured, and never shows a wrong password", async () => {
    const anon = new RegistryClient({ credentials: anonymousCredentials });
    const err = await anon.getManifest(`${basic}/it/basic:v1`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(String((err as Error).message)).toMatch(/docker login/);
    await anon.close();
    const wrongPassword = "wrong-Secret-value-123";
    const wrong = new RegistryClient({
      credentials: staticCredentials({ [basic]: { kind: "basic", username, password: wrongPassword } }),
    });
    const err2 = await wrong.getManifest(`${basic}/it/basic:v1`).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(UnauthorizedError);
    const shown = `${(err2 as Error).message} ${JSON.stringify(err2)} ${(err2 as Error).stack}`;
    expect(shown).not.toContain(wrongPassword);
    expect(shown).not.toContain(Buffer.from(`${username}:${wrongPassword}`).toString("base64"));
    await wrong.close();
  });

  it("does not give one registry's credentials to another", async () => {
    const client = new RegistryClient({
      credentials: staticCredentials({ [open]: { kind: "basic", username, password } }),
    });
    await expect(client.getManifest(`${basic}/it/basic:v1`)).rejects.toBeInstanceOf(UnauthorizedError);
    await client.close();
  });
});

describe("against a registry with the bearer token flow", () => {
  const { username, password } = REGISTRY_TEST_USERS.token;

  it("pushes and pulls with Basic credentials traded for scoped tokens", async () => {
    const client = new RegistryClient({
      credentials: staticCredentials({ [token]: { kind: "basic", username, password } }),
    });
    try {
      const repo = `${token}/it/token`;
      const a = await pushArtifact(client, repo, "v1");
      expect((await client.getManifest(`${repo}:v1`)).digest).toBe(a.digest);
      expect(await client.tags(repo)).toEqual(["v1"]);
    } finally {
      await client.close();
    }
  });

  it("pulls anonymously where the token service allows it and refuses a push", async () => {
    const authed = new RegistryClient({
      credentials: staticCredentials({ [token]: { kind: "basic", username, password } }),
    });
    const a = await pushArtifact(authed, `${token}/public/anon`, "v1");
    await authed.close();
    const anon = new RegistryClient({ credentials: anonymousCredentials });
    expect((await anon.getManifest(`${token}/public/anon:v1`)).digest).toBe(a.digest);
    await expect(pushArtifact(anon, `${token}/public/anon`, "v2")).rejects.toBeInstanceOf(UnauthorizedError);
    await anon.close();
  });

  it("uses an identity token from the Docker config (OAuth2 refresh_token grant)", async () => {
    const res = await fetch(realm, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "password",
        username,
        password,
        service: "modeltrail-test-registry",
        client_id: "test",
      }),
    });
    const { refresh_token } = (await res.json()) as { refresh_token: string };
    const dir = join(work, "docker-identity");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { [`https://${token}`]: { identitytoken: refresh_token } } }),
    );
    const client = new RegistryClient({ credentials: dockerConfigCredentials({ configDir: dir }) });
    try {
      await pushArtifact(client, `${token}/it/identity`, "v1");
      expect(await client.tags(`${token}/it/identity`)).toEqual(["v1"]);
    } finally {
      await client.close();
    }
  });

  it("uses a real docker-credential-* helper named by credsStore", async () => {
    const dir = join(work, "docker-helper");
    const bin = join(dir, "bin");
    await mkdir(bin, { recursive: true });
    const helper = join(bin, "docker-credential-modeltrailtest");
    await writeFile(
      helper,
      `#!/bin/sh\nread server\nif [ "$1" = get ] && [ "$server" = "${token}" ]; then\n  printf '{"ServerURL":"%s","Username":"${username}","Secret":"${password}"}' "$server"\n  exit 0\nfi\necho "credentials not found in native keychain"\nexit 1\n`,
    );
    await chmod(helper, 0o755);
    await writeFile(join(dir, "config.json"), JSON.stringify({ credsStore: "modeltrailtest" }));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const client = new RegistryClient({ credentials: dockerConfigCredentials({ configDir: dir, env }) });
    try {
      await pushArtifact(client, `${token}/it/helper`, "v1");
      expect(await client.tags(`${token}/it/helper`)).toEqual(["v1"]);
      // the helper has nothing for the open registry: anonymous access still works there
      await pushArtifact(client, `${open}/it/helper`, "v1");
    } finally {
      await client.close();
    }
  });
});
