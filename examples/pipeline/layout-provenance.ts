import {
  canonicalJson,
  type DsseEnvelope,
  type ImageManifest,
  IN_TOTO_STATEMENT_V1,
  MediaType,
  OciLayout,
  type ProvenanceStatement,
  referrersFallbackTag,
  type SigningKey,
  SLSA_PROVENANCE_V1,
  sha256Digest,
  signDsse,
  storeBlob,
  storeManifest,
  type VerificationKey,
  verifyDsse,
} from "@modeltrail/registry";

/**
 * Signs a provenance statement into a DSSE envelope (`signDsse`, the same envelope
 * `attachProvenance` pushes to a registry) and stores it in an OCI layout as an attestation of the
 * image: a manifest whose `subject` is the image and whose one layer is the envelope, tagged
 * `sha256-<hex>.att` as cosign names attestations. `skopeo copy --all` or `oras cp -r` carries it
 * to a registry with the image. Returns the attestation manifest's digest and tag.
 * @throws NotFoundError when the layout has no image with that digest; ConfigError for an unusable key.
 */
export async function attachLayoutProvenance(
  layoutDir: string,
  imageDigest: string,
  statement: ProvenanceStatement,
  signingKey: SigningKey,
): Promise<{ digest: string; tag: string }> {
  const layout = await OciLayout.open(layoutDir);
  const image = await layout.manifest(await layout.resolve({ digest: imageDigest }));
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
    subject: { mediaType: MediaType.OciManifest, digest: imageDigest, size: image.bytes.length },
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
 * Reads back and verifies the provenance of an image in an OCI layout: resolves the image by tag,
 * finds its `sha256-<hex>.att` attestation, checks that the attestation's subject is the image, that
 * the DSSE signature verifies with `publicKey` (`verifyDsse`), and that the payload is an in-toto
 * Statement v1 with a SLSA provenance v1 predicate about the image's digest.
 * @throws Error saying which check failed; NotFoundError when the image or attestation is missing.
 */
export async function verifyLayoutProvenance(
  layoutDir: string,
  tag: string,
  publicKey: VerificationKey,
): Promise<{ digest: string; statement: ProvenanceStatement }> {
  const layout = await OciLayout.open(layoutDir);
  const imageDesc = await layout.resolve({ tag });
  const att = await layout.manifest(
    await layout.resolve({ tag: `${referrersFallbackTag(imageDesc.digest)}.att` }),
  );
  if (att.kind !== "image") throw new Error(`the attestation of ${tag} is not an image manifest`);
  if (att.manifest.subject?.digest !== imageDesc.digest)
    throw new Error(`the attestation's subject is ${att.manifest.subject?.digest}, not ${imageDesc.digest}`);
  const layer = att.manifest.layers.find((l) => l.mediaType === MediaType.DsseEnvelope);
  if (!layer) throw new Error(`the attestation of ${tag} holds no DSSE envelope`);
  const envelope = JSON.parse((await layout.readBlob(layer)).toString("utf8")) as DsseEnvelope;
  const statement = JSON.parse(verifyDsse(envelope, publicKey).toString("utf8")) as ProvenanceStatement;
  if (statement._type !== IN_TOTO_STATEMENT_V1 || statement.predicateType !== SLSA_PROVENANCE_V1)
    throw new Error(`the attestation of ${tag} is not SLSA provenance v1 in an in-toto Statement v1`);
  const hex = imageDesc.digest.replace(/^sha256:/, "");
  if (!statement.subject.some((s) => s.digest.sha256 === hex))
    throw new Error(`the provenance of ${tag} is about another image`);
  return { digest: imageDesc.digest, statement };
}
