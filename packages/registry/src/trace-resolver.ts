import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import {
  type ArtifactFileRecord,
  type ImageRecord,
  NotFoundError,
  type ProvenanceRecord,
  type TraceConventions,
  type TraceLookupOptions,
  type TraceQuery,
  type TraceResolver,
  ValidationError,
} from "@modeltrail/core";
import { pickCallOptions } from "@modeltrail/core/internal";
import { Parser, type ReadEntry } from "tar";
import { type DsseEnvelope, type VerificationKey, verifyDsse } from "./dsse.js";
import { findImageForRun, listTraceableImages } from "./find-image.js";
import { IMAGE_ANNOTATIONS } from "./image-builder.js";
import type { Descriptor, ImageConfig, ImageManifest } from "./manifest-schemas.js";
import { LAYER_COMPRESSION, MediaType } from "./media-types.js";
import {
  ATTESTATION_ANNOTATIONS,
  IN_TOTO_STATEMENT_V1,
  type ProvenanceStatement,
  SLSA_PROVENANCE_V1,
} from "./provenance.js";
import { formatReference, type ImageReference, parseReference, withReference } from "./reference.js";
import type { RegistryClient } from "./registry-client.js";

/** Options of {@link registryTraceResolver}. */
export interface RegistryTraceResolverOptions {
  /**
   * The repositories to search for an image by bare digest, run id or commit
   * (`myacr.azurecr.io/models/churn`). An image given by a full reference is read wherever it is.
   */
  repositories?: readonly string[] | undefined;
  /** The key provenance signatures are verified with; without it, `verified` is left unset. */
  publicKey?: VerificationKey | undefined;
  /** Where the model is in the image (default `/opt/model`, as `buildModelImage` puts it). */
  modelPath?: string | undefined;
  /** The most bytes of model layer read by `getImageModelFiles` (default 64 GiB). */
  maxLayerBytes?: number | undefined;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Largest provenance envelope read. */
const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;

/** A manifest as a walk keeps it. */
interface ResolvedManifest {
  byDigest: ImageReference;
  digest: string;
  manifest: ImageManifest;
  mediaType: string;
}

/**
 * The registry part of `trace()` and `verify()`: an image's manifest annotations, config (env
 * variables the conventions name, labels, os, architecture, created), layers with their roles, and
 * its provenance attestations (SLSA v1 in DSSE, found as referrers; verified when a public key is
 * given); images of a run or a commit in the given repositories; the files of the model layer with
 * their sha256 digests (streamed, nothing written to disk). Pass it to
 * `trace(handle, { resolvers: [...] })`. Throws ValidationError for a bad repository or option.
 */
export function registryTraceResolver(
  client: RegistryClient,
  options: RegistryTraceResolverOptions = {},
): TraceResolver {
  const repos = (options.repositories ?? []).map((r) =>
    withReference(parseReference(r, { defaultTag: "none" }), { tag: null, digest: null }),
  );
  const modelRoot = (options.modelPath ?? "/opt/model").replace(/^\/+|\/+$/g, "");
  const maxLayerBytes = options.maxLayerBytes ?? 64 * 1024 ** 3;
  if (!Number.isSafeInteger(maxLayerBytes) || maxLayerBytes < 1)
    throw new ValidationError("Invalid registryTraceResolver options", {
      issues: [{ path: "maxLayerBytes", message: "must be a positive whole number" }],
    });

  /**
   * The manifest of an image (an index resolved to this platform's image), fetched once per walk:
   * kept in the walk's cache under its digest (and under the digest asked for).
   */
  async function manifestOf(ref: ImageReference, o: TraceLookupOptions): Promise<ResolvedManifest> {
    const repoKey = `${ref.registry}/${ref.repository}`;
    const load = async (): Promise<ResolvedManifest> => {
      const resolved = await client.resolveImage(ref, pickCallOptions(o));
      const digest = resolved.ref.digest as string;
      return {
        byDigest: withReference(resolved.ref, { tag: null, digest }),
        digest,
        manifest: resolved.manifest.manifest as ImageManifest,
        mediaType: resolved.manifest.mediaType,
      };
    };
    if (!ref.digest) {
      const got = await load();
      o.walkCache?.set(`registry:manifest:${repoKey}@${got.digest}`, Promise.resolve(got));
      return got;
    }
    return walkMemo(o, `registry:manifest:${repoKey}@${ref.digest}`, load);
  }

  async function read(ref: ImageReference, o: TraceLookupOptions, tags?: string[]): Promise<ImageRecord> {
    const m = await manifestOf(ref, o);
    // the rest of the record (config, provenance) depends on the digest only: read once per walk
    const record = await walkMemo(
      o,
      `registry:image:${m.byDigest.registry}/${m.byDigest.repository}@${m.digest}`,
      () => readByDigest(m, o),
    );
    const allTags = [
      ...new Set([...(record.tags ?? []), ...(tags ?? []), ...(ref.tag ? [ref.tag] : [])]),
    ].sort();
    return compact({ ...record, tags: allTags.length > 0 ? allTags : undefined });
  }

  async function readByDigest(m: ResolvedManifest, o: TraceLookupOptions): Promise<ImageRecord> {
    const call = pickCallOptions(o);
    const { manifest, digest, byDigest } = m;
    const [config, provenance] = await Promise.all([
      client.getConfig(byDigest, manifest, call),
      provenanceOf(client, byDigest, options.publicKey, call),
    ]);
    return compact({
      ref: formatReference(byDigest),
      digest,
      repository: `${byDigest.registry}/${byDigest.repository}`,
      mediaType: m.mediaType,
      ...imageContents(manifest, config, o.conventions),
      provenance,
    });
  }

  async function byDigest(digest: string, o: TraceLookupOptions): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const repo of repos) {
      try {
        out.push(await read(withReference(repo, { digest }), o));
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return out;
  }

  return {
    system: "registry",
    location: repos.length > 0 ? repos.map((r) => `${r.registry}/${r.repository}`).join(", ") : undefined,

    async getImage(ref, o) {
      if (DIGEST.test(ref)) return (await byDigest(ref, o))[0];
      let parsed: ImageReference;
      try {
        parsed = parseReference(ref);
      } catch (err) {
        if (err instanceof ValidationError) return undefined;
        throw err;
      }
      try {
        return await read(parsed, o);
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    },

    async findImages(query: TraceQuery, o) {
      if (query.imageDigest) return byDigest(query.imageDigest, o);
      const call = { ...pickCallOptions(o), conventions: o.conventions };
      const out: ImageRecord[] = [];
      for (const repo of repos) {
        const runId = query.jobRunId ?? query.mlflowRunId;
        if (runId) {
          const found = await findImageForRun(client, repo, runId, call);
          if (found) out.push(await read(withReference(repo, { digest: found.digest }), o, found.tags));
        } else if (query.gitSha) {
          const images = await listTraceableImages(client, repo, call);
          for (const img of images.filter((i) => i.context.code?.gitSha === query.gitSha))
            out.push(await read(withReference(repo, { digest: img.digest }), o, img.tags));
        }
      }
      return out;
    },

    async getImageModelFiles(ref, o) {
      const call = pickCallOptions(o);
      let parsed: ImageReference;
      try {
        parsed = DIGEST.test(ref)
          ? withReference(repos[0] ?? parseReference(ref), { digest: ref })
          : parseReference(ref);
      } catch (err) {
        if (err instanceof ValidationError) return undefined;
        throw err;
      }
      let manifest: ImageManifest;
      try {
        manifest = (await manifestOf(parsed, o)).manifest;
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      const layer = manifest.layers.find((l) => l.annotations?.[IMAGE_ANNOTATIONS.layerRole] === "model");
      if (!layer) return undefined;
      if (layer.size > maxLayerBytes)
        throw new ValidationError(
          `The model layer of ${ref} is ${layer.size} bytes, more than maxLayerBytes`,
          {
            hint: 'Raise maxLayerBytes, or verify with artifacts: "sizes"',
          },
        );
      const stream = await client.openBlob(parsed, layer, call);
      return hashLayer(stream, layer, modelRoot);
    },
  };
}

/** The env names a record keeps: those the conventions define (never any other: they may be secrets). */
function envNames(c: TraceConventions): Set<string> {
  const names = new Set<string>();
  for (const list of Object.values(c.env.fields)) for (const n of list) names.add(n);
  for (const n of [c.env.runId, c.env.runtime, c.env.data, c.env.extra, c.env.schemaVersion])
    if (n) names.add(n);
  return names;
}

/**
 * What an image record holds from its manifest and config, wherever the image was read (a registry or an
 * OCI layout): annotations, the config's trace env (only the names the conventions define), labels and
 * platform, and the layers with their roles.
 */
export function imageContents(
  manifest: ImageManifest,
  config: ImageConfig,
  conventions: TraceConventions,
): Pick<ImageRecord, "annotations" | "config" | "layers"> {
  const env: Record<string, string> = {};
  const wanted = envNames(conventions);
  for (const line of config.config?.Env ?? []) {
    const eq = line.indexOf("=");
    const name = eq === -1 ? line : line.slice(0, eq);
    if (wanted.has(name)) env[name] = line.slice(eq + 1);
  }
  return {
    annotations: { ...(manifest.annotations ?? {}) },
    config: compact({
      env,
      labels: { ...(config.config?.Labels ?? {}) },
      os: config.os,
      architecture: config.architecture,
      created: config.created,
    }),
    layers: manifest.layers.map((l) =>
      compact({
        digest: l.digest,
        size: l.size,
        mediaType: l.mediaType,
        role: l.annotations?.[IMAGE_ANNOTATIONS.layerRole],
      }),
    ),
  };
}

/** The envelope an attestation manifest names in its annotations (see `ATTESTATION_ANNOTATIONS`), if it does. */
function envelopeOf(referrer: Descriptor): Descriptor | undefined {
  const a = referrer.annotations ?? {};
  const digest = a[ATTESTATION_ANNOTATIONS.envelopeDigest];
  const size = Number(a[ATTESTATION_ANNOTATIONS.envelopeSize]);
  if (!digest || !DIGEST.test(digest) || !Number.isSafeInteger(size) || size < 0 || size > MAX_ENVELOPE_BYTES)
    return undefined;
  return { mediaType: MediaType.DsseEnvelope, digest, size };
}

/** A result kept for the rest of the walk (`TraceLookupOptions.walkCache`); a failure is not kept. */
function walkMemo<T>(o: TraceLookupOptions, key: string, load: () => Promise<T>): Promise<T> {
  const cache = o.walkCache;
  if (!cache) return load();
  const hit = cache.get(key) as Promise<T> | undefined;
  if (hit) return hit;
  const pending = load();
  cache.set(key, pending);
  pending.catch(() => {
    if (cache.get(key) === pending) cache.delete(key);
  });
  return pending;
}

/** The provenance attestations among an image's referrers, decoded (and verified when a key is given). */
async function provenanceOf(
  client: RegistryClient,
  image: ImageReference,
  publicKey: VerificationKey | undefined,
  call: ReturnType<typeof pickCallOptions>,
): Promise<ProvenanceRecord[]> {
  const repo = withReference(image, { digest: null, tag: null });
  const { referrers } = await client.listReferrers(image, call);
  const out: ProvenanceRecord[] = [];
  for (const r of referrers) {
    if (r.artifactType !== MediaType.DsseEnvelope) continue;
    // attachProvenance names the envelope on the attestation manifest (the referrers listing copies
    // its annotations): read the envelope straight away, checked against that digest and size
    const envelope = envelopeOf(r);
    if (envelope) {
      try {
        out.push(
          await decodeAttestation(client, repo, r.digest, envelope, image.digest as string, publicKey, call),
        );
        continue;
      } catch (err) {
        // an annotation that names no such blob, or lies about its size: read the manifest instead
        if (!(err instanceof ValidationError) && !(err instanceof NotFoundError)) throw err;
      }
    }
    const m = await client.getManifest(withReference(repo, { digest: r.digest }), call);
    if (m.kind !== "image") continue;
    for (const layer of (m.manifest as ImageManifest).layers) {
      if (layer.mediaType !== MediaType.DsseEnvelope) continue;
      out.push(
        await decodeAttestation(client, repo, r.digest, layer, image.digest as string, publicKey, call),
      );
    }
  }
  return out;
}

async function decodeAttestation(
  client: RegistryClient,
  repo: ImageReference,
  manifestDigest: string,
  layer: Descriptor,
  imageDigest: string,
  publicKey: VerificationKey | undefined,
  call: ReturnType<typeof pickCallOptions>,
): Promise<ProvenanceRecord> {
  const bytes = await client.fetchBlob(repo, layer, { ...call, limit: MAX_ENVELOPE_BYTES });
  return attestationRecord(bytes, manifestDigest, imageDigest, publicKey);
}

/**
 * Decodes a DSSE envelope holding a SLSA provenance statement about `imageDigest` into a record,
 * verifying it when a key is given (a failed verification is recorded, not thrown).
 */
export function attestationRecord(
  bytes: Uint8Array,
  manifestDigest: string,
  imageDigest: string,
  publicKey: VerificationKey | undefined,
): ProvenanceRecord {
  let envelope: DsseEnvelope;
  try {
    envelope = JSON.parse(Buffer.from(bytes).toString("utf8")) as DsseEnvelope;
  } catch {
    return {
      digest: manifestDigest,
      signed: false,
      subjectDigests: [],
      verified: publicKey ? false : undefined,
      verifyError: publicKey ? "the envelope is not JSON" : undefined,
    };
  }
  const signed = Array.isArray(envelope.signatures) && envelope.signatures.length > 0;
  let statement: ProvenanceStatement | undefined;
  try {
    statement = JSON.parse(
      Buffer.from(envelope.payload ?? "", "base64").toString("utf8"),
    ) as ProvenanceStatement;
  } catch {
    statement = undefined;
  }
  let verified: boolean | undefined;
  let verifyError: string | undefined;
  if (publicKey) {
    try {
      verifyDsse(envelope, publicKey);
      const hex = imageDigest.slice("sha256:".length);
      if (statement?._type !== IN_TOTO_STATEMENT_V1)
        throw new ValidationError(`statement type is not ${IN_TOTO_STATEMENT_V1}`);
      if (statement.predicateType !== SLSA_PROVENANCE_V1)
        throw new ValidationError(`predicate type is not ${SLSA_PROVENANCE_V1}`);
      if (!statement.subject?.some((s) => s?.digest?.sha256 === hex))
        throw new ValidationError(`its subject is not ${imageDigest}`);
      verified = true;
    } catch (err) {
      verified = false;
      verifyError = (err as Error).message;
    }
  }
  // biome-ignore lint/suspicious/noExplicitAny: the predicate is arbitrary JSON, read defensively
  const predicate = (statement?.predicate ?? {}) as any;
  const deps: Array<Record<string, unknown>> = Array.isArray(predicate?.buildDefinition?.resolvedDependencies)
    ? predicate.buildDefinition.resolvedDependencies
    : [];
  const gitDep = deps.find((d) => typeof (d.digest as Record<string, unknown>)?.gitCommit === "string");
  const modelDep = deps.find(
    (d) => d.name === "model" || (typeof d.uri === "string" && String(d.uri).startsWith("models:/")),
  );
  const baseDep = deps.find((d) => d.name === "base-image");
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const sha = (d: Record<string, unknown> | undefined) => {
    const h = str((d?.digest as Record<string, unknown> | undefined)?.sha256);
    return h ? `sha256:${h}` : undefined;
  };
  return compact({
    digest: manifestDigest,
    predicateType: str(statement?.predicateType),
    signed,
    verified,
    verifyError,
    subjectDigests: (statement?.subject ?? [])
      .map((s) => str(s?.digest?.sha256))
      .filter((x): x is string => !!x)
      .map((h) => `sha256:${h}`),
    gitCommit: str((gitDep?.digest as Record<string, unknown> | undefined)?.gitCommit),
    repository: str(gitDep?.uri),
    modelUri: str(modelDep?.uri),
    modelLayerDigest: sha(modelDep),
    baseImageDigest: sha(baseDep),
    builderId: str(predicate?.runDetails?.builder?.id),
    invocationId: str(predicate?.runDetails?.metadata?.invocationId),
  });
}

/** Streams a model layer and hashes each regular file below the model root. */
export async function hashLayer(
  stream: Readable,
  layer: Descriptor,
  root: string,
): Promise<ArtifactFileRecord[]> {
  const compression = LAYER_COMPRESSION[layer.mediaType];
  if (compression === undefined || compression === "zstd")
    throw new ValidationError(
      `The model layer ${layer.digest} (${layer.mediaType}) is not a tar or tar+gzip layer`,
    );
  const files: ArtifactFileRecord[] = [];
  const prefix = root === "" ? "" : `${root}/`;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^\.\//, "");
      if (entry.type !== "File" || !path.startsWith(prefix)) {
        entry.resume();
        return;
      }
      const hash = createHash("sha256");
      let size = 0;
      entry.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      entry.on("end", () =>
        files.push({ path: path.slice(prefix.length), size, digest: `sha256:${hash.digest("hex")}` }),
      );
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on("end", () => resolve());
    parser.on("error", reject);
  });
  const stages: NodeJS.ReadWriteStream[] = compression === "gzip" ? [createGunzip()] : [];
  await pipeline(stream, ...(stages as []), parser as unknown as NodeJS.WritableStream);
  await done;
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
