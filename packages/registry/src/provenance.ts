import { type CallOptions, NotFoundError, type TraceContext, ValidationError } from "@modeltrail/core";
import { bytesSource } from "./blob-upload.js";
import { canonicalJson } from "./canonical-json.js";
import { sha256Digest, splitDigest } from "./digest.js";
import { type DsseEnvelope, type SigningKey, signDsse, type VerificationKey, verifyDsse } from "./dsse.js";
import type { Descriptor, ImageManifest } from "./manifest-schemas.js";
import { MediaType } from "./media-types.js";
import {
  formatReference,
  type ImageReference,
  parseReference,
  repositoryName,
  withReference,
} from "./reference.js";
import { referrersFallbackTag } from "./referrers.js";
import type { RegistryClient } from "./registry-client.js";

/** in-toto Statement v1. */
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
/** SLSA provenance v1 predicate type. */
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** The build type modeltrail's provenance declares. */
export const MODELTRAIL_BUILD_TYPE = "https://modeltrail.dev/buildModelImage/v1";
/** The annotation cosign puts on attestation layers (its value is empty for DSSE envelopes). */
export const COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

/** A SLSA v1 resource descriptor. */
export interface ResourceDescriptor {
  uri?: string;
  name?: string;
  digest?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** An in-toto Statement v1 with a SLSA provenance v1 predicate. */
export interface ProvenanceStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: Array<{ name: string; digest: Record<string, string> }>;
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown>;
      internalParameters?: Record<string, unknown>;
      resolvedDependencies: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string };
      metadata?: { invocationId?: string; startedOn?: string; finishedOn?: string };
    };
  };
}

/** What the provenance of a model image says. */
export interface ModelProvenanceInput {
  /** The image: repository (`registry/repo`) and manifest digest. */
  image: { repository: string; digest: string };
  /** The trace of the run (git commit and repository, model, CI). */
  ctx: TraceContext;
  /** The base image, when there was one. */
  base?: { name: string; digest: string } | undefined;
  /** The model layer's digest (and its uncompressed diff id). */
  modelLayer?: { digest: string; diffId?: string | undefined } | undefined;
  /** The builder id (default: derived from the CI context, else `https://modeltrail.dev/builder/local`). */
  builderId?: string | undefined;
  /** The invocation id (default: the CI run URL, else provider/run id/attempt). */
  invocationId?: string | undefined;
  /** Extra external parameters (tags, ...). */
  externalParameters?: Record<string, unknown> | undefined;
  /** Extra internal parameters (compression, SOURCE_DATE_EPOCH, ...). */
  internalParameters?: Record<string, unknown> | undefined;
}

/**
 * Builds the in-toto Statement v1 / SLSA provenance v1 of a model image: the subject is the manifest
 * digest; the resolved dependencies are the git commit (`gitCommit` digest, repository URI), the
 * base image digest and the model (its MLflow model version URI with the model layer digest); the
 * builder id and invocation id come from the CI context.
 * @throws ValidationError when the image digest is not a sha256 digest.
 */
export function modelProvenance(input: ModelProvenanceInput): ProvenanceStatement {
  const { algorithm, hex } = splitDigest(input.image.digest);
  if (algorithm !== "sha256") throw new ValidationError("Provenance subjects are sha256 manifest digests");
  const { ctx } = input;
  const deps: ResourceDescriptor[] = [];
  if (ctx.code?.gitSha) {
    deps.push({
      name: "source",
      uri: ctx.code.repoUrl
        ? `git+${ctx.code.repoUrl}${ctx.code.branch ? `@refs/heads/${ctx.code.branch}` : ""}`
        : undefined,
      digest: { gitCommit: ctx.code.gitSha },
    });
  }
  if (input.base) {
    const b = splitDigest(input.base.digest);
    deps.push({ name: "base-image", uri: input.base.name, digest: { [b.algorithm]: b.hex } });
  }
  if (ctx.model || input.modelLayer) {
    const modelUri =
      ctx.model?.uri ??
      (ctx.model?.name && ctx.model.version ? `models:/${ctx.model.name}/${ctx.model.version}` : undefined);
    deps.push({
      name: "model",
      ...(modelUri ? { uri: modelUri } : {}),
      ...(input.modelLayer ? { digest: { sha256: splitDigest(input.modelLayer.digest).hex } } : {}),
      annotations: {
        ...(ctx.model?.mlflowRunId ? { mlflowRunId: ctx.model.mlflowRunId } : {}),
        ...(input.modelLayer?.diffId ? { diffId: input.modelLayer.diffId } : {}),
      },
    });
  }
  const ci = ctx.ci;
  const builderId =
    input.builderId ??
    (ci?.provider && ci.provider !== "local"
      ? `https://modeltrail.dev/builder/${ci.provider}${ci.workflow ? `/${encodeURIComponent(ci.workflow)}` : ""}`
      : "https://modeltrail.dev/builder/local");
  const invocationId =
    input.invocationId ??
    ci?.runUrl ??
    (ci?.runId ? `${ci.provider ?? "ci"}/${ci.runId}${ci.runAttempt ? `/${ci.runAttempt}` : ""}` : undefined);
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: input.image.repository, digest: { sha256: hex } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: MODELTRAIL_BUILD_TYPE,
        externalParameters: {
          ...(ctx.job?.runId ? { jobRunId: ctx.job.runId } : {}),
          ...(ctx.job?.jobId ? { jobId: ctx.job.jobId } : {}),
          ...(ctx.model?.name ? { model: { name: ctx.model.name, version: ctx.model.version } } : {}),
          ...input.externalParameters,
        },
        ...(input.internalParameters ? { internalParameters: input.internalParameters } : {}),
        resolvedDependencies: deps.map((d) => JSON.parse(JSON.stringify(d)) as ResourceDescriptor),
      },
      runDetails: { builder: { id: builderId }, ...(invocationId ? { metadata: { invocationId } } : {}) },
    },
  };
}

/** Options of {@link attachProvenance}. */
export interface AttachProvenanceOptions extends CallOptions {
  /** Sign the statement into a DSSE envelope with this Ed25519 or ECDSA P-256 private key. */
  signingKey?: SigningKey | undefined;
  /** The `keyid` recorded in the signature (default empty, as cosign writes it). */
  keyId?: string | undefined;
  /** Also tag it `sha256-<hex>.att`, where `cosign verify-attestation` looks (default: when signed). */
  cosignTag?: boolean | undefined;
}

/** Where the attestation went. */
export interface AttachedProvenance {
  /** The referrer manifest's digest. */
  digest: string;
  /** How the registry indexes it: referrers API or the `sha256-<hex>` tag. */
  indexedBy: "api" | "tag-schema";
  /** The `.att` tag written for cosign, if any. */
  cosignTag?: string | undefined;
  artifactType: string;
}

/**
 * Annotations `attachProvenance` puts on an attestation manifest, naming its envelope layer (digest
 * and size). A referrers listing (the API or the fallback tag) copies a manifest's annotations, so a
 * reader can fetch the envelope without the manifest; the envelope is still checked against the
 * digest and size, and its signature and subject against the image.
 */
export const ATTESTATION_ANNOTATIONS = {
  envelopeDigest: "modeltrail.dev/envelope.digest",
  envelopeSize: "modeltrail.dev/envelope.size",
} as const;

/**
 * Attaches a provenance statement to an image (`ref` with a digest) as an OCI referrer: a manifest
 * whose `subject` is the image, `artifactType` the DSSE envelope (signed) or in-toto statement
 * (unsigned) type, one layer holding it; indexed by the referrers API or the tag fallback (so `oras
 * discover` lists it). When signed, it is laid out as cosign writes attestations (config with the
 * layer as diff id, the `dev.cosignproject.cosign/signature` and `predicateType` layer annotations)
 * and tagged `sha256-<hex>.att`; an existing `.att` of the image keeps its layers and gains ours, as
 * `cosign attest` does.
 * @throws ValidationError when `ref` has no digest; ConfigError for an unusable key; registry errors.
 */
export async function attachProvenance(
  client: RegistryClient,
  ref: string | ImageReference,
  statement: ProvenanceStatement,
  options: AttachProvenanceOptions = {},
): Promise<AttachedProvenance> {
  const image = typeof ref === "string" ? parseReference(ref, { defaultTag: "none" }) : ref;
  if (!image.digest)
    throw new ValidationError(`Provenance is attached to a digest; ${formatReference(image)} has none`);
  const { signingKey, keyId, cosignTag, ...call } = options;
  const subject = await client.headManifest(image, call);
  if (!subject)
    throw new NotFoundError({
      service: "oci-registry",
      status: 404,
      method: "HEAD",
      url: formatReference(image),
      message: `No image ${formatReference(image)} to attach provenance to`,
    });
  const statementBytes = canonicalJson(statement);
  const signed = signingKey !== undefined;
  const payload = signed
    ? canonicalJson(signDsse(MediaType.InTotoStatement, statementBytes, signingKey, keyId))
    : statementBytes;
  const layerType = signed ? MediaType.DsseEnvelope : MediaType.InTotoStatement;
  const layer: Descriptor = {
    mediaType: layerType,
    digest: sha256Digest(payload),
    size: payload.length,
    annotations: {
      ...(signed ? { [COSIGN_SIGNATURE_ANNOTATION]: "" } : {}),
      predicateType: statement.predicateType,
      "in-toto.io/predicate-type": statement.predicateType,
    },
  };
  const repo = withReference(image, { tag: null, digest: null });
  const configFor = (layers: Descriptor[]) =>
    canonicalJson({
      architecture: "",
      config: {},
      created: "0001-01-01T00:00:00Z",
      history: [{ created: "0001-01-01T00:00:00Z" }],
      os: "",
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    });
  const config = configFor([layer]);
  await client.uploadBlob(repo, bytesSource(payload), call);
  await client.uploadBlob(repo, bytesSource(config), call);
  const artifactType = layerType;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType,
    config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: image.digest, size: subject.size },
    annotations: {
      "org.opencontainers.image.created": "1970-01-01T00:00:00Z",
      // the referrers listing copies these: a reader fetches the envelope without this manifest
      [ATTESTATION_ANNOTATIONS.envelopeDigest]: layer.digest,
      [ATTESTATION_ANNOTATIONS.envelopeSize]: String(layer.size),
    },
  };
  const bytes = canonicalJson(manifest);
  const pushed = await client.pushReferrer(
    repo,
    {
      bytes,
      mediaType: MediaType.OciManifest,
      artifactType,
      annotations: manifest.annotations,
      subject: manifest.subject!,
    },
    call,
  );
  let tag: string | undefined;
  if (cosignTag ?? signed) {
    tag = `${referrersFallbackTag(image.digest)}.att`;
    const tagRef = withReference(repo, { tag });
    let existing: ImageManifest | undefined;
    try {
      const m = await client.getManifest(tagRef, call);
      if (m.kind === "image" && m.digest !== pushed.descriptor.digest) existing = m.manifest;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (existing && !existing.layers.some((l) => l.digest === layer.digest)) {
      const layers = [...existing.layers, layer];
      const merged = configFor(layers);
      await client.uploadBlob(repo, bytesSource(merged), call);
      const mergedManifest = {
        ...existing,
        config: { mediaType: MediaType.OciConfig, digest: sha256Digest(merged), size: merged.length },
        layers,
      };
      await client.putManifest(
        tagRef,
        { bytes: canonicalJson(mergedManifest), mediaType: MediaType.OciManifest },
        call,
      );
    } else if (!existing) {
      await client.putManifest(tagRef, { bytes, mediaType: MediaType.OciManifest }, call);
    }
  }
  return { digest: pushed.descriptor.digest, indexedBy: pushed.indexedBy, cosignTag: tag, artifactType };
}

/** A provenance statement that verified. */
export interface VerifiedProvenance {
  statement: ProvenanceStatement;
  /** The referrer (or `.att`) manifest it was read from. */
  from: string;
  /** The image digest it is about. */
  digest: string;
}

/**
 * Finds and verifies an image's provenance: among its referrers (and its cosign `.att` tag), a DSSE
 * envelope whose signature verifies with `publicKey`, holding an in-toto Statement v1 with a SLSA
 * provenance v1 predicate whose subject is the image's manifest digest.
 * @throws ValidationError saying why nothing verified (no attestation, bad signature, another
 *   subject, another statement type); NotFoundError when the image does not exist; registry errors.
 */
export async function verifyProvenance(
  client: RegistryClient,
  ref: string | ImageReference,
  publicKey: VerificationKey,
  options: CallOptions = {},
): Promise<VerifiedProvenance> {
  const parsed = typeof ref === "string" ? parseReference(ref) : ref;
  const desc = await client.headManifest(parsed, options);
  if (!desc)
    throw new NotFoundError({
      service: "oci-registry",
      status: 404,
      method: "HEAD",
      url: formatReference(parsed),
      message: `No image ${formatReference(parsed)}`,
    });
  const digest = desc.digest;
  const image = withReference(parsed, { digest, tag: null });
  const repo = withReference(image, { digest: null });
  const candidates: string[] = [];
  const { referrers } = await client.listReferrers(image, options);
  for (const r of referrers) if (r.artifactType === MediaType.DsseEnvelope) candidates.push(r.digest);
  const att = withReference(repo, { tag: `${referrersFallbackTag(digest)}.att` });
  if (await client.headManifest(att, options)) candidates.push(formatReference(att));
  const problems: string[] = [];
  for (const candidate of candidates) {
    const mref = candidate.startsWith("sha256:") ? withReference(repo, { digest: candidate }) : att;
    const m = await client.getManifest(mref, options);
    if (m.kind !== "image") continue;
    for (const layer of m.manifest.layers) {
      if (layer.mediaType !== MediaType.DsseEnvelope) continue;
      try {
        const envelope = JSON.parse(
          (await client.fetchBlob(repo, layer, { ...options, limit: 4 * 1024 * 1024 })).toString("utf8"),
        ) as DsseEnvelope;
        const payload = verifyDsse(envelope, publicKey);
        const statement = JSON.parse(payload.toString("utf8")) as ProvenanceStatement;
        if (statement._type !== IN_TOTO_STATEMENT_V1)
          throw new ValidationError(
            `statement type is ${String(statement._type)}, not ${IN_TOTO_STATEMENT_V1}`,
          );
        if (statement.predicateType !== SLSA_PROVENANCE_V1)
          throw new ValidationError(`predicate type is ${String(statement.predicateType)}`);
        const hex = splitDigest(digest).hex;
        if (!Array.isArray(statement.subject) || !statement.subject.some((s) => s?.digest?.sha256 === hex)) {
          throw new ValidationError(`its subject is not ${digest}`);
        }
        return { statement, from: formatReference(mref), digest };
      } catch (err) {
        problems.push(`${formatReference(mref)} layer ${layer.digest}: ${(err as Error).message}`);
      }
    }
  }
  throw new ValidationError(
    candidates.length === 0
      ? `${formatReference(image)} has no signed provenance (no DSSE referrer, no ${referrersFallbackTag(digest)}.att tag)`
      : `No provenance of ${formatReference(image)} verifies`,
    {
      issues: problems.map((p) => ({ path: repositoryName(image), message: p })),
      hint: "Check the public key, and that the attestation was made for this image",
    },
  );
}
