export { type AwsTemporaryCredentials, S3Presigner } from "./s3-presign.js";
export {
  type CreateUcModelVersionOptions,
  UC_API,
  type UcOperation,
  UnityCatalogRegistry,
} from "./uc-registry.js";
export { parseUcRegistryUri } from "./uc-registry-uri.js";
export { resolveUcModelUri } from "./uc-resolve-uri.js";
export {
  fromUcTagKeys,
  noStagesInUnityCatalog,
  splitUcModelName,
  toUcTagKeys,
  UC_LIMITS,
  ucTagKey,
  validateUcTags,
} from "./uc-rules.js";
export type { UcModelVersion, UcTemporaryCredentials } from "./uc-schemas.js";
export {
  parseUcStorageLocation,
  type UcStorageLocation,
  type UcStorageOptions,
  ucStorageResource,
} from "./uc-storage.js";
export { checkUcSignature } from "./uc-traceability.js";
