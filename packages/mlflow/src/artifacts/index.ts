export {
  type ArtifactLocation,
  isProxiedArtifactUri,
  type ParsedArtifactUri,
  parseArtifactUri,
} from "./artifact-location.js";
export { artifactPathProblem, assertSafeArtifactPath } from "./artifact-path.js";
export {
  type ListArtifactsOptions,
  MlflowArtifacts,
  type MlflowArtifactsOptions,
} from "./artifacts-client.js";
export { DEFAULT_MULTIPART, type MultipartOptions } from "./multipart-upload.js";
export type { ArtifactProgress } from "./progress.js";
export { DEFAULT_RANGED, type RangedDownloadOptions } from "./ranged-download.js";
export type {
  ArtifactFileInfo,
  ArtifactRef,
  DownloadedFile,
  DownloadOptions,
  DownloadResult,
  TransferOptions,
  UploadedFile,
  UploadResult,
} from "./types.js";
