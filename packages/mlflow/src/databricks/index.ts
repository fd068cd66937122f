export {
  type ArtifactCredential,
  type ArtifactCredentialType,
  signedUriExpiry,
} from "./artifact-credentials.js";
export {
  type CredentialMode,
  type DatabricksArtifactResource,
  loggedModelArtifactResource,
  modelVersionArtifactResource,
  runArtifactResource,
} from "./artifact-resources.js";
export { CredentialPool, type CredentialPoolOptions } from "./credential-pool.js";
export { DatabricksArtifacts, type DatabricksArtifactsOptions } from "./databricks-artifacts.js";
export {
  DATABRICKS_TRACKING_ARTIFACT_PREFIX,
  type DatabricksArtifactUri,
  isDatabricksTrackingArtifactUri,
  parseDatabricksArtifactUri,
} from "./dbfs-artifact-uri.js";
export { mapStorageError, StorageTransport, type StorageTransportOptions } from "./storage-transport.js";
export { type DatabricksTransferSettings, databricksTransferSettings } from "./transfer-settings.js";
