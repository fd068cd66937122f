/**
 * The settings of Databricks unified auth: for each, its option name, environment variable, config
 * file key, and the auth method family it belongs to, as the Databricks SDKs define them
 * (databricks-sdk-py `Config`, databricks-sdk-go `config.Config`).
 */

/** Families of auth methods, as the SDKs count them when they refuse several configured at once. */
export type DatabricksAuthFamily =
  | "pat"
  | "basic"
  | "oauth"
  | "azure"
  | "google"
  | "metadata-service"
  | "env-oidc"
  | "file-oidc";

/** One setting of Databricks unified auth. */
export interface DatabricksSetting {
  /** Name of the `DatabricksAuthOptions` field, or undefined for settings only read from env and file. */
  option?: string;
  /** The environment variable. */
  env: string;
  /** Older spellings of the environment variable the SDKs still read. */
  envAliases?: readonly string[];
  /** The `.databrickscfg` key. */
  key: string;
  /** The auth family a value of this setting configures. */
  family?: DatabricksAuthFamily;
  /** The value is a secret: registered for redaction, never printed. */
  secret?: boolean;
  /** Settings modeltrail reads only to decide what is configured (the SDKs' other methods). */
  unsupported?: boolean;
}

/** Every setting modeltrail reads, keyed by a stable name. */
export const DATABRICKS_SETTINGS = {
  host: { option: "host", env: "DATABRICKS_HOST", key: "host" },
  accountId: { option: "accountId", env: "DATABRICKS_ACCOUNT_ID", key: "account_id" },
  token: { option: "token", env: "DATABRICKS_TOKEN", key: "token", family: "pat", secret: true },
  username: { option: "username", env: "DATABRICKS_USERNAME", key: "username", family: "basic" },
  password: {
    option: "password",
    env: "DATABRICKS_PASSWORD",
    key: "password",
    family: "basic",
    secret: true,
  },
  clientId: { option: "clientId", env: "DATABRICKS_CLIENT_ID", key: "client_id", family: "oauth" },
  clientSecret: {
    option: "clientSecret",
    env: "DATABRICKS_CLIENT_SECRET",
    key: "client_secret",
    family: "oauth",
    secret: true,
  },
  azureClientId: { option: "azureClientId", env: "ARM_CLIENT_ID", key: "azure_client_id", family: "azure" },
  azureClientSecret: {
    option: "azureClientSecret",
    env: "ARM_CLIENT_SECRET",
    key: "azure_client_secret",
    family: "azure",
    secret: true,
  },
  azureTenantId: { option: "azureTenantId", env: "ARM_TENANT_ID", key: "azure_tenant_id", family: "azure" },
  azureWorkspaceResourceId: {
    option: "azureWorkspaceResourceId",
    env: "DATABRICKS_AZURE_RESOURCE_ID",
    key: "azure_workspace_resource_id",
    family: "azure",
  },
  azureEnvironment: { option: "azureEnvironment", env: "ARM_ENVIRONMENT", key: "azure_environment" },
  cloud: { option: "cloud", env: "DATABRICKS_CLOUD", key: "cloud" },
  authType: { option: "authType", env: "DATABRICKS_AUTH_TYPE", key: "auth_type" },
  azureUseMsi: { env: "ARM_USE_MSI", key: "azure_use_msi", family: "azure", unsupported: true },
  googleServiceAccount: {
    env: "DATABRICKS_GOOGLE_SERVICE_ACCOUNT",
    key: "google_service_account",
    family: "google",
    unsupported: true,
  },
  googleCredentials: {
    env: "GOOGLE_CREDENTIALS",
    key: "google_credentials",
    family: "google",
    secret: true,
    unsupported: true,
  },
  metadataServiceUrl: {
    env: "DATABRICKS_METADATA_SERVICE_URL",
    key: "metadata_service_url",
    family: "metadata-service",
    secret: true,
    unsupported: true,
  },
  oidcTokenEnv: {
    env: "DATABRICKS_OIDC_TOKEN_ENV",
    key: "oidc_token_env",
    family: "env-oidc",
    unsupported: true,
  },
  oidcTokenFilepath: {
    env: "DATABRICKS_OIDC_TOKEN_FILEPATH",
    envAliases: ["DATABRICKS_OIDC_TOKEN_FILE"],
    key: "oidc_token_filepath",
    family: "file-oidc",
    unsupported: true,
  },
} as const satisfies Record<string, DatabricksSetting>;

/** The name of a setting in `DATABRICKS_SETTINGS`. */
export type DatabricksSettingName = keyof typeof DATABRICKS_SETTINGS;

/** The auth methods modeltrail supports, in the order the SDKs try them. */
export const DATABRICKS_AUTH_TYPES = ["pat", "basic", "oauth-m2m", "azure-client-secret"] as const;

/** A Databricks auth method modeltrail supports. */
export type DatabricksAuthType = (typeof DATABRICKS_AUTH_TYPES)[number];

/** What each supported method needs besides the host, and the family it belongs to. */
export const DATABRICKS_AUTH_METHODS: Readonly<
  Record<DatabricksAuthType, { family: DatabricksAuthFamily; needs: readonly DatabricksSettingName[] }>
> = {
  pat: { family: "pat", needs: ["token"] },
  basic: { family: "basic", needs: ["username", "password"] },
  "oauth-m2m": { family: "oauth", needs: ["clientId", "clientSecret"] },
  "azure-client-secret": { family: "azure", needs: ["azureClientId", "azureClientSecret"] },
};

/**
 * Auth types the Databricks SDKs know and modeltrail does not implement, with the family whose
 * settings they use (for a clear refusal instead of "unknown auth type").
 */
export const UNSUPPORTED_DATABRICKS_AUTH_TYPES: Readonly<Record<string, string>> = {
  "azure-msi": "Azure managed identity",
  "azure-cli": "the Azure CLI's login",
  "github-oidc-azure": "GitHub Actions OIDC for an Azure service principal",
  "azure-devops-oidc": "Azure DevOps OIDC",
  "github-oidc": "GitHub Actions OIDC",
  "env-oidc": "an OIDC token from an environment variable",
  "file-oidc": "an OIDC token from a file",
  "databricks-cli": "the Databricks CLI's login",
  "external-browser": "a browser login",
  "metadata-service": "a local metadata service",
  "google-credentials": "Google service account credentials",
  "google-id": "a Google service account's ID token",
  runtime: "the Databricks runtime's own credentials",
  "runtime-oauth": "the Databricks runtime's OAuth",
  "model-serving": "Databricks model serving's credentials",
};

/** How the families are named in messages. */
export const DATABRICKS_FAMILY_LABELS: Readonly<Record<DatabricksAuthFamily, string>> = {
  pat: "pat (personal access token)",
  basic: "basic (username and password)",
  oauth: "oauth-m2m (Databricks service principal)",
  azure: "azure (Azure service principal or managed identity)",
  google: "google (Google service account)",
  "metadata-service": "metadata-service",
  "env-oidc": "env-oidc (OIDC token from an environment variable)",
  "file-oidc": "file-oidc (OIDC token from a file)",
};
