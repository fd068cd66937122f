export {
  type AzureClientSecretOptions,
  type AzureCredentialCommonOptions,
  type AzureCredentialFromEnvOptions,
  type AzureTokenTarget,
  azureClientSecretCredential,
  azureCredentialFromEnv,
} from "./azure-client-secret.js";
export { basicAuth } from "./basic-auth.js";
export { type BearerTokenOptions, bearerToken, type TokenSource } from "./bearer-token.js";
export type { AuthRequestContext, CredentialProvider } from "./credential-provider.js";
export { type DatabricksAuth, type DatabricksAuthOptions, resolveDatabricksAuth } from "./databricks-auth.js";
export type { DatabricksAuthType } from "./databricks-auth-settings.js";
export type { DatabricksCloud } from "./databricks-environment.js";
export { type DatabricksOAuthM2MOptions, databricksOAuthM2M } from "./databricks-oauth-m2m.js";
export {
  type AccessToken,
  type OAuth2ClientCredentialsOptions,
  type OAuth2ClientCredentialsProvider,
  oauth2ClientCredentials,
} from "./oauth2-client-credentials.js";
