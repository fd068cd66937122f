import { PassThrough, type Readable } from "node:stream";
import { type CallOptions, ValidationError } from "@modeltrail/core";
import { type BlobSource, bytesSource, fileSource } from "./blob-upload.js";
import type { Descriptor, ImageConfig, ImageManifest } from "./manifest-schemas.js";
import { parseImageConfig } from "./manifest-schemas.js";
import { OciLayout } from "./oci-layout.js";
import { currentPlatform, type PlatformSpec, selectPlatform } from "./platform.js";
import { formatReference, type ImageReference, parseReference, withReference } from "./reference.js";
import type { RegistryClient } from "./registry-client.js";

/** An image to read: its manifest, config and a way to open its blobs. */
export interface ImageSource {
  /** Where it is, for messages and `org.opencontainers.image.base.name`: a reference or `oci:DIR:TAG`. */
  name: string;
  /** The image manifest's digest. */
  digest: string;
  /** The image manifest's exact bytes. */
  manifestBytes: Uint8Array;
  mediaType: string;
  manifest: ImageManifest;
  configBytes: Uint8Array;
  config: ImageConfig;
  /** Opens a blob (a layer) as a digest-checked stream. */
  openBlob(desc: Descriptor, options?: CallOptions): Promise<Readable>;
  /** The registry reference when the image is in a registry (blobs can then be mounted). */
  registryRef?: ImageReference | undefined;
  /** The layout when the image is in an OCI layout (blobs are files). */
  layout?: OciLayout | undefined;
}

/**
 * Reads an image from a registry, narrowing an index to `platform` (default: this process's).
 * @throws what `RegistryClient.resolveImage` and `getConfig` throw.
 */
export async function registryImageSource(
  client: RegistryClient,
  ref: string | ImageReference,
  options: CallOptions & { platform?: PlatformSpec | undefined } = {},
): Promise<ImageSource> {
  const r = typeof ref === "string" ? parseReference(ref) : ref;
  const resolved = await client.resolveImage(r, options);
  const { platform: _p, ...call } = options;
  const configBytes = await client.fetchBlob(resolved.ref, resolved.manifest.manifest.config, call);
  return {
    name: formatReference(r),
    digest: resolved.manifest.digest,
    manifestBytes: resolved.manifest.bytes,
    mediaType: resolved.manifest.mediaType,
    manifest: resolved.manifest.manifest,
    configBytes,
    config: parseImageConfig(configBytes, `config of ${formatReference(r)}`),
    openBlob: (desc, o) => client.openBlob(resolved.ref, desc, { ...call, ...o }),
    registryRef: withReference(resolved.ref, { tag: null }),
  };
}

/**
 * Reads an image from an OCI layout directory, by tag or digest (or its only manifest), narrowing
 * an index to `platform`.
 * @throws ValidationError (not a layout, not an image), NotFoundError.
 */
export async function layoutImageSource(
  dir: string,
  ref: { tag?: string | undefined; digest?: string | undefined } = {},
  options: { platform?: PlatformSpec | undefined } = {},
): Promise<ImageSource> {
  const layout = await OciLayout.open(dir);
  let desc = await layout.resolve(ref);
  let m = await layout.manifest(desc);
  if (m.kind === "index") {
    desc = selectPlatform(m.manifest, options.platform ?? currentPlatform(), `oci:${dir}`);
    m = await layout.manifest(desc);
    if (m.kind !== "image")
      throw new ValidationError(`oci:${dir} has a nested index; expected an image manifest`);
  }
  const configBytes = await layout.readBlob(m.manifest.config);
  return {
    name: `oci:${dir}${ref.tag ? `:${ref.tag}` : ref.digest ? `@${ref.digest}` : ""}`,
    digest: m.digest,
    manifestBytes: m.bytes,
    mediaType: m.mediaType,
    manifest: m.manifest,
    configBytes,
    config: parseImageConfig(configBytes, `config of oci:${dir}`),
    openBlob: async (d) => layout.openBlob(d),
    layout,
  };
}

/** Where an image goes: a registry repository or an OCI layout. */
export type ImageDestination =
  | { kind: "registry"; client: RegistryClient; repository: ImageReference }
  | { kind: "layout"; layout: OciLayout };

/** A blob to store, from a file or from a source image. */
export type BlobInput =
  | { desc: Descriptor; file: string }
  | { desc: Descriptor; bytes: Uint8Array }
  | { desc: Descriptor; from: ImageSource };

/** What storing a blob did. */
export type BlobStoreResult = "exists" | "mounted" | "uploaded" | "written";

/**
 * Stores one blob at a destination: skipped when present, mounted when it comes from another
 * repository of the same registry, else streamed (digest-checked) from its file or source image.
 */
export async function storeBlob(
  dest: ImageDestination,
  blob: BlobInput,
  options: CallOptions & {
    chunkSize?: number | undefined;
    /** Called with the bytes of this blob a registry has confirmed so far (uploads only). */
    onProgress?: ((confirmedBytes: number) => void) | undefined;
  } = {},
): Promise<BlobStoreResult> {
  const { desc } = blob;
  if (dest.kind === "layout") {
    if ((await dest.layout.blobSize(desc.digest)) === desc.size) return "exists";
    if ("file" in blob) await dest.layout.adoptBlobFile(blob.file, desc.digest);
    else if ("bytes" in blob) await dest.layout.writeBlobBytes(blob.bytes, desc.digest);
    else if (blob.from.layout)
      await dest.layout.adoptBlobFile(blob.from.layout.blobPath(desc.digest), desc.digest);
    else await dest.layout.writeBlobStream(await blob.from.openBlob(desc, options), desc);
    return "written";
  }
  const { client, repository } = dest;
  let source: BlobSource;
  let mountFrom: string | undefined;
  if ("file" in blob) source = fileSource(blob.file, desc.digest, desc.size);
  else if ("bytes" in blob) source = bytesSource(blob.bytes, desc.digest);
  else if (blob.from.layout) {
    source = fileSource(blob.from.layout.blobPath(desc.digest), desc.digest, desc.size);
  } else {
    const from = blob.from;
    const sameRegistry = from.registryRef?.registry === repository.registry;
    if (sameRegistry && from.registryRef && from.registryRef.repository !== repository.repository)
      mountFrom = from.registryRef.repository;
    source = {
      digest: desc.digest,
      size: desc.size,
      open: (start: number, end: number) => {
        if (start !== 0 || end !== desc.size) {
          throw new ValidationError(
            `Cannot resume copying ${desc.digest} from ${from.name}: restart the push`,
          );
        }
        // A lazily opened stream: the registry source is opened when the upload reads it.
        const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
        from.openBlob(desc, options).then(
          (s) => {
            s.on("error", (e) => pass.destroy(e));
            s.pipe(pass);
          },
          (e: unknown) => pass.destroy(e as Error),
        );
        return pass;
      },
    };
  }
  const result = await client.uploadBlob(repository, source, { ...options, mountFrom });
  return result.status;
}

/** Stores a manifest under tags (and by digest) at a destination. */
export async function storeManifest(
  dest: ImageDestination,
  manifest: { bytes: Uint8Array; mediaType: string; digest: string },
  tags: readonly string[],
  options: CallOptions = {},
): Promise<void> {
  if (dest.kind === "layout") {
    await dest.layout.putManifest(manifest.bytes, manifest.mediaType, manifest.digest, tags);
    return;
  }
  const targets =
    tags.length > 0
      ? tags.map((tag) => withReference(dest.repository, { tag, digest: null }))
      : [withReference(dest.repository, { tag: null, digest: manifest.digest })];
  for (const ref of targets)
    await dest.client.putManifest(ref, { bytes: manifest.bytes, mediaType: manifest.mediaType }, options);
}

/** What a copy sent. */
export interface CopyResult {
  digest: string;
  /** Per blob (config first, then layers), what storing it did. */
  blobs: Array<{ digest: string; size: number; result: BlobStoreResult }>;
}

/**
 * Copies an image (config, layers, manifest) to a destination, under `tags`. Blobs the destination
 * has are not sent again; blobs of another repository of the same registry are mounted; the rest
 * stream, digest-checked, with bounded memory whatever the layer size.
 */
export async function copyImage(
  source: ImageSource,
  dest: ImageDestination,
  tags: readonly string[],
  options: CallOptions & { chunkSize?: number | undefined; concurrency?: number | undefined } = {},
): Promise<CopyResult> {
  const { concurrency = 3, ...call } = options;
  const blobs: CopyResult["blobs"] = [];
  const all = [source.manifest.config, ...source.manifest.layers];
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const i = next++;
      const desc = all[i]!;
      const input: BlobInput = i === 0 ? { desc, bytes: source.configBytes } : { desc, from: source };
      blobs[i] = { digest: desc.digest, size: desc.size, result: await storeBlob(dest, input, call) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, all.length) }, worker));
  await storeManifest(
    dest,
    { bytes: source.manifestBytes, mediaType: source.mediaType, digest: source.digest },
    tags,
    call,
  );
  return { digest: source.digest, blobs };
}
