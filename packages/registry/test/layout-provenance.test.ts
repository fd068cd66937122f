import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext, ValidationError } from "@modeltrail/core";
import { afterAll, describe, expect, it } from "vitest";
import {
  attachLayoutProvenance,
  buildModelImage,
  modelProvenance,
  OciLayout,
  referrersFallbackTag,
  verifyLayoutProvenance,
} from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "layout-provenance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = createTraceContext({
  code: { gitSha: "0123456789abcdef0123456789abcdef01234567" },
  job: { platform: "databricks", jobId: "1795788642450000", runId: "1795788642450001" },
  model: { name: "churn", version: "3", mlflowRunId: "0e65f4e6ffd84bbcaca05398f1d5dff3" },
});

async function imageIn(layout: string, runId = "1795788642450001") {
  const modelDir = join(dir, `model-${runId}`);
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(join(modelDir, "MLmodel"), `run ${runId}\n`);
  return buildModelImage({ modelDir, ctx: ctx.with({ job: { runId } }), layout });
}

describe("provenance in an OCI layout", () => {
  const keys = generateKeyPairSync("ed25519");

  it("signs, stores as the image's .att and verifies back with the public key", async () => {
    const layout = join(dir, "ok");
    const image = await imageIn(layout);
    const statement = modelProvenance({ image: { repository: "demo/churn", digest: image.digest }, ctx });
    const attached = await attachLayoutProvenance(layout, image.digest, statement, keys.privateKey);
    expect(attached.tag).toBe(`${referrersFallbackTag(image.digest)}.att`);
    const verified = await verifyLayoutProvenance(layout, "1795788642450001", keys.publicKey);
    expect(verified.digest).toBe(image.digest);
    expect(verified.statement.subject[0]?.digest.sha256).toBe(image.digest.slice(7));
    // the attestation's subject is the image
    const l = await OciLayout.open(layout);
    const att = await l.manifest(await l.resolve({ tag: attached.tag }));
    expect(att.kind === "image" && att.manifest.subject?.digest).toBe(image.digest);
  });

  it("refuses another key, a tampered envelope, and a statement about another image", async () => {
    const layout = join(dir, "bad");
    const image = await imageIn(layout);
    const other = await imageIn(layout, "1795788642450002");
    const statement = modelProvenance({ image: { repository: "demo/churn", digest: image.digest }, ctx });
    await attachLayoutProvenance(layout, image.digest, statement, keys.privateKey);
    const stranger = generateKeyPairSync("ed25519");
    await expect(verifyLayoutProvenance(layout, "1795788642450001", stranger.publicKey)).rejects.toThrow();
    await expect(
      verifyLayoutProvenance(layout, { digest: image.digest }, stranger.publicKey),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await verifyLayoutProvenance(layout, { digest: image.digest }, keys.publicKey)).digest).toBe(
      image.digest,
    );
    await expect(verifyLayoutProvenance(layout, "1795788642450002", keys.publicKey)).rejects.toThrow(); // no .att

    // the statement of the first image attached to the second: the subject check refuses it
    await attachLayoutProvenance(layout, other.digest, statement, keys.privateKey);
    await expect(verifyLayoutProvenance(layout, "1795788642450002", keys.publicKey)).rejects.toThrow(
      /about another image/,
    );

    // a flipped byte in the envelope blob: the layout's digest check refuses to read it
    const l = await OciLayout.open(layout);
    const att = await l.manifest(await l.resolve({ tag: `${referrersFallbackTag(image.digest)}.att` }));
    const blob = l.blobPath(att.kind === "image" ? att.manifest.layers[0]!.digest : "");
    const bytes = readFileSync(blob);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 1;
    writeFileSync(blob, bytes);
    await expect(verifyLayoutProvenance(layout, "1795788642450001", keys.publicKey)).rejects.toThrow();
  });
});
