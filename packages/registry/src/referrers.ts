import { type CallOptions, NotFoundError, ValidationError } from "@modeltrail/core";
import { repositoryScope } from "./auth/token-flow.js";
import { canonicalJson } from "./canonical-json.js";
import { sha256Digest, splitDigest } from "./digest.js";
import { type Descriptor, type ImageIndex, MAX_MANIFEST_BYTES, parseManifest } from "./manifest-schemas.js";
import { getManifest, putManifest } from "./manifests.js";
import { MediaType } from "./media-types.js";
import { readLimited } from "./read-limited.js";
import { formatReference, type ImageReference, withReference } from "./reference.js";
import type { RegistryTransport } from "./registry-transport.js";

/** Options of a referrers listing. */
export interface ListReferrersOptions extends CallOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string | undefined;
}

/** The referrers of a manifest and where they were found. */
export interface Referrers {
  /** Descriptors of the referring manifests (with `artifactType` and `annotations`). */
  referrers: Descriptor[];
  /** `api`: the registry's referrers API; `tag-schema`: the `sha256-<hex>` fallback tag. */
  source: "api" | "tag-schema";
}

/** The tag of the referrers tag schema for a digest: `sha256:abc...` -> `sha256-abc...`. */
export function referrersFallbackTag(digest: string): string {
  const { algorithm, hex } = splitDigest(digest);
  return `${algorithm}-${hex}`;
}

/**
 * Lists the manifests whose `subject` is `ref` (which must have a digest), with the registry's
 * referrers API (`GET /v2/<name>/referrers/<digest>`), or, when the registry does not have it
 * (404), with the tag schema fallback (an image index under the tag `sha256-<hex>`).
 * @throws ValidationError when `ref` has no digest or an answer is malformed; transport errors.
 */
export async function listReferrers(
  t: RegistryTransport,
  ref: ImageReference,
  options: ListReferrersOptions = {},
): Promise<Referrers> {
  const { artifactType, ...call } = options;
  const digest = requireDigest(ref);
  const what = `referrers of ${formatReference(ref)}`;
  const filter = (list: Descriptor[]) =>
    artifactType ? list.filter((d) => d.artifactType === artifactType) : list;
  let url: URL | undefined = t.http.url(
    `/v2/${ref.repository}/referrers/${digest}`,
    artifactType ? { artifactType } : undefined,
  );
  const found: Descriptor[] = [];
  const seen = new Set<string>();
  // a registry known to have no referrers API: its fallback tag only (one request, not two)
  if (t.referrersApi === "missing")
    return { referrers: filter(await fallbackIndex(t, ref, digest, call)), source: "tag-schema" };
  for (let page = 0; url && page < 1000; page++) {
    seen.add(url.href);
    const res = await t.request({
      ...call,
      method: "GET",
      path: url.href,
      headers: { accept: MediaType.OciIndex, ...call.headers },
      scopes: [repositoryScope(ref.repository, "pull")],
      okStatuses: [404],
    });
    const type = res.headers["content-type"]?.split(";")[0]?.trim();
    if (res.status === 404 || type !== MediaType.OciIndex) {
      const body = await readLimited(res.body, 64 * 1024, what, undefined).catch(() => undefined);
      if (page > 0) throw new ValidationError(`The ${what} stopped answering in the middle of its pages`);
      // A registry with the API answers 200 (an empty index when nothing refers to the image); a 404
      // that is a registry error (an unknown repository) says nothing about the API.
      if (!isRegistryError(body)) t.referrersApi = "missing";
      return { referrers: filter(await fallbackIndex(t, ref, digest, call)), source: "tag-schema" };
    }
    t.referrersApi = "present";
    const bytes = await readLimited(res.body, MAX_MANIFEST_BYTES, what, res.headers["content-length"]);
    const parsed = parseManifest(bytes, MediaType.OciIndex, what);
    if (parsed.kind !== "index") throw new ValidationError(`The ${what} is not an image index`);
    found.push(...parsed.manifest.manifests);
    const next = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(res.headers.link ?? "")?.[1];
    url = next ? new URL(next, url) : undefined;
    if (url && (url.origin !== t.http.baseUrl.origin || seen.has(url.href))) {
      throw new ValidationError(`The ${what} has a next link that leaves the registry or loops`);
    }
  }
  return { referrers: filter(found), source: "api" };
}

/** True for an OCI error body (`{"errors": [{"code": ...}]}`), as a registry answers for what it does not have. */
function isRegistryError(body: Buffer | undefined): boolean {
  if (!body || body.length === 0) return false;
  try {
    const json = JSON.parse(body.toString("utf8")) as { errors?: unknown };
    return (
      Array.isArray(json.errors) &&
      json.errors.some((e) => typeof (e as { code?: unknown })?.code === "string")
    );
  } catch {
    return false;
  }
}

async function fallbackIndex(
  t: RegistryTransport,
  ref: ImageReference,
  digest: string,
  call: CallOptions,
): Promise<Descriptor[]> {
  try {
    const m = await getManifest(
      t,
      withReference(ref, { tag: referrersFallbackTag(digest), digest: null }),
      call,
    );
    if (m.kind !== "index") {
      throw new ValidationError(
        `The referrers fallback tag ${referrersFallbackTag(digest)} of ${ref.repository} is not an image index`,
      );
    }
    return m.manifest.manifests;
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
}

/** A referrer manifest to push: its bytes, media type and the manifest's `subject`. */
export interface ReferrerManifest {
  bytes: Uint8Array;
  mediaType: string;
  /** The manifest's `artifactType` (or its config media type), recorded in the fallback index. */
  artifactType: string;
  /** The manifest's annotations, recorded in the fallback index. */
  annotations?: Record<string, string> | undefined;
  /** The manifest it refers to. */
  subject: Descriptor;
}

/**
 * Pushes a manifest that has a `subject` (an attestation, a signature, an SBOM). When the registry
 * indexes it itself (it answers with `OCI-Subject`), that is all; otherwise the manifest is added
 * to the image index under the tag schema's `sha256-<hex>` tag (read, add, write; an entry already
 * there is not added twice). Returns the referrer's descriptor and how it is indexed.
 * @throws ApiErrors and transport errors of the pushes.
 */
export async function pushReferrer(
  t: RegistryTransport,
  repo: ImageReference,
  referrer: ReferrerManifest,
  options: CallOptions = {},
): Promise<{ descriptor: Descriptor; indexedBy: "api" | "tag-schema" }> {
  const { digest, subjectIndexed } = await putManifest(
    t,
    withReference(repo, { tag: null, digest: sha256Digest(referrer.bytes) }),
    referrer,
    options,
  );
  const descriptor: Descriptor = {
    mediaType: referrer.mediaType,
    digest,
    size: referrer.bytes.length,
    artifactType: referrer.artifactType,
    ...(referrer.annotations && Object.keys(referrer.annotations).length > 0
      ? { annotations: referrer.annotations }
      : {}),
  };
  if (subjectIndexed) {
    t.referrersApi = "present";
    return { descriptor, indexedBy: "api" };
  }
  const tagRef = withReference(repo, { tag: referrersFallbackTag(referrer.subject.digest), digest: null });
  const current = await fallbackIndex(t, tagRef, referrer.subject.digest, options);
  if (current.some((d) => d.digest === digest)) return { descriptor, indexedBy: "tag-schema" };
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [...current, descriptor],
  };
  await putManifest(t, tagRef, { bytes: canonicalJson(index), mediaType: MediaType.OciIndex }, options);
  return { descriptor, indexedBy: "tag-schema" };
}

function requireDigest(ref: ImageReference): string {
  if (!ref.digest) {
    throw new ValidationError(`Referrers are listed for a digest; ${formatReference(ref)} has none`, {
      hint: "Resolve the tag to its digest first (headManifest) or pass name@sha256:...",
    });
  }
  return ref.digest;
}
