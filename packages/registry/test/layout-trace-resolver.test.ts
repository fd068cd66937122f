import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  createTraceContext,
  DEFAULT_CONVENTIONS,
  type TraceResolver,
  trace,
  ValidationError,
  verify,
} from "@modeltrail/core";
import {
  buildModelImage,
  canonicalJson,
  type ImageManifest,
  layoutTraceResolver,
  MediaType,
  modelProvenance,
  OciLayout,
  referrersFallbackTag,
  sha256Digest,
  signDsse,
  storeBlob,
  storeManifest,
} from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SHA = "c".repeat(40);
const JOB_RUN = "1795788642450001";
const MLFLOW_RUN = "0e65f4e6ffd84bbcaca05398f1d5dff3";
const ctx = createTraceContext({
  code: { gitSha: SHA },
  job: { platform: "databricks", jobId: "1795788642450000", runId: JOB_RUN },
  model: { name: "churn", version: "3", mlflowRunId: MLFLOW_RUN },
});
const keys = generateKeyPairSync("ed25519");
const otherKeys = generateKeyPairSync("ed25519");

let work: string;
let layoutDir: string;
let digest: string;
let otherDigest: string;

/** Stores a signed provenance statement as cosign names attestations in a layout: `sha256-<hex>.att`. */
async function attach(dir: string, imageDigest: string, statement: object, key = keys.privateKey) {
  const layout = await OciLayout.open(dir);
  const image = await layout.manifest(await layout.resolve({ digest: imageDigest }));
  const envelope = canonicalJson(signDsse(MediaType.InTotoStatement, canonicalJson(statement), key));
  const layer = { mediaType: MediaType.DsseEnvelope, digest: sha256Digest(envelope), size: envelope.length };
  const config = canonicalJson({});
  const configDesc = { mediaType: MediaType.OciEmpty, digest: sha256Digest(config), size: config.length };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: MediaType.DsseEnvelope,
    config: configDesc,
    layers: [layer],
    subject: { mediaType: MediaType.OciManifest, digest: imageDigest, size: image.bytes.length },
  };
  const bytes = canonicalJson(manifest);
  const dest = { kind: "layout" as const, layout };
  await storeBlob(dest, { desc: configDesc, bytes: config });
  await storeBlob(dest, { desc: layer, bytes: envelope });
  await storeManifest(dest, { bytes, mediaType: MediaType.OciManifest, digest: sha256Digest(bytes) }, [
    `${referrersFallbackTag(imageDigest)}.att`,
  ]);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-layout-trace-"));
  const modelDir = join(work, "model");
  await mkdir(join(modelDir, "sub"), { recursive: true });
  await writeFile(join(modelDir, "MLmodel"), "flavors:\n  python_function: {}\n");
  await writeFile(join(modelDir, "sub", "weights.bin"), Buffer.alloc(70_000, 7));
  layoutDir = join(work, "images");
  const built = await buildModelImage({ modelDir, ctx, layout: layoutDir });
  digest = built.digest;
  await attach(
    layoutDir,
    digest,
    modelProvenance({ image: { repository: "churn", digest }, ctx, modelLayer: built.modelLayer }),
  );
  // a second image of another commit and run, in the same layout, signed with another key
  const other = createTraceContext({
    code: { gitSha: "d".repeat(40) },
    job: { platform: "databricks", jobId: "1795788642450000", runId: "1795788642450002" },
    model: { name: "churn", version: "4", mlflowRunId: "1".repeat(32) },
  });
  const second = await buildModelImage({ modelDir, ctx: other, layout: layoutDir });
  otherDigest = second.digest;
  await attach(
    layoutDir,
    otherDigest,
    modelProvenance({ image: { repository: "churn", digest: otherDigest }, ctx: other }),
    otherKeys.privateKey,
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("layoutTraceResolver", () => {
  function resolver(): TraceResolver {
    return layoutTraceResolver(layoutDir, { publicKey: keys.publicKey });
  }
  async function opts() {
    return { conventions: DEFAULT_CONVENTIONS };
  }

  it("reads an image by tag, by digest and by bare digest, with env, annotations, layers and verified provenance", async () => {
    const r = resolver();
    const o = await opts();
    const byTag = await r.getImage!(`oci:${layoutDir}:${JOB_RUN}`, o);
    const byDigest = await r.getImage!(`oci:${layoutDir}@${digest}`, o);
    const bare = await r.getImage!(digest, o);
    const relativeDir = await r.getImage!(`oci:${relative(process.cwd(), layoutDir)}:${JOB_RUN}`, o);
    const pinned = await r.getImage!(`registry.example/churn:${JOB_RUN}@${digest}`, o);
    for (const img of [byTag, byDigest, bare, relativeDir, pinned]) {
      expect(img?.digest).toBe(digest);
      expect(img?.ref).toBe(`oci:${layoutDir}@${digest}`);
    }
    expect(byTag?.tags).toEqual([JOB_RUN]);
    expect(byTag?.config?.env.GIT_SHA).toBe(SHA);
    expect(byTag?.annotations["org.opencontainers.image.revision"]).toBe(SHA);
    expect(byTag?.layers.some((l) => l.role === "model")).toBe(true);
    expect(byTag?.provenance).toHaveLength(1);
    expect(byTag?.provenance[0]).toMatchObject({ signed: true, verified: true, gitCommit: SHA });
    // the other image was signed with another key: read, but not verified
    const other = await r.getImage!(otherDigest, o);
    expect(other?.provenance[0]).toMatchObject({ signed: true, verified: false });
    expect(other?.provenance[0]?.verifyError).toBeTruthy();
  });

  it("answers nothing for references it was not given: another directory, a registry, an unknown tag", async () => {
    const r = resolver();
    const o = await opts();
    expect(await r.getImage!(`oci:${join(work, "elsewhere")}:${JOB_RUN}`, o)).toBeUndefined();
    expect(await r.getImage!(`registry.example/churn:${JOB_RUN}`, o)).toBeUndefined();
    expect(await r.getImage!(`oci:${layoutDir}:no-such-tag`, o)).toBeUndefined();
    expect(await r.getImage!(`sha256:${"0".repeat(64)}`, o)).toBeUndefined();
    // the attestation's tag is not an image
    expect(await r.getImage!(`oci:${layoutDir}:${referrersFallbackTag(digest)}.att`, o)).toBeUndefined();
  });

  it("finds images by digest, by either kind of run id and by commit, never an attestation", async () => {
    const r = resolver();
    const o = await opts();
    const digests = async (q: object) => (await r.findImages!(q, o)).map((i) => i.digest);
    expect(await digests({ imageDigest: digest })).toEqual([digest]);
    expect(await digests({ jobRunId: JOB_RUN })).toEqual([digest]);
    expect(await digests({ mlflowRunId: MLFLOW_RUN })).toEqual([digest]);
    expect(await digests({ gitSha: "d".repeat(40) })).toEqual([otherDigest]);
    expect(await digests({ gitSha: "e".repeat(40) })).toEqual([]);
    expect(await digests({})).toEqual([]);
  });

  it("hashes the files of the model layer", async () => {
    const files = await resolver().getImageModelFiles!(digest, await opts());
    expect(files?.map((f) => f.path)).toEqual(["MLmodel", "sub/weights.bin"]);
    expect(files?.[1]).toMatchObject({ size: 70_000 });
    expect(files?.[1]?.digest).toBe(sha256Digest(Buffer.alloc(70_000, 7)));
  });

  it("gives trace() and verify() the image side: from the image, the commit and the provenance links pass", async () => {
    // an oci:DIR:TAG reference is an image handle, as skopeo writes it
    const report = await trace(`oci:${layoutDir}:${JOB_RUN}`, { resolvers: [resolver()] });
    expect(report.handle).toMatchObject({ kind: "image" });
    expect(report.lineages).toHaveLength(1);
    expect(report.lineages[0]?.artifacts.imageDigest?.value).toBe(digest);
    const result = await verify(digest, { resolvers: [resolver()] });
    expect(result.report.lineages).toHaveLength(1);
    const l = result.report.lineages[0]!;
    expect(l.code.gitSha?.value).toBe(SHA);
    expect(l.code.gitSha?.source.system).toBe("oci-layout");
    const byId = Object.fromEntries(result.checks.map((c) => [c.id, c.status]));
    expect(byId["provenance.signature"]).toBe("pass");
    expect(byId["provenance.commit"]).toBe("pass");
    expect(result.summary.fail).toBe(0);
  });

  it("a directory that is not a layout makes the look-up fail, and bad options are ValidationErrors", async () => {
    const notLayout = join(work, "not-a-layout");
    await mkdir(notLayout, { recursive: true });
    await expect(
      layoutTraceResolver(notLayout).findImages!({ gitSha: SHA }, await opts()),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(() => layoutTraceResolver([])).toThrow(ValidationError);
    expect(() => layoutTraceResolver(layoutDir, { maxLayerBytes: 0 })).toThrow(ValidationError);
    await expect(
      layoutTraceResolver(layoutDir, { maxLayerBytes: 10 }).getImageModelFiles!(digest, await opts()),
    ).rejects.toThrow(/maxLayerBytes/);
  });
});
