import type { Readable } from "node:stream";
import type { CallOptions, DebugLogger, RetryOptions } from "@modeltrail/core";
import { ValidationError } from "@modeltrail/core";
import type { Dispatcher } from "undici";
import { dockerConfigCredentials } from "./auth/docker-config.js";
import type { RegistryCredentialSource } from "./auth/registry-credentials.js";
import {
  type BlobDescriptor,
  type BlobDownloadOptions,
  blobSize,
  downloadBlob,
  fetchBlob,
  openBlob,
} from "./blob-download.js";
import {
  type BlobSource,
  type BlobUploadOptions,
  type BlobUploadResult,
  mountBlob,
  uploadBlob,
} from "./blob-upload.js";
import type { Descriptor } from "./manifest-schemas.js";
import { type ImageConfig, type ImageManifest, parseImageConfig } from "./manifest-schemas.js";
import {
  deleteManifest,
  type FetchedManifest,
  getManifest,
  headManifest,
  type ManifestUpload,
  putManifest,
} from "./manifests.js";
import { currentPlatform, type PlatformSpec, selectPlatform } from "./platform.js";
import {
  formatReference,
  type ImageReference,
  normalizeRegistry,
  parseReference,
  withReference,
} from "./reference.js";
import {
  type ListReferrersOptions,
  listReferrers,
  pushReferrer,
  type ReferrerManifest,
  type Referrers,
} from "./referrers.js";
import { RegistryTransport } from "./registry-transport.js";
import { type ListTagsOptions, listRepositories, listTags } from "./tags.js";

/** Options of a {@link RegistryClient}. */
export interface RegistryClientOptions {
  /**
   * Where credentials come from, per registry host (default: `dockerConfigCredentials()`, i.e.
   * `DOCKER_CONFIG` or `~/.docker/config.json` with its credential helpers). Combine sources with
   * `chainCredentials`; `anonymousCredentials` sends none.
   */
  credentials?: RegistryCredentialSource | undefined;
  /**
   * Use plain http instead of https: `true` for every registry, a function deciding per host.
   * Default: plain http only for loopback registries (`localhost`, `127.x`, `[::1]`).
   */
  plainHttp?: boolean | ((registry: string) => boolean) | undefined;
  /** undici dispatcher shared by every registry host (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
  /** Timeout of one attempt in ms (until headers and between body chunks; default 30 000). */
  timeoutMs?: number | undefined;
  /** Retry policy of idempotent requests. */
  retry?: Partial<RetryOptions> | undefined;
  /** Receives redacted debug events. */
  logger?: DebugLogger | undefined;
  /** Product token appended to the user agent. */
  userAgent?: string | undefined;
  /** TLS: skip certificate verification. */
  insecureTls?: boolean | undefined;
  /** TLS: PEM CA bundle to trust. */
  ca?: string | Buffer | undefined;
  /** Clock in ms since the epoch for token expiry (default `Date.now`). */
  clock?: (() => number) | undefined;
}

/** An image resolved to one platform's manifest. */
export interface ResolvedImage {
  /** The reference, with the digest of the image manifest. */
  ref: ImageReference;
  /** The image manifest (after platform selection). */
  manifest: FetchedManifest & { kind: "image"; manifest: ImageManifest };
  /** The index it was selected from, when the reference named an index. */
  index?: FetchedManifest | undefined;
}

/** A reference argument: a string such as `registry.example.com/models/churn:1234`, or a parsed reference. */
export type ReferenceInput = string | ImageReference;

/**
 * A client for OCI distribution registries (ACR, distribution, Harbor, ...). One client serves
 * every registry host a reference names, each with its own connection pool and token cache;
 * credentials are looked up for, and sent to, only the host they belong to. Every method takes
 * core's CallOptions (signal, timeoutMs, deadlineMs, retry, headers) last.
 */
export class RegistryClient {
  private readonly transports = new Map<string, RegistryTransport>();
  private readonly options: RegistryClientOptions;
  private readonly credentials: RegistryCredentialSource;

  /** Creates a client. Nothing is read or sent until the first call. */
  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.credentials = options.credentials ?? dockerConfigCredentials();
  }

  /** The transport of one registry host (created on first use). */
  transport(registry: string): RegistryTransport {
    const host = normalizeRegistry(registry);
    let t = this.transports.get(host);
    if (!t) {
      t = new RegistryTransport(host, { ...this.options, credentials: this.credentials });
      this.transports.set(host, t);
    }
    return t;
  }

  private t(ref: ImageReference): RegistryTransport {
    return this.transport(ref.registry);
  }

  /**
   * GETs a manifest (image or index, OCI or Docker) by tag or digest, verified against its digest.
   * @throws NotFoundError, ValidationError (digest mismatch, not a manifest), ApiError, transport errors.
   */
  getManifest(ref: ReferenceInput, options?: CallOptions): Promise<FetchedManifest> {
    const r = parseRef(ref, "latest");
    return getManifest(this.t(r), r, options);
  }

  /** HEADs a manifest: its descriptor, or undefined when there is none. Throws transport and ApiErrors. */
  headManifest(ref: ReferenceInput, options?: CallOptions): Promise<Descriptor | undefined> {
    const r = parseRef(ref, "latest");
    return headManifest(this.t(r), r, options);
  }

  /**
   * PUTs a manifest by the reference's tag, or by its digest. Returns the manifest digest.
   * @throws ValidationError (too large, digest disagreement), ApiError (e.g. MANIFEST_BLOB_UNKNOWN), transport errors.
   */
  async putManifest(ref: ReferenceInput, manifest: ManifestUpload, options?: CallOptions): Promise<string> {
    const r = parseRef(ref, "none");
    return (await putManifest(this.t(r), r, manifest, options)).digest;
  }

  /** Deletes a manifest (by digest; a tag is resolved first). Returns false when it did not exist. */
  deleteManifest(ref: ReferenceInput, options?: CallOptions): Promise<boolean> {
    const r = parseRef(ref, "latest");
    return deleteManifest(this.t(r), r, options);
  }

  /**
   * Resolves a reference to one image manifest: an index (OCI index or Docker manifest list) is
   * narrowed to the manifest of `platform` (default: this process's platform, e.g. linux/amd64).
   * @throws NotFoundError when the image or the platform does not exist, plus getManifest's errors.
   */
  async resolveImage(
    ref: ReferenceInput,
    options: CallOptions & { platform?: PlatformSpec | undefined } = {},
  ): Promise<ResolvedImage> {
    const { platform, ...call } = options;
    const r = parseRef(ref, "latest");
    const first = await getManifest(this.t(r), r, call);
    if (first.kind === "image")
      return {
        ref: withReference(r, { digest: first.digest }),
        manifest: first as ResolvedImage["manifest"],
      };
    const chosen = selectPlatform(first.manifest, platform ?? currentPlatform(), formatReference(r));
    const pinned = withReference(r, { digest: chosen.digest });
    const image = await getManifest(this.t(r), pinned, call);
    if (image.kind !== "image") {
      throw new ValidationError(`${formatReference(pinned)} is a nested index; expected an image manifest`);
    }
    return { ref: pinned, manifest: image as ResolvedImage["manifest"], index: first };
  }

  /** Fetches and parses the config blob of an image manifest. Throws ValidationError when it does not match or parse. */
  async getConfig(ref: ReferenceInput, manifest: ImageManifest, options?: CallOptions): Promise<ImageConfig> {
    const r = parseRef(ref, "none");
    const bytes = await fetchBlob(this.t(r), r, manifest.config, options);
    return parseImageConfig(bytes, `config ${manifest.config.digest} of ${formatReference(r)}`);
  }

  /** The size of a blob in a repository, or undefined when it is not there. */
  blobSize(repository: ReferenceInput, digest: string, options?: CallOptions): Promise<number | undefined> {
    const r = parseRef(repository, "none");
    return blobSize(this.t(r), r, digest, options);
  }

  /** Reads a small blob into memory, checked against digest and size (16 MiB limit by default). */
  fetchBlob(
    repository: ReferenceInput,
    desc: BlobDescriptor,
    options?: CallOptions & { limit?: number },
  ): Promise<Buffer> {
    const r = parseRef(repository, "none");
    return fetchBlob(this.t(r), r, desc, options);
  }

  /** Opens a blob as a stream that errors unless its size and digest match (see `openBlob`). */
  openBlob(repository: ReferenceInput, desc: BlobDescriptor, options?: CallOptions): Promise<Readable> {
    const r = parseRef(repository, "none");
    return openBlob(this.t(r), r, desc, options);
  }

  /** Downloads a blob to a file atomically, digest-checked, resuming after interruptions (see `downloadBlob`). */
  downloadBlob(
    repository: ReferenceInput,
    desc: BlobDescriptor,
    destPath: string,
    options?: BlobDownloadOptions,
  ): Promise<{ path: string; size: number }> {
    const r = parseRef(repository, "none");
    return downloadBlob(this.t(r), r, desc, destPath, options);
  }

  /** Uploads a blob unless the repository has it; mounts, chunks and resumes (see `uploadBlob`). */
  uploadBlob(
    repository: ReferenceInput,
    source: BlobSource,
    options?: BlobUploadOptions,
  ): Promise<BlobUploadResult> {
    const r = parseRef(repository, "none");
    return uploadBlob(this.t(r), r, source, options);
  }

  /** Mounts a blob from another repository of the same registry; false when the registry could not. */
  mountBlob(
    repository: ReferenceInput,
    digest: string,
    fromRepository: string,
    options?: CallOptions,
  ): Promise<boolean> {
    const r = parseRef(repository, "none");
    return mountBlob(this.t(r), r, digest, fromRepository, options);
  }

  /** Iterates over a repository's tags, following Link pagination. */
  listTags(repository: ReferenceInput, options?: ListTagsOptions): AsyncGenerator<string, void, undefined> {
    const r = parseRef(repository, "none");
    return listTags(this.t(r), r, options);
  }

  /** Iterates over the repositories of a registry host (`/v2/_catalog`), following Link pagination. */
  listRepositories(registry: string, options?: ListTagsOptions): AsyncGenerator<string, void, undefined> {
    return listRepositories(this.transport(registry), options);
  }

  /** All tags of a repository. */
  async tags(repository: ReferenceInput, options?: ListTagsOptions): Promise<string[]> {
    const out: string[] = [];
    for await (const tag of this.listTags(repository, options)) out.push(tag);
    return out;
  }

  /** Lists the referrers of a manifest (referrers API, or the `sha256-<hex>` tag fallback). `ref` needs a digest. */
  listReferrers(ref: ReferenceInput, options?: ListReferrersOptions): Promise<Referrers> {
    const r = parseRef(ref, "none");
    return listReferrers(this.t(r), r, options);
  }

  /** Pushes a manifest with a `subject` and makes it findable as a referrer (API or tag fallback). */
  pushReferrer(
    repository: ReferenceInput,
    referrer: ReferrerManifest,
    options?: CallOptions,
  ): Promise<{ descriptor: Descriptor; indexedBy: "api" | "tag-schema" }> {
    const r = parseRef(repository, "none");
    return pushReferrer(this.t(r), r, referrer, options);
  }

  /** Closes every connection pool. */
  async close(): Promise<void> {
    const all = [...this.transports.values()];
    this.transports.clear();
    await Promise.all(all.map((t) => t.close()));
  }
}

function parseRef(ref: ReferenceInput, defaultTag: "latest" | "none"): ImageReference {
  return typeof ref === "string" ? parseReference(ref, { defaultTag }) : ref;
}
