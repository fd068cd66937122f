/** Media types of the OCI image spec v1.1 and Docker's image manifest v2 schema 2. */
export const MediaType = {
  /** OCI image manifest. */
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  /** OCI image index (multi-platform image or a list of referrers). */
  OciIndex: "application/vnd.oci.image.index.v1+json",
  /** OCI image config. */
  OciConfig: "application/vnd.oci.image.config.v1+json",
  /** OCI layer, uncompressed tar. */
  OciLayer: "application/vnd.oci.image.layer.v1.tar",
  /** OCI layer, gzip-compressed tar. */
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  /** OCI layer, zstd-compressed tar (readable by unpacking only when zstd is available: it is refused). */
  OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  /** The empty JSON object `{}` used as the config of artifacts. */
  OciEmpty: "application/vnd.oci.empty.v1+json",
  /** Docker image manifest v2 schema 2. */
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  /** Docker manifest list (multi-platform). */
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  /** Docker image config. */
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  /** Docker layer, gzip-compressed tar. */
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  /** Docker layer that a client must not push (Windows base layers). */
  DockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  /** An in-toto statement. */
  InTotoStatement: "application/vnd.in-toto+json",
  /** A DSSE envelope. */
  DsseEnvelope: "application/vnd.dsse.envelope.v1+json",
} as const;

/** Manifest media types that describe one image (config + layers). */
export const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciManifest,
  MediaType.DockerManifest,
]);

/** Manifest media types that list other manifests. */
export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.OciIndex, MediaType.DockerManifestList]);

/** Every manifest media type this package reads, in the order sent in `Accept`. */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
];

/** Layer media types this package can unpack, mapped to their compression. */
export const LAYER_COMPRESSION: Readonly<Record<string, "none" | "gzip" | "zstd">> = {
  [MediaType.OciLayer]: "none",
  [MediaType.OciLayerGzip]: "gzip",
  [MediaType.OciLayerZstd]: "zstd",
  "application/vnd.oci.image.layer.nondistributable.v1.tar": "none",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": "gzip",
  [MediaType.DockerLayerGzip]: "gzip",
  [MediaType.DockerForeignLayerGzip]: "gzip",
  "application/vnd.docker.image.rootfs.diff.tar": "none",
};
