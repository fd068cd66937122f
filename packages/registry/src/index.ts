/**
 * @modeltrail/registry: an OCI distribution registry client (references, auth with Docker config,
 * credential helpers and Azure Container Registry, blobs, manifests, tags, referrers), a
 * reproducible model image builder that needs no Docker engine, OCI image layouts, safe unpacking,
 * and signed SLSA provenance.
 * @packageDocumentation
 */
export {
  ACR_AAD_SCOPE,
  ACR_REFRESH_TOKEN_USER,
  type AcrCredentialsFromEnvOptions,
  type AcrCredentialsOptions,
  acrCredentials,
  acrCredentialsFromEnv,
} from "./auth/acr-credentials.js";
export { type CredentialHelperOptions, runCredentialHelper } from "./auth/credential-helper.js";
export {
  configKeyToRegistry,
  DOCKER_HUB_CONFIG_KEY,
  type DockerConfigCredentialsOptions,
  dockerConfigCredentials,
  dockerConfigPath,
} from "./auth/docker-config.js";
export {
  acrAdminCredentials,
  anonymousCredentials,
  chainCredentials,
  type RegistryCredential,
  type RegistryCredentialContext,
  type RegistryCredentialSource,
  staticCredentials,
} from "./auth/registry-credentials.js";
export { DEFAULT_TOKEN_LIFETIME_S, RegistryTokenFlow, repositoryScope } from "./auth/token-flow.js";
export { type AuthChallenge, parseWwwAuthenticate } from "./auth/www-authenticate.js";
export type { BlobDescriptor, BlobDownloadOptions } from "./blob-download.js";
export {
  type BlobSource,
  type BlobUploadOptions,
  type BlobUploadResult,
  bytesSource,
  fileSource,
  type UploadSession,
} from "./blob-upload.js";
export { canonicalJson } from "./canonical-json.js";
export { DIGEST_ALGORITHMS, type DigestAlgorithm, isDigest, parseDigest, sha256Digest } from "./digest.js";
export {
  type DsseEnvelope,
  preAuthEncoding,
  type SigningKey,
  signDsse,
  type VerificationKey,
  verifyDsse,
} from "./dsse.js";
export {
  findImageForRun,
  type ListTraceableImagesOptions,
  listTraceableImages,
  registryRunImageResolver,
  type TraceableImage,
} from "./find-image.js";
export {
  type BuildModelImageOptions,
  type BuildProgress,
  type BuildTargets,
  type BuiltImage,
  buildModelImage,
  IMAGE_ANNOTATIONS,
} from "./image-builder.js";
export {
  type BlobInput,
  type BlobStoreResult,
  type CopyResult,
  copyImage,
  type ImageDestination,
  type ImageSource,
  layoutImageSource,
  registryImageSource,
  storeBlob,
  storeManifest,
} from "./image-store.js";
export {
  type BuiltLayer,
  buildLayer,
  collectLayerEntries,
  DEFAULT_GZIP_LEVEL,
  DEFAULT_SOURCE_DATE_EPOCH,
  type LayerCompression,
  sourceDateEpoch,
} from "./layer-builder.js";
export {
  attachLayoutProvenance,
  type LayoutAttestation,
  verifyLayoutProvenance,
} from "./layout-provenance.js";
export { type LayoutTraceResolverOptions, layoutTraceResolver } from "./layout-trace-resolver.js";
export {
  type ContainerConfig,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  type Platform,
  parseImageConfig,
  parseManifest,
} from "./manifest-schemas.js";
export type { FetchedManifest, ManifestUpload } from "./manifests.js";
export { IMAGE_MANIFEST_TYPES, INDEX_TYPES, MANIFEST_ACCEPT, MediaType } from "./media-types.js";
export { OciLayout, REF_NAME_ANNOTATION } from "./oci-layout.js";
export {
  currentPlatform,
  formatPlatform,
  type PlatformSpec,
  parsePlatform,
  selectPlatform,
} from "./platform.js";
export {
  ATTESTATION_ANNOTATIONS,
  type AttachedProvenance,
  type AttachProvenanceOptions,
  attachProvenance,
  COSIGN_SIGNATURE_ANNOTATION,
  IN_TOTO_STATEMENT_V1,
  MODELTRAIL_BUILD_TYPE,
  type ModelProvenanceInput,
  modelProvenance,
  type ProvenanceStatement,
  type ResourceDescriptor,
  SLSA_PROVENANCE_V1,
  type VerifiedProvenance,
  verifyProvenance,
} from "./provenance.js";
export {
  DOCKER_HUB_REGISTRY,
  formatReference,
  type ImageReference,
  isValidTag,
  normalizeRegistry,
  type ParseReferenceOptions,
  parseReference,
  repositoryName,
  withReference,
} from "./reference.js";
export {
  type ListReferrersOptions,
  type ReferrerManifest,
  type Referrers,
  referrersFallbackTag,
} from "./referrers.js";
export {
  type ReferenceInput,
  RegistryClient,
  type RegistryClientOptions,
  type ResolvedImage,
} from "./registry-client.js";
export { mapRegistryError, REGISTRY_SERVICE } from "./registry-errors.js";
export { isLoopbackRegistry, registryBaseUrl } from "./registry-url.js";
export type { ListTagsOptions } from "./tags.js";
export { TAR_END, type TarEntry, tarHeader, tarPadding } from "./tar-writer.js";
export { type RegistryTraceResolverOptions, registryTraceResolver } from "./trace-resolver.js";
export { type UnpackOptions, type UnpackResult, unpackImage } from "./unpack.js";
