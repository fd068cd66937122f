import { type CallOptions, NotFoundError, ValidationError } from "@modeltrail/core";
import { repositoryScope } from "./auth/token-flow.js";
import { digestMismatch, isDigest, sha256Digest, splitDigest, verifyBytes } from "./digest.js";
import {
  type Descriptor,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  parseManifest,
} from "./manifest-schemas.js";
import { MANIFEST_ACCEPT } from "./media-types.js";
import { readLimited } from "./read-limited.js";
import { formatReference, type ImageReference } from "./reference.js";
import type { RegistryTransport } from "./registry-transport.js";

/** A manifest as fetched: its exact bytes, digest, media type and parsed form. */
export type FetchedManifest = ParsedManifest & {
  /** The digest of `bytes` (`sha256:...`). */
  digest: string;
  /** The exact bytes; the digest is over them. */
  bytes: Uint8Array;
  /** A descriptor of this manifest. */
  descriptor: Descriptor;
};

/** The target of a manifest operation: the tag or digest of a reference, digest first. */
export function manifestTarget(ref: ImageReference): string {
  const target = ref.digest ?? ref.tag;
  if (!target) {
    throw new ValidationError(`The reference ${formatReference(ref)} names no tag or digest`, {
      hint: "Add :tag or @sha256:... to the reference",
    });
  }
  return target;
}

/**
 * GETs a manifest (OCI or Docker, image or index) by tag or digest, reading at most 4 MiB. The
 * bytes are checked against the reference's digest, or against `Docker-Content-Digest` for a tag.
 * @throws NotFoundError when there is no such manifest; ValidationError when the content does
 *   not match its digest or is not a manifest; other ApiErrors, NetworkError, TimeoutError.
 */
export async function getManifest(
  t: RegistryTransport,
  ref: ImageReference,
  options: CallOptions = {},
): Promise<FetchedManifest> {
  const target = manifestTarget(ref);
  const what = `manifest ${formatReference(ref)}`;
  const res = await t.request({
    ...options,
    method: "GET",
    path: `/v2/${ref.repository}/manifests/${target}`,
    headers: { accept: MANIFEST_ACCEPT.join(", "), ...options.headers },
    scopes: [repositoryScope(ref.repository, "pull")],
  });
  const bytes = await readLimited(res.body, MAX_MANIFEST_BYTES, what, res.headers["content-length"]);
  const declared = res.headers["docker-content-digest"];
  let digest: string;
  if (ref.digest) {
    verifyBytes(bytes, { digest: ref.digest }, what);
    digest = ref.digest;
  } else if (declared && isDigest(declared)) {
    const { algorithm } = splitDigest(declared);
    verifyBytes(bytes, { digest: declared }, what);
    digest = algorithm === "sha256" ? declared : sha256Digest(bytes);
  } else {
    digest = sha256Digest(bytes);
  }
  const parsed = parseManifest(bytes, res.headers["content-type"], what);
  return {
    ...parsed,
    digest,
    bytes,
    descriptor: { mediaType: parsed.mediaType, digest, size: bytes.length },
  };
}

/**
 * HEADs a manifest: its digest, media type and size, or undefined when it does not exist.
 * Falls back to a GET when the registry sends no `Docker-Content-Digest` on HEAD.
 */
export async function headManifest(
  t: RegistryTransport,
  ref: ImageReference,
  options: CallOptions = {},
): Promise<Descriptor | undefined> {
  const target = manifestTarget(ref);
  const res = await t.request({
    ...options,
    method: "HEAD",
    path: `/v2/${ref.repository}/manifests/${target}`,
    headers: { accept: MANIFEST_ACCEPT.join(", "), ...options.headers },
    scopes: [repositoryScope(ref.repository, "pull")],
    okStatuses: [404],
  });
  await res.dump();
  if (res.status === 404) return undefined;
  const digest = res.headers["docker-content-digest"];
  const size = Number(res.headers["content-length"]);
  const mediaType = res.headers["content-type"]?.split(";")[0]?.trim();
  if (
    digest &&
    isDigest(digest) &&
    (!ref.digest || digest === ref.digest) &&
    Number.isSafeInteger(size) &&
    mediaType
  ) {
    return { mediaType, digest, size };
  }
  try {
    return (await getManifest(t, ref, options)).descriptor;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** A manifest to put: its exact bytes and media type. */
export interface ManifestUpload {
  bytes: Uint8Array;
  mediaType: string;
}

/**
 * PUTs a manifest under a tag or its digest. The registry's `Docker-Content-Digest` answer must
 * match the bytes. Returns the manifest's digest and whether the registry reported an
 * `OCI-Subject` (it indexes referrers itself).
 * @throws ValidationError when the manifest is too large or the registry reports another digest;
 *   ApiErrors (400 MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, ...), NetworkError, TimeoutError.
 */
export async function putManifest(
  t: RegistryTransport,
  ref: ImageReference,
  manifest: ManifestUpload,
  options: CallOptions = {},
): Promise<{ digest: string; subjectIndexed: boolean }> {
  const what = `manifest for ${formatReference(ref)}`;
  if (manifest.bytes.length > MAX_MANIFEST_BYTES) {
    throw new ValidationError(
      `The ${what} is ${manifest.bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES}-byte limit`,
    );
  }
  const digest = sha256Digest(manifest.bytes);
  if (ref.digest && ref.digest !== digest) throw digestMismatch(what, ref.digest, digest);
  const target = ref.digest ?? manifestTarget(ref);
  const res = await t.request({
    ...options,
    method: "PUT",
    path: `/v2/${ref.repository}/manifests/${target}`,
    headers: { ...options.headers, "content-type": manifest.mediaType },
    body: manifest.bytes,
    scopes: [repositoryScope(ref.repository, "pull,push")],
  });
  await res.dump();
  const reported = res.headers["docker-content-digest"];
  if (reported && isDigest(reported) && splitDigest(reported).algorithm === "sha256" && reported !== digest) {
    throw new ValidationError(`The registry stored the ${what} under ${reported}, not its digest ${digest}`, {
      hint: "The registry rewrote the manifest; push it by digest to a registry that stores manifests verbatim",
    });
  }
  return { digest, subjectIndexed: res.headers["oci-subject"] !== undefined };
}

/**
 * Deletes a manifest. A tag is first resolved to its digest (registries delete by digest); all
 * tags pointing at it go with it. Returns false when it did not exist.
 * @throws ApiError 405 UNSUPPORTED when the registry does not allow deletes, and transport errors.
 */
export async function deleteManifest(
  t: RegistryTransport,
  ref: ImageReference,
  options: CallOptions = {},
): Promise<boolean> {
  let digest = ref.digest;
  if (!digest) {
    const found = await headManifest(t, ref, options);
    if (!found) return false;
    digest = found.digest;
  }
  const res = await t.request({
    ...options,
    method: "DELETE",
    path: `/v2/${ref.repository}/manifests/${digest}`,
    scopes: [repositoryScope(ref.repository, "delete")],
    okStatuses: [404],
  });
  await res.dump();
  return res.status !== 404;
}
