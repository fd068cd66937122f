import { ValidationError } from "@modeltrail/core";
import { canonicalJson } from "./canonical-json.js";
import { sha256Digest } from "./digest.js";
import { type DsseEnvelope, type SigningKey, signDsse, type VerificationKey, verifyDsse } from "./dsse.js";
import { storeBlob, storeManifest } from "./image-store.js";
import type { ImageManifest } from "./manifest-schemas.js";
import { MediaType } from "./media-types.js";
import { OciLayout } from "./oci-layout.js";
import { IN_TOTO_STATEMENT_V1, type ProvenanceStatement, SLSA_PROVENANCE_V1 } from "./provenance.js";
import { referrersFallbackTag } from "./referrers.js";

/** Where {@link attachLayoutProvenance} stored an attestation. */
export interface LayoutAttestation {
  /** The attestation manifest's digest. */
  digest: string;
  /** Its tag in the layout: `sha256-<hex>.att`, as cosign names attestations. */
  tag: string;
}

/**
 * Signs a provenance statement into a DSSE envelope (`signDsse`, the same envelope
 * `attachProvenance` pushes to a registry) and stores it in an OCI layout as an attestation of the
 * image: a manifest whose `subject` is the image and whose one layer is the envelope, tagged
 * `sha256-<hex>.att` as cosign names attestations (a later attestation of the same image replaces
 * the tag). `skopeo copy --all` or `oras cp -r` carries it to a registry with the image; the
 * layout's trace resolver (`layoutTraceResolver` with a public key) verifies it.
 * @throws NotFoundError when the layout has no image with that digest; ConfigError for an unusable key.
 */
export async function attachLayoutProvenance(
  layoutDir: string,
  imageDigest: string,
  statement: ProvenanceStatement,
  signingKey: SigningKey,
): Promise<LayoutAttestation> {
  const layout = await OciLayout.open(layoutDir);
  const imageDesc = await layout.resolve({ digest: imageDigest });
  const image = await layout.manifest(imageDesc);
  const envelope = canonicalJson(signDsse(MediaType.InTotoStatement, canonicalJson(statement), signingKey));
  const layer = {
    mediaType: MediaType.DsseEnvelope,
    digest: sha256Digest(envelope),
    size: envelope.length,
    annotations: { predicateType: statement.predicateType },
  };
  const config = canonicalJson({});
  const configDesc = { mediaType: MediaType.OciEmpty, digest: sha256Digest(config), size: config.length };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: MediaType.DsseEnvelope,
    config: configDesc,
    layers: [layer],
    subject: { mediaType: imageDesc.mediaType, digest: imageDigest, size: image.bytes.length },
  };
  const bytes = canonicalJson(manifest);
  const digest = sha256Digest(bytes);
  const dest = { kind: "layout" as const, layout };
  await storeBlob(dest, { desc: configDesc, bytes: config });
  await storeBlob(dest, { desc: layer, bytes: envelope });
  const tag = `${referrersFallbackTag(imageDigest)}.att`;
  await storeManifest(dest, { bytes, mediaType: MediaType.OciManifest, digest }, [tag]);
  return { digest, tag };
}

/**
 * Reads back and verifies the provenance of an image in an OCI layout (by tag, or `{ digest }`):
 * finds its `sha256-<hex>.att` attestation, checks that the attestation's subject is the image, that
 * the DSSE signature verifies with `publicKey` (`verifyDsse`), and that the payload is an in-toto
 * Statement v1 with a SLSA provenance v1 predicate about the image's digest.
 * @throws ValidationError saying which check failed; NotFoundError when the image or its
 *   attestation is missing; ConfigError for an unusable key.
 */
export async function verifyLayoutProvenance(
  layoutDir: string,
  image: string | { digest: string },
  publicKey: VerificationKey,
): Promise<{ digest: string; statement: ProvenanceStatement }> {
  const layout = await OciLayout.open(layoutDir);
  const name = typeof image === "string" ? image : image.digest;
  const imageDesc = await layout.resolve(typeof image === "string" ? { tag: image } : image);
  const att = await layout.manifest(
    await layout.resolve({ tag: `${referrersFallbackTag(imageDesc.digest)}.att` }),
  );
  if (att.kind !== "image") throw new ValidationError(`The attestation of ${name} is not an image manifest`);
  if (att.manifest.subject?.digest !== imageDesc.digest)
    throw new ValidationError(
      `The attestation's subject is ${att.manifest.subject?.digest}, not ${imageDesc.digest}`,
    );
  const layer = att.manifest.layers.find((l) => l.mediaType === MediaType.DsseEnvelope);
  if (!layer) throw new ValidationError(`The attestation of ${name} holds no DSSE envelope`);
  let envelope: DsseEnvelope;
  try {
    envelope = JSON.parse((await layout.readBlob(layer, 4 * 1024 * 1024)).toString("utf8")) as DsseEnvelope;
  } catch (err) {
    if (err instanceof SyntaxError)
      throw new ValidationError(`The attestation of ${name} is not a JSON DSSE envelope`);
    throw err;
  }
  let statement: ProvenanceStatement;
  const payload = verifyDsse(envelope, publicKey);
  try {
    statement = JSON.parse(payload.toString("utf8")) as ProvenanceStatement;
  } catch {
    throw new ValidationError(`The attestation of ${name} signs a payload that is not JSON`);
  }
  if (statement?._type !== IN_TOTO_STATEMENT_V1 || statement.predicateType !== SLSA_PROVENANCE_V1)
    throw new ValidationError(
      `The attestation of ${name} is not SLSA provenance v1 in an in-toto Statement v1`,
    );
  const hex = imageDesc.digest.replace(/^sha256:/, "");
  if (!Array.isArray(statement.subject) || !statement.subject.some((s) => s?.digest?.sha256 === hex))
    throw new ValidationError(`The provenance of ${name} is about another image`);
  return { digest: imageDesc.digest, statement };
}
