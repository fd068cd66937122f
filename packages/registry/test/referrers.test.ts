import { afterEach, describe, expect, it } from "vitest";
import {
  anonymousCredentials,
  bytesSource,
  canonicalJson,
  MediaType,
  RegistryClient,
  referrersFallbackTag,
  sha256Digest,
} from "../src/index.js";
import { type FakeRegistry, startFakeRegistry } from "./helpers/fake-registry.js";

const fakes: FakeRegistry[] = [];
const clients: RegistryClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function setup(referrersApi: boolean) {
  const fake = await startFakeRegistry({ referrersApi });
  fakes.push(fake);
  const client = new RegistryClient({ credentials: anonymousCredentials });
  clients.push(client);
  const repo = `${fake.host}/r/img`;
  const empty = Buffer.from("{}");
  await client.uploadBlob(repo, bytesSource(empty));
  const subjectBytes = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256Digest(empty), size: 2 },
    layers: [],
  });
  const subjectDigest = await client.putManifest(`${repo}:v1`, {
    bytes: subjectBytes,
    mediaType: MediaType.OciManifest,
  });
  const subject = { mediaType: MediaType.OciManifest, digest: subjectDigest, size: subjectBytes.length };
  const referrer = (artifactType: string) => {
    const bytes = canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config: { mediaType: MediaType.OciEmpty, digest: sha256Digest(empty), size: 2 },
      layers: [{ mediaType: MediaType.OciEmpty, digest: sha256Digest(empty), size: 2 }],
      subject,
    });
    return { bytes, mediaType: MediaType.OciManifest, artifactType, subject };
  };
  return { fake, client, repo, subject, referrer };
}

describe("referrers", () => {
  it("uses the referrers API when the registry has it (OCI-Subject), filtering by artifact type", async () => {
    const { fake, client, repo, subject, referrer } = await setup(true);
    expect((await client.pushReferrer(repo, referrer("application/vnd.in-toto+json"))).indexedBy).toBe("api");
    expect((await client.pushReferrer(repo, referrer("application/spdx+json"))).indexedBy).toBe("api");
    expect(fake.tags.get("r/img")?.has(referrersFallbackTag(subject.digest))).toBe(false);
    const all = await client.listReferrers(`${repo}@${subject.digest}`);
    expect(all.source).toBe("api");
    expect(all.referrers).toHaveLength(2);
    const some = await client.listReferrers(`${repo}@${subject.digest}`, {
      artifactType: "application/spdx+json",
    });
    expect(some.referrers.map((r) => r.artifactType)).toEqual(["application/spdx+json"]);
  });

  it("falls back to the sha256-<hex> tag index when the registry has no referrers API", async () => {
    const { fake, client, repo, subject, referrer } = await setup(false);
    expect((await client.pushReferrer(repo, referrer("application/vnd.in-toto+json"))).indexedBy).toBe(
      "tag-schema",
    );
    expect((await client.pushReferrer(repo, referrer("application/spdx+json"))).indexedBy).toBe("tag-schema");
    expect(fake.tags.get("r/img")?.has(referrersFallbackTag(subject.digest))).toBe(true);
    const all = await client.listReferrers(`${repo}@${subject.digest}`);
    expect(all.source).toBe("tag-schema");
    expect(all.referrers.map((r) => r.artifactType).sort()).toEqual([
      "application/spdx+json",
      "application/vnd.in-toto+json",
    ]);
    const some = await client.listReferrers(`${repo}@${subject.digest}`, {
      artifactType: "application/spdx+json",
    });
    expect(some.referrers).toHaveLength(1);
  });

  it("needs a digest to list referrers", async () => {
    const { client, repo } = await setup(false);
    await expect(client.listReferrers(`${repo}:v1`)).rejects.toThrow(/digest/);
  });
});
