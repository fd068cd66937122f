/**
 * Scenarios of Databricks unified auth that modeltrail and databricks-sdk (Python) resolve side by
 * side (see databricks-sdk-comparison.int.test.ts). Each names the environment and the files of a
 * fresh HOME, and what both sides do. Where modeltrail deliberately differs, `differs` says why and
 * pins both sides' outcomes.
 */

/** What one side made of a scenario. */
export interface Outcome {
  ok: boolean;
  host?: string;
  authType?: string;
  authorization?: string;
  error?: string;
}

/** One scenario. */
export interface Scenario {
  id: string;
  kind: "env" | "file" | "mixed" | "profiles" | "conflicts" | "azure" | "aws" | "gcp" | "accounts";
  title: string;
  /** The process environment (nothing else is set); `{home}` stands for the scenario's HOME. */
  env?: Record<string, string>;
  /** Files under HOME, e.g. `.databrickscfg`. */
  files?: Record<string, string>;
  /** The shared outcome when there is no documented difference. */
  expect: "ok" | "error";
  /** The reason databricks-sdk gives, when it fails. */
  sdkError?: RegExp;
  /** The reason modeltrail gives, when it fails. */
  mtError?: RegExp;
  /** modeltrail fails with an error of the hierarchy other than ConfigError (e.g. from the network). */
  mtErrorType?: string;
  /** Requests modeltrail may make while resolving (`host METHOD`); none unless listed. */
  requestWhileResolving?: string[];
  /** An intended difference: why, and each side's outcome. */
  differs?: { why: string; sdk: Partial<Outcome>; modeltrail: Partial<Outcome> };
}

// Distinctive secrets: the test checks that none appears in a modeltrail error.
const PAT = "dapiEnvPlanted1111";
const PAT2 = "dapiFilePlanted2222";
const SECRET = "doseM2mPlanted3333";
const ARM_SECRET = "ArmSecretPlanted4444";
const PASSWORD = "PasswordPlanted5555";

/** Every secret the scenarios use. */
export const PLANTED_SECRETS = [PAT, PAT2, SECRET, ARM_SECRET, PASSWORD];

const AWS = "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com";
const AWS2 = "https://dbc-99999999-0000.cloud.databricks.com";
const AZ = "https://adb-1111111111111111.11.azuredatabricks.net";
const AZ_GOV = "https://adb-2222222222222222.2.databricks.azure.us";
const AZ_CN = "https://adb-3333333333333333.3.databricks.azure.cn";
const GCP = "https://1234567890123456.7.gcp.databricks.com";
const ACCOUNTS = "https://accounts.cloud.databricks.com";
const ACCOUNTS_AZ = "https://accounts.azuredatabricks.net";
const ACCOUNTS_GCP = "https://accounts.gcp.databricks.com";
const ACCOUNT_ID = "0d26daa6-5e44-4c97-a497-ef015f91254a";
const TENANT = "aaaaaaaa-1111-4111-8111-000000000001";
const RESOURCE_ID =
  "/subscriptions/0f8fad5b-d9cb-469f-a165-70867728950e/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/ml-ws";

const pat = (host: string, token = PAT) => ({ DATABRICKS_HOST: host, DATABRICKS_TOKEN: token });
const m2m = (host: string) => ({
  DATABRICKS_HOST: host,
  DATABRICKS_CLIENT_ID: "sp-client",
  DATABRICKS_CLIENT_SECRET: SECRET,
});
const arm = { ARM_CLIENT_ID: "arm-client", ARM_CLIENT_SECRET: ARM_SECRET };
const cfg = (text: string) => ({ ".databrickscfg": text });

const SEVERAL = /more than one authorization method configured/;
const NO_CREDENTIALS = /cannot configure default credentials/;

/** The scenarios. */
export const SCENARIOS: Scenario[] = [
  // --- environment only --------------------------------------------------------------------------
  { id: "env-pat-aws", kind: "aws", title: "PAT on an AWS workspace", env: pat(AWS), expect: "ok" },
  { id: "env-pat-azure", kind: "azure", title: "PAT on an Azure workspace", env: pat(AZ), expect: "ok" },
  { id: "env-pat-gcp", kind: "gcp", title: "PAT on a GCP workspace", env: pat(GCP), expect: "ok" },
  {
    id: "env-pat-bare-host",
    kind: "env",
    title: "host without scheme, with a trailing slash",
    env: pat("dbc-a1b2c3d4-e5f6.cloud.databricks.com/"),
    expect: "ok",
  },
  {
    id: "env-pat-port-443",
    kind: "env",
    title: "host with the default port",
    env: pat(`${AWS}:443`),
    expect: "ok",
  },
  {
    id: "env-pat-host-path",
    kind: "env",
    title: "host with a path and a query",
    env: pat(`${AWS}/?o=1234567890`),
    expect: "ok",
    differs: {
      why: "modeltrail reduces a host to its origin; the SDK keeps the path and query and puts API paths after them",
      sdk: { ok: true, host: `${AWS}?o=1234567890` },
      modeltrail: { ok: true, host: AWS },
    },
  },
  {
    id: "env-pat-spaces",
    kind: "env",
    title: "a token with spaces around it",
    env: pat(AWS, `  ${PAT}  `),
    expect: "ok",
    differs: {
      why: "modeltrail trims environment values; the SDK sends the spaces inside the Authorization header",
      sdk: { ok: true, authorization: `Bearer   ${PAT}  ` },
      modeltrail: { ok: true, authorization: `Bearer ${PAT}` },
    },
  },
  {
    id: "env-basic-aws",
    kind: "aws",
    title: "username and password",
    env: { DATABRICKS_HOST: AWS, DATABRICKS_USERNAME: "admin@example.com", DATABRICKS_PASSWORD: PASSWORD },
    expect: "ok",
  },
  {
    id: "env-m2m-aws",
    kind: "aws",
    title: "Databricks service principal (OAuth M2M) on AWS",
    env: m2m(AWS),
    expect: "ok",
  },
  {
    id: "env-m2m-azure",
    kind: "azure",
    title: "Databricks service principal on Azure",
    env: m2m(AZ),
    expect: "ok",
  },
  {
    id: "env-m2m-gcp",
    kind: "gcp",
    title: "Databricks service principal on GCP",
    env: m2m(GCP),
    expect: "ok",
  },
  {
    id: "env-azure-sp-tenant",
    kind: "azure",
    title: "Azure service principal with ARM_TENANT_ID",
    env: { DATABRICKS_HOST: AZ, ...arm, ARM_TENANT_ID: TENANT },
    expect: "ok",
  },
  {
    id: "env-azure-sp-no-tenant",
    kind: "azure",
    title: "Azure service principal, tenant found from the workspace",
    env: { DATABRICKS_HOST: AZ, ...arm },
    expect: "ok",
  },
  {
    id: "env-azure-sp-gov",
    kind: "azure",
    title: "Azure service principal on Azure US Government, tenant found from the workspace",
    env: { DATABRICKS_HOST: AZ_GOV, ...arm },
    expect: "ok",
  },
  {
    id: "env-azure-sp-china",
    kind: "azure",
    title: "Azure service principal on Azure China with a tenant",
    env: { DATABRICKS_HOST: AZ_CN, ...arm, ARM_TENANT_ID: "cccccccc-3333-4333-8333-000000000003" },
    expect: "ok",
  },
  {
    id: "env-azure-sp-on-aws",
    kind: "aws",
    title: "Azure service principal for an AWS workspace",
    env: { DATABRICKS_HOST: AWS, ...arm, ARM_TENANT_ID: TENANT },
    expect: "error",
    mtError: /is not an Azure Databricks host/,
  },
  {
    id: "env-azure-sp-on-gcp",
    kind: "gcp",
    title: "Azure service principal for a GCP workspace",
    env: { DATABRICKS_HOST: GCP, ...arm },
    expect: "error",
    mtError: /is not an Azure Databricks host/,
  },
  {
    id: "env-azure-resource-id-only",
    kind: "azure",
    title: "Azure service principal and DATABRICKS_AZURE_RESOURCE_ID, no host",
    env: { DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID, ...arm, ARM_TENANT_ID: TENANT },
    expect: "ok",
    requestWhileResolving: ["login.microsoftonline.com POST", "management.azure.com GET"],
  },
  {
    id: "env-azure-resource-id-and-host",
    kind: "azure",
    title: "Azure service principal, host and resource id",
    env: { DATABRICKS_HOST: AZ, DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID, ...arm, ARM_TENANT_ID: TENANT },
    expect: "ok",
  },
  {
    id: "env-token-no-host",
    kind: "env",
    title: "a token without a host",
    env: { DATABRICKS_TOKEN: PAT },
    expect: "error",
  },
  {
    id: "env-host-only",
    kind: "env",
    title: "a host without credentials",
    env: { DATABRICKS_HOST: AWS },
    expect: "error",
    sdkError: NO_CREDENTIALS,
    mtError: /No Databricks credentials found/,
  },
  {
    id: "env-client-id-only",
    kind: "env",
    title: "a client id without its secret",
    env: { DATABRICKS_HOST: AWS, DATABRICKS_CLIENT_ID: "sp-client" },
    expect: "error",
  },
  {
    id: "env-arm-client-id-only",
    kind: "azure",
    title: "an Azure client id without its secret",
    env: { DATABRICKS_HOST: AZ, ARM_CLIENT_ID: "arm-client" },
    expect: "error",
  },
  {
    id: "env-auth-type-pat",
    kind: "env",
    title: "DATABRICKS_AUTH_TYPE=pat with a token",
    env: { ...pat(AWS), DATABRICKS_AUTH_TYPE: "pat" },
    expect: "ok",
  },
  {
    id: "env-auth-type-missing-settings",
    kind: "env",
    title: "DATABRICKS_AUTH_TYPE=oauth-m2m with only a token",
    env: { ...pat(AWS), DATABRICKS_AUTH_TYPE: "oauth-m2m" },
    expect: "error",
    mtError: /auth type oauth-m2m \(from DATABRICKS_AUTH_TYPE\) is not fully configured/,
  },
  {
    id: "env-auth-type-unknown",
    kind: "env",
    title: "an unknown DATABRICKS_AUTH_TYPE",
    env: { ...pat(AWS), DATABRICKS_AUTH_TYPE: "magic" },
    expect: "error",
    mtError: /is not a known auth type/,
  },

  // --- several methods at once --------------------------------------------------------------------
  {
    id: "conflict-pat-m2m",
    kind: "conflicts",
    title: "token and client id/secret",
    env: { ...pat(AWS), ...m2m(AWS) },
    expect: "error",
    sdkError: SEVERAL,
    mtError: /Several Databricks auth methods/,
  },
  {
    id: "conflict-pat-arm",
    kind: "conflicts",
    title: "token and ARM_*",
    env: { ...pat(AZ), ...arm, ARM_TENANT_ID: TENANT },
    expect: "error",
    sdkError: SEVERAL,
    mtError: /Several Databricks auth methods/,
  },
  {
    id: "conflict-m2m-arm",
    kind: "conflicts",
    title: "client id/secret and ARM_*",
    env: { ...m2m(AZ), ...arm },
    expect: "error",
    sdkError: SEVERAL,
    mtError: /Several Databricks auth methods/,
  },
  {
    id: "conflict-pat-basic",
    kind: "conflicts",
    title: "token and username/password",
    env: { ...pat(AWS), DATABRICKS_USERNAME: "u", DATABRICKS_PASSWORD: PASSWORD },
    expect: "error",
    sdkError: SEVERAL,
  },
  {
    id: "conflict-pat-tenant-only",
    kind: "conflicts",
    title: "token and a lone ARM_TENANT_ID",
    env: { ...pat(AZ), ARM_TENANT_ID: TENANT },
    expect: "error",
    sdkError: SEVERAL,
  },
  {
    id: "conflict-pat-resource-id",
    kind: "conflicts",
    title: "token and DATABRICKS_AZURE_RESOURCE_ID",
    env: { ...pat(AZ), DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID },
    expect: "error",
    sdkError: SEVERAL,
  },
  {
    id: "conflict-pat-google",
    kind: "conflicts",
    title: "token and GOOGLE_CREDENTIALS",
    env: { ...pat(GCP), GOOGLE_CREDENTIALS: "{}" },
    expect: "error",
    sdkError: SEVERAL,
  },
  {
    id: "conflict-resolved-m2m",
    kind: "conflicts",
    title: "token and client id/secret with DATABRICKS_AUTH_TYPE=oauth-m2m",
    env: { ...pat(AWS), ...m2m(AWS), DATABRICKS_AUTH_TYPE: "oauth-m2m" },
    expect: "ok",
  },
  {
    id: "conflict-resolved-azure",
    kind: "conflicts",
    title: "token and ARM_* with DATABRICKS_AUTH_TYPE=azure-client-secret",
    env: { ...pat(AZ), ...arm, ARM_TENANT_ID: TENANT, DATABRICKS_AUTH_TYPE: "azure-client-secret" },
    expect: "ok",
  },
  {
    id: "conflict-resolved-pat",
    kind: "conflicts",
    title: "token and ARM_* with DATABRICKS_AUTH_TYPE=pat",
    env: { ...pat(AZ), ...arm, DATABRICKS_AUTH_TYPE: "pat" },
    expect: "ok",
  },
  {
    id: "conflict-in-profile",
    kind: "conflicts",
    title: "token and client id/secret in one profile",
    files: cfg(
      `[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\nclient_id = sp-client\nclient_secret = ${SECRET}\n`,
    ),
    expect: "error",
    sdkError: SEVERAL,
    mtError: /token in profile DEFAULT of .*client_id in profile DEFAULT/,
  },
  {
    id: "conflict-in-profile-resolved",
    kind: "conflicts",
    title: "token and ARM_* in one profile with auth_type",
    files: cfg(
      `[DEFAULT]\nhost = ${AZ}\ntoken = ${PAT2}\nazure_client_id = arm-client\nazure_client_secret = ${ARM_SECRET}\nauth_type = azure-client-secret\n`,
    ),
    expect: "ok",
  },
  {
    id: "conflict-env-and-named-profile",
    kind: "conflicts",
    title: "env token and a named profile's client id/secret",
    env: { DATABRICKS_TOKEN: PAT, DATABRICKS_CONFIG_PROFILE: "sp" },
    files: cfg(`[sp]\nhost = ${AWS}\nclient_id = sp-client\nclient_secret = ${SECRET}\n`),
    expect: "error",
    sdkError: SEVERAL,
  },

  // --- config file only ---------------------------------------------------------------------------
  {
    id: "file-default-pat",
    kind: "file",
    title: "DEFAULT profile with a token",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "file-default-m2m",
    kind: "file",
    title: "DEFAULT profile with client id/secret",
    files: cfg(`[DEFAULT]\nhost = ${GCP}\nclient_id = sp-client\nclient_secret = ${SECRET}\n`),
    expect: "ok",
  },
  {
    id: "file-default-basic",
    kind: "file",
    title: "DEFAULT profile with username/password",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\nusername = admin\npassword = ${PASSWORD}\n`),
    expect: "ok",
  },
  {
    id: "file-default-azure-sp",
    kind: "file",
    title: "DEFAULT profile with an Azure service principal",
    files: cfg(
      `[DEFAULT]\nhost = ${AZ}\nazure_client_id = arm-client\nazure_client_secret = ${ARM_SECRET}\nazure_tenant_id = ${TENANT}\n`,
    ),
    expect: "ok",
  },
  {
    id: "file-keys-any-case",
    kind: "file",
    title: "keys in upper case, `:` as delimiter",
    files: cfg(`[DEFAULT]\nHOST: ${AWS}\nToken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "file-no-default",
    kind: "file",
    title: "only a named profile, none requested",
    files: cfg(`[dev]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: NO_CREDENTIALS,
  },
  {
    id: "file-empty-default",
    kind: "file",
    title: "an empty DEFAULT section",
    files: cfg(`[DEFAULT]\n[dev]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
  },
  {
    id: "file-continuation-line",
    kind: "file",
    title: "an indented line continuing a value the SDK does not use",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\ndescription = the first line\n  and the second\ntoken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "file-duplicate-key",
    kind: "file",
    title: "the same key twice in a profile",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\ntoken = ${PAT}\n`),
    expect: "error",
    sdkError: /DuplicateOptionError/,
    mtError: /key token appears a second time/,
  },
  {
    id: "file-duplicate-section",
    kind: "file",
    title: "the same profile twice",
    env: { DATABRICKS_CONFIG_PROFILE: "dev" },
    files: cfg(`[dev]\nhost = ${AWS}\n[other]\n[dev]\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: /DuplicateSectionError/,
    mtError: /section \[dev\] appears a second time/,
  },
  {
    id: "file-duplicate-default",
    kind: "file",
    title: "[DEFAULT] twice with different keys",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\n[DEFAULT]\ntoken = ${PAT2}\n`),
    expect: "error",
    differs: {
      why: "configparser merges a repeated [DEFAULT] (it refuses other repeated sections); modeltrail refuses every repeated section",
      sdk: { ok: true, host: AWS, authType: "pat" },
      modeltrail: { ok: false },
    },
    mtError: /section \[DEFAULT\] appears a second time/,
  },
  {
    id: "file-key-before-section",
    kind: "file",
    title: "a key before the first section",
    files: cfg(`host = ${AWS}\n[DEFAULT]\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: /MissingSectionHeaderError/,
    mtError: /before the first \[section\]/,
  },
  {
    id: "file-quoted-token",
    kind: "file",
    title: "a token in double quotes",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\ntoken = "${PAT2}"\n`),
    expect: "ok",
    differs: {
      why: "modeltrail removes one pair of quotes around a whole value, as the Go SDK does; Python's configparser keeps them and sends them",
      sdk: { ok: true, authorization: `Bearer "${PAT2}"` },
      modeltrail: { ok: true, authorization: `Bearer ${PAT2}` },
    },
  },
  {
    id: "file-inline-comment",
    kind: "file",
    title: "an inline comment after the host",
    files: cfg(`[DEFAULT]\nhost = ${AWS} ; production\ntoken = ${PAT2}\n`),
    expect: "error",
    differs: {
      why: "Python keeps ' ; production' in the host, the Go SDK cuts it off; modeltrail refuses the ambiguous value, naming file, profile, key and line",
      sdk: { ok: true, authType: "pat" },
      modeltrail: { ok: false },
    },
    mtError: /host in profile DEFAULT of .* \(line 2\) has a " #" or " ;"/,
  },
  {
    id: "file-indented-key",
    kind: "file",
    title: "an indented key below the host (configparser joins it to the host)",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\n  token = ${PAT2}\n`),
    expect: "error",
    // configparser makes the indented line part of the host: the SDK fails on the garbled host (and
    // prints it, token included); modeltrail refuses the value that spans lines without echoing it.
    sdkError: /host=https:\/\/dbc-a1b2c3d4-e5f6\.cloud\.databricks\.comtoken = /,
    mtError: /host in profile DEFAULT of .* \(line 2\) spans 2 lines/,
  },
  {
    id: "file-section-spaces",
    kind: "file",
    title: "a section name with spaces inside the brackets",
    env: { DATABRICKS_CONFIG_PROFILE: "dev" },
    files: cfg(`[ dev ]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
    mtError: /section name \[ dev \] has spaces around it/,
  },

  // --- profiles -----------------------------------------------------------------------------------
  {
    id: "profile-named-by-env",
    kind: "profiles",
    title: "DATABRICKS_CONFIG_PROFILE picks a profile",
    env: { DATABRICKS_CONFIG_PROFILE: "prod.eu" },
    files: cfg(`[DEFAULT]\nhost = ${AWS2}\ntoken = ${PAT}\n[prod.eu]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "profile-missing",
    kind: "profiles",
    title: "a named profile that does not exist",
    env: { DATABRICKS_CONFIG_PROFILE: "staging" },
    files: cfg(`[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: /has no staging profile configured/,
    mtError: /Databricks profile staging \(from DATABRICKS_CONFIG_PROFILE\) not found/,
  },
  {
    id: "profile-empty",
    kind: "profiles",
    title: "a named profile without settings",
    env: { DATABRICKS_CONFIG_PROFILE: "empty" },
    files: cfg(`[empty]\n[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: NO_CREDENTIALS,
    mtError: /profile empty in .* has no settings/,
  },
  {
    id: "profile-custom-file",
    kind: "profiles",
    title: "DATABRICKS_CONFIG_FILE and a profile in it",
    env: { DATABRICKS_CONFIG_FILE: "{home}/conf/databricks.ini", DATABRICKS_CONFIG_PROFILE: "ci" },
    files: {
      ".databrickscfg": `[ci]\nhost = ${AWS2}\ntoken = ${PAT}\n`,
      "conf/databricks.ini": `[ci]\nhost = ${AWS}\ntoken = ${PAT2}\n`,
    },
    expect: "ok",
  },
  {
    id: "profile-default-profile-setting",
    kind: "profiles",
    title: "[__settings__] default_profile picks the profile",
    files: cfg(
      `[__settings__]\ndefault_profile = dev\n[DEFAULT]\nhost = ${AWS2}\ntoken = ${PAT}\n[dev]\nhost = ${AWS}\ntoken = ${PAT2}\n`,
    ),
    expect: "ok",
  },
  {
    id: "profile-default-profile-missing",
    kind: "profiles",
    title: "default_profile naming a profile that does not exist",
    files: cfg(`[__settings__]\ndefault_profile = gone\n[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: /has no gone profile configured/,
  },
  {
    id: "profile-settings-section-named",
    kind: "profiles",
    title: "DATABRICKS_CONFIG_PROFILE=__settings__",
    env: { DATABRICKS_CONFIG_PROFILE: "__settings__" },
    files: cfg(`[__settings__]\ndefault_profile = DEFAULT\n[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: /reserved section name/,
  },
  {
    id: "profile-cli-login",
    kind: "profiles",
    title: "a profile written by `databricks auth login` (auth_type = databricks-cli)",
    files: cfg(`[DEFAULT]\nhost = ${AWS}\nauth_type = databricks-cli\n`),
    expect: "error",
    mtError: /is the Databricks CLI's login, which modeltrail does not support/,
  },

  // --- environment and file together --------------------------------------------------------------
  {
    id: "mixed-env-host-default-profile",
    kind: "mixed",
    title: "DATABRICKS_HOST and a DEFAULT profile for another workspace",
    env: { DATABRICKS_HOST: AWS },
    files: cfg(`[DEFAULT]\nhost = ${AWS2}\ntoken = ${PAT2}\n`),
    expect: "error",
    sdkError: NO_CREDENTIALS,
    mtError: /not read because DATABRICKS_HOST is set and no profile is named/,
  },
  {
    id: "mixed-env-token-default-profile",
    kind: "mixed",
    title: "DATABRICKS_TOKEN and a DEFAULT profile with a host",
    env: { DATABRICKS_TOKEN: PAT },
    files: cfg(`[DEFAULT]\nhost = ${AWS2}\ntoken = ${PAT2}\n`),
    expect: "error",
    mtError: /host is not configured/,
  },
  {
    id: "mixed-env-m2m-default-token",
    kind: "mixed",
    title: "M2M in the environment and a token in the DEFAULT profile",
    env: m2m(AWS),
    files: cfg(`[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "mixed-env-token-named-profile-host",
    kind: "mixed",
    title: "DATABRICKS_TOKEN and a named profile with only a host",
    env: { DATABRICKS_TOKEN: PAT, DATABRICKS_CONFIG_PROFILE: "ws" },
    files: cfg(`[ws]\nhost = ${AWS}\n`),
    expect: "ok",
  },
  {
    id: "mixed-env-overrides-named-profile",
    kind: "mixed",
    title: "DATABRICKS_TOKEN overrides the named profile's token for its own host",
    env: { DATABRICKS_TOKEN: PAT, DATABRICKS_CONFIG_PROFILE: "ws" },
    files: cfg(`[ws]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "mixed-env-host-named-profile-same",
    kind: "mixed",
    title: "DATABRICKS_HOST equal to the named profile's host",
    env: { DATABRICKS_HOST: AWS, DATABRICKS_CONFIG_PROFILE: "ws" },
    files: cfg(`[ws]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "mixed-env-host-named-profile-other",
    kind: "mixed",
    title: "DATABRICKS_HOST naming another workspace than the named profile that holds the token",
    env: { DATABRICKS_HOST: AWS2, DATABRICKS_CONFIG_PROFILE: "ws" },
    files: cfg(`[ws]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "error",
    differs: {
      why: "the SDK sends the profile's token to DATABRICKS_HOST's workspace; modeltrail refuses to send a profile's credential to a host other than the profile's own",
      sdk: { ok: true, host: AWS2, authorization: `Bearer ${PAT2}` },
      modeltrail: { ok: false },
    },
    mtError: /name different workspaces, and the profile's token would be sent to/,
  },
  {
    id: "mixed-config-file-only",
    kind: "mixed",
    title: "only DATABRICKS_CONFIG_FILE set",
    env: { DATABRICKS_CONFIG_FILE: "{home}/other.cfg" },
    files: { "other.cfg": `[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n` },
    expect: "ok",
  },
  {
    id: "mixed-config-file-and-host",
    kind: "mixed",
    title: "DATABRICKS_CONFIG_FILE and DATABRICKS_HOST, no profile",
    env: { DATABRICKS_CONFIG_FILE: "{home}/other.cfg", DATABRICKS_HOST: AWS },
    files: { "other.cfg": `[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n` },
    expect: "error",
    sdkError: NO_CREDENTIALS,
  },
  {
    id: "mixed-empty-env-value",
    kind: "mixed",
    title: "an empty DATABRICKS_TOKEN does not count, so the file is read",
    env: { DATABRICKS_TOKEN: "" },
    files: cfg(`[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\n`),
    expect: "ok",
  },
  {
    id: "mixed-env-auth-type-file-creds",
    kind: "mixed",
    title: "DATABRICKS_AUTH_TYPE in the environment, credentials in the DEFAULT profile",
    env: { DATABRICKS_AUTH_TYPE: "oauth-m2m" },
    files: cfg(
      `[DEFAULT]\nhost = ${AWS}\ntoken = ${PAT2}\nclient_id = sp-client\nclient_secret = ${SECRET}\n`,
    ),
    expect: "ok",
  },
  {
    id: "mixed-arm-profile-tenant-discovery",
    kind: "azure",
    title: "Azure service principal in a named profile, tenant found from the workspace",
    env: { DATABRICKS_CONFIG_PROFILE: "az" },
    files: cfg(`[az]\nhost = ${AZ}\nazure_client_id = arm-client\nazure_client_secret = ${ARM_SECRET}\n`),
    expect: "ok",
  },

  // --- account consoles ---------------------------------------------------------------------------
  {
    id: "accounts-pat",
    kind: "accounts",
    title: "accounts host, token and account id",
    env: { ...pat(ACCOUNTS), DATABRICKS_ACCOUNT_ID: ACCOUNT_ID },
    expect: "ok",
  },
  {
    id: "accounts-no-account-id",
    kind: "accounts",
    title: "accounts host without an account id",
    env: pat(ACCOUNTS),
    expect: "error",
    sdkError: /account_id is required/,
    mtError: /account console host, which needs the account id/,
  },
  {
    id: "accounts-m2m",
    kind: "accounts",
    title: "accounts host with a Databricks service principal",
    env: { ...m2m(ACCOUNTS), DATABRICKS_ACCOUNT_ID: ACCOUNT_ID },
    expect: "ok",
  },
  {
    id: "accounts-m2m-gcp",
    kind: "accounts",
    title: "GCP accounts host with a Databricks service principal",
    env: { ...m2m(ACCOUNTS_GCP), DATABRICKS_ACCOUNT_ID: ACCOUNT_ID },
    expect: "ok",
  },
  {
    id: "accounts-azure-pat",
    kind: "accounts",
    title: "Azure accounts host with a token",
    env: { ...pat(ACCOUNTS_AZ), DATABRICKS_ACCOUNT_ID: ACCOUNT_ID },
    expect: "ok",
  },
  {
    id: "accounts-profile",
    kind: "accounts",
    title: "account id and accounts host from a profile",
    env: { DATABRICKS_CONFIG_PROFILE: "acct" },
    files: cfg(
      `[acct]\nhost = ${ACCOUNTS}\naccount_id = ${ACCOUNT_ID}\nclient_id = sp-client\nclient_secret = ${SECRET}\n`,
    ),
    expect: "ok",
  },
];
