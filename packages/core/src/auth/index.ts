export {
  AZURE_PUBLIC_AUTHORITY_HOST,
  type AzureClientSecretOptions,
  type AzureCredentialCommonOptions,
  type AzureCredentialFromEnvOptions,
  type AzureTokenTarget,
  azureClientSecretCredential,
  azureCredentialFromEnv,
  azureScopeFor,
  azureTokenEndpoint,
} from "./azure-client-secret.js";
export { basicAuth } from "./basic-auth.js";
export { type BearerTokenOptions, bearerToken, type TokenSource } from "./bearer-token.js";
export type { AuthRequestContext, CredentialProvider } from "./credential-provider.js";
export {
  AZURE_DATABRICKS_RESOURCE_ID,
  azureAuthorityHostForWorkspace,
  DATABRICKS_AUTH_TYPES,
  type DatabricksAuth,
  type DatabricksAuthOptions,
  type DatabricksAuthType,
  normalizeDatabricksHost,
  resolveDatabricksAuth,
} from "./databricks-auth.js";
export {
  type DatabricksConfigProfiles,
  parseDatabricksConfig,
  readDatabricksConfig,
} from "./databricks-config-file.js";
export {
  DATABRICKS_OIDC_METADATA_PATH,
  type DatabricksOAuthM2MOptions,
  databricksOAuthM2M,
  discoverDatabricksTokenEndpoint,
} from "./databricks-oauth-m2m.js";
export {
  type AccessToken,
  defaultRefreshWindowMs,
  type OAuth2ClientCredentialsOptions,
  type OAuth2ClientCredentialsProvider,
  oauth2ClientCredentials,
} from "./oauth2-client-credentials.js";
