import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createTraceContext,
  DEFAULT_CONVENTIONS,
  type RequestEvent,
  type TraceLookupOptions,
} from "@modeltrail/core";
import { afterEach, describe, expect, it } from "vitest";
import {
  ATTESTATION_ANNOTATIONS,
  anonymousCredentials,
  attachProvenance,
  buildModelImage,
  canonicalJson,
  MediaType,
  modelProvenance,
  RegistryClient,
  registryTraceResolver,
} from "../src/index.js";
import { type FakeRegistry, startFakeRegistry } from "./helpers/fake-registry.js";

// The registry's share of trace()'s request budget, counted against the fake registry (msw on a
// loopback port, distribution-like: with or without the referrers API). Every number here is the
// most requests the look-up may send: a test fails when the count grows.

const SHA = createHash("sha1").update(randomUUID()).digest("hex");
const JOB_RUN = "1795788642450001";
const ctx = createTraceContext({
  code: { gitSha: SHA },
  job: { platform: "databricks", runId: JOB_RUN },
  model: { name: "churn", version: "3", mlflowRunId: "0e65f4e6ffd84bbcaca05398f1d5dff3" },
});
const keys = generateKeyPairSync("ed25519");

const fakes: FakeRegistry[] = [];
const clients: RegistryClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A signed, provenance-attested model image tagged with the run id, on a fresh fake registry. */
async function setup(referrersApi: boolean) {
  const fake = await startFakeRegistry({ referrersApi });
  fakes.push(fake);
  const client = new RegistryClient({ credentials: anonymousCredentials });
  clients.push(client);
  const modelDir = await mkdtemp(join(tmpdir(), "mt-reg-budget-"));
  dirs.push(modelDir);
  await writeFile(join(modelDir, "MLmodel"), "flavors: {}\n");
  await writeFile(join(modelDir, "model.pkl"), Buffer.alloc(200_000, 7));
  const repo = `${fake.host}/models/churn`;
  const built = await buildModelImage({ modelDir, ctx, push: { client, repository: repo }, tags: [JOB_RUN] });
  const statement = modelProvenance({
    image: { repository: repo, digest: built.digest },
    ctx,
    modelLayer: built.modelLayer,
  });
  await attachProvenance(client, `${repo}@${built.digest}`, statement, { signingKey: keys.privateKey });
  // a client that has never talked to this registry: what the first trace of a process sends
  const fresh = new RegistryClient({ credentials: anonymousCredentials });
  clients.push(fresh);
  return { fake, client: fresh, repo, digest: built.digest, ref: `${repo}@${built.digest}` };
}

/** Options of one walk: its cache and a request log. */
function walk(): { o: TraceLookupOptions; events: RequestEvent[]; paths: () => string[] } {
  const events: RequestEvent[] = [];
  return {
    o: { conventions: DEFAULT_CONVENTIONS, onRequest: (e) => events.push(e), walkCache: new Map() },
    events,
    paths: () =>
      events.map((e) => `${e.method} ${new URL(e.url).pathname.replace(/\/v2\/models\/churn/, "")}`),
  };
}

describe("registryTraceResolver request budget", () => {
  it("reads an image with its verified provenance in 4 requests on a registry with the referrers API", async () => {
    const { client, repo, ref, digest } = await setup(true);
    const r = registryTraceResolver(client, { repositories: [repo], publicKey: keys.publicKey });
    const w = walk();
    const img = await r.getImage?.(ref, w.o);
    expect(img?.provenance).toHaveLength(1);
    expect(img?.provenance[0]?.verified).toBe(true);
    expect(img?.provenance[0]?.gitCommit).toBe(SHA);
    // the client's one-time /v2/ ping, then manifest, config, referrers, envelope: the attestation's
    // manifest is not read
    expect(w.paths()).toEqual([
      "GET /v2/",
      `GET /manifests/${digest}`,
      expect.stringMatching(/^GET \/blobs\/sha256:/),
      `GET /referrers/${digest}`,
      expect.stringMatching(/^GET \/blobs\/sha256:/),
    ]);
  });

  it("without the referrers API: 5 requests for the first image of a client (404, then the fallback tag), 4 after", async () => {
    const { client, repo, ref, digest } = await setup(false);
    const r = registryTraceResolver(client, { repositories: [repo], publicKey: keys.publicKey });
    const first = walk();
    expect((await r.getImage?.(ref, first.o))?.provenance[0]?.verified).toBe(true);
    expect(first.paths()).toEqual([
      "GET /v2/",
      `GET /manifests/${digest}`,
      expect.stringMatching(/^GET \/blobs\/sha256:/),
      `GET /referrers/${digest}`,
      `GET /manifests/${digest.replace(":", "-")}`,
      expect.stringMatching(/^GET \/blobs\/sha256:/),
    ]);
    // the client remembers that this registry has no referrers API: the next walk skips the 404
    const second = walk();
    expect((await r.getImage?.(ref, second.o))?.provenance[0]?.verified).toBe(true);
    expect(second.events).toHaveLength(4);
    expect(second.paths()).not.toContain(`GET /referrers/${digest}`);
  });

  it("within one walk an image is read once: found by run id (+1, the tag) and its model layer (+1, the blob)", async () => {
    const { client, repo, ref } = await setup(true);
    const r = registryTraceResolver(client, { repositories: [repo], publicKey: keys.publicKey });
    const w = walk();
    await r.getImage?.(ref, w.o);
    expect(w.events).toHaveLength(5); // the client's /v2/ ping + 4
    const found = await r.findImages?.({ jobRunId: JOB_RUN }, w.o);
    expect(found?.map((i) => i.ref)).toEqual([ref]);
    expect(found?.[0]?.tags).toEqual([JOB_RUN]);
    expect(w.events).toHaveLength(6);
    expect(w.paths()[5]).toBe(`GET /manifests/${JOB_RUN}`);
    const files = await r.getImageModelFiles?.(ref, w.o);
    expect(files?.map((f) => f.path).sort()).toEqual(["MLmodel", "model.pkl"]);
    expect(w.events).toHaveLength(7);
    // a new walk reads again (nothing is kept beyond one trace()/verify() call)
    const again = walk();
    await r.getImage?.(ref, again.o);
    expect(again.events).toHaveLength(4);
  });

  it("an envelope annotation that lies (wrong size, no such blob) is not trusted: the manifest is read instead", async () => {
    const { fake, client, repo, ref, digest } = await setup(true);
    // push a second attestation whose annotations name the envelope with a wrong size
    const att = [...fake.manifests.values()]
      .map((m) => JSON.parse(m.bytes.toString("utf8")))
      .find((m) => m.subject?.digest === digest && m.artifactType === MediaType.DsseEnvelope);
    expect(att.annotations[ATTESTATION_ANNOTATIONS.envelopeDigest]).toBe(att.layers[0].digest);
    const lying = {
      ...att,
      annotations: {
        ...att.annotations,
        [ATTESTATION_ANNOTATIONS.envelopeSize]: String(att.layers[0].size + 1),
        "org.opencontainers.image.created": "1970-01-01T00:00:01Z",
      },
    };
    const owner = new RegistryClient({ credentials: anonymousCredentials });
    clients.push(owner);
    await owner.pushReferrer(repo, {
      bytes: canonicalJson(lying),
      mediaType: MediaType.OciManifest,
      artifactType: MediaType.DsseEnvelope,
      annotations: lying.annotations,
      subject: lying.subject,
    });
    const r = registryTraceResolver(client, { repositories: [repo], publicKey: keys.publicKey });
    const w = walk();
    const img = await r.getImage?.(ref, w.o);
    expect(img?.provenance).toHaveLength(2);
    expect(img?.provenance.every((p) => p.verified === true)).toBe(true);
    // ping + 4 for the image and the honest attestation, +1 refused blob read, +2 for the other
    // (its manifest, its envelope)
    expect(w.events.length).toBeLessThanOrEqual(8);
  });
});
