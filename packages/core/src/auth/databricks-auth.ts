import { homedir } from "node:os";
import { join } from "node:path";
import type { Dispatcher } from "undici";
import { ConfigError } from "../errors/config-error.js";
import type { RetryOptions } from "../http/types.js";
import { redactUrl, registerSecret } from "../redact.js";
import { AZURE_PUBLIC_AUTHORITY_HOST, azureClientSecretCredential } from "./azure-client-secret.js";
import { bearerToken } from "./bearer-token.js";
import type { CredentialProvider } from "./credential-provider.js";
import { readDatabricksConfig } from "./databricks-config-file.js";
import { databricksOAuthM2M } from "./databricks-oauth-m2m.js";

/** The Azure AD application id of Azure Databricks, the resource its tokens are issued for. */
export const AZURE_DATABRICKS_RESOURCE_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

/** Databricks auth methods modeltrail supports, in the order they are tried. */
export const DATABRICKS_AUTH_TYPES = ["pat", "oauth-m2m", "azure-client-secret"] as const;

/** A Databricks auth method. */
export type DatabricksAuthType = (typeof DATABRICKS_AUTH_TYPES)[number];

/** Options of `resolveDatabricksAuth`; each overrides its environment variable and config file key. */
export interface DatabricksAuthOptions {
  /** Workspace URL (`DATABRICKS_HOST`, `host`). A missing scheme means https. */
  host?: string | undefined;
  /** Personal access token (`DATABRICKS_TOKEN`, `token`). */
  token?: string | undefined;
  /** OAuth M2M client id (`DATABRICKS_CLIENT_ID`, `client_id`). */
  clientId?: string | undefined;
  /** OAuth M2M secret (`DATABRICKS_CLIENT_SECRET`, `client_secret`). */
  clientSecret?: string | undefined;
  /** Azure service principal client id (`ARM_CLIENT_ID`, `azure_client_id`). */
  azureClientId?: string | undefined;
  /** Azure service principal secret (`ARM_CLIENT_SECRET`, `azure_client_secret`). */
  azureClientSecret?: string | undefined;
  /** Azure tenant id (`ARM_TENANT_ID`, `azure_tenant_id`). */
  azureTenantId?: string | undefined;
  /** Config file profile (`DATABRICKS_CONFIG_PROFILE`; default `DEFAULT`). */
  profile?: string | undefined;
  /** Config file path (`DATABRICKS_CONFIG_FILE`; default `~/.databrickscfg`). */
  configFile?: string | undefined;
  /**
   * Azure resource id of the workspace (`DATABRICKS_AZURE_RESOURCE_ID`, `azure_workspace_resource_id`),
   * `/subscriptions/.../providers/Microsoft.Databricks/workspaces/<name>`. With `azure-client-secret`
   * it is sent as `X-Databricks-Azure-Workspace-Resource-Id` together with an Azure management token
   * (`X-Databricks-Azure-SP-Management-Token`), which lets a service principal that is not yet a
   * workspace user be added on first use, as the Databricks SDKs do.
   */
  azureWorkspaceResourceId?: string | undefined;
  /** With `azure-client-secret`, always send `X-Databricks-Azure-SP-Management-Token` (default: only with a workspace resource id). */
  azureManagementToken?: boolean | undefined;
  /** Forces one method (`DATABRICKS_AUTH_TYPE`, `auth_type`). */
  authType?: DatabricksAuthType | string | undefined;
  /**
   * Azure AD authority host for `azure-client-secret` (`AZURE_AUTHORITY_HOST`; default chosen from the
   * workspace host: public, China or US Government cloud).
   */
  azureAuthorityHost?: string | undefined;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined> | undefined;
  /** Home directory for `~/.databrickscfg` (default `os.homedir()`). */
  homeDir?: string | undefined;
  /** undici dispatcher for token requests (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
  /** Clock in ms since the epoch for token expiry (default `Date.now`). */
  clock?: (() => number) | undefined;
  /** Retry policy of token requests. */
  retry?: Partial<RetryOptions> | undefined;
}

/** The outcome of `resolveDatabricksAuth`. */
export interface DatabricksAuth {
  /** Workspace URL, normalized to scheme and host (`https://adb-1.2.azuredatabricks.net`). */
  host: string;
  /** The method chosen. */
  authType: DatabricksAuthType;
  /** Supplies the Authorization header for workspace API calls. */
  provider: CredentialProvider;
  /** The config file profile that supplied settings, when one did. */
  profile?: string;
  /** Where each setting came from (`DATABRICKS_HOST`, `option host`, `profile DEFAULT in /home/x/.databrickscfg`), for diagnostics. */
  sources: Record<string, string>;
}

/** One setting: its option name, environment variable and config file key. */
interface Attribute {
  option: keyof DatabricksAuthOptions;
  env: string;
  key: string;
  secret?: boolean;
}

const ATTRIBUTES = {
  host: { option: "host", env: "DATABRICKS_HOST", key: "host" },
  token: { option: "token", env: "DATABRICKS_TOKEN", key: "token", secret: true },
  clientId: { option: "clientId", env: "DATABRICKS_CLIENT_ID", key: "client_id" },
  clientSecret: {
    option: "clientSecret",
    env: "DATABRICKS_CLIENT_SECRET",
    key: "client_secret",
    secret: true,
  },
  azureClientId: { option: "azureClientId", env: "ARM_CLIENT_ID", key: "azure_client_id" },
  azureClientSecret: {
    option: "azureClientSecret",
    env: "ARM_CLIENT_SECRET",
    key: "azure_client_secret",
    secret: true,
  },
  azureTenantId: { option: "azureTenantId", env: "ARM_TENANT_ID", key: "azure_tenant_id" },
  azureWorkspaceResourceId: {
    option: "azureWorkspaceResourceId",
    env: "DATABRICKS_AZURE_RESOURCE_ID",
    key: "azure_workspace_resource_id",
  },
  authType: { option: "authType", env: "DATABRICKS_AUTH_TYPE", key: "auth_type" },
} satisfies Record<string, Attribute>;

type AttributeName = keyof typeof ATTRIBUTES;

/** What each method needs. */
const REQUIRED: Record<DatabricksAuthType, AttributeName[]> = {
  pat: ["token"],
  "oauth-m2m": ["clientId", "clientSecret"],
  "azure-client-secret": ["azureClientId", "azureClientSecret", "azureTenantId"],
};

/**
 * Resolves Databricks credentials the way the Databricks SDKs' unified auth does. Each setting is
 * taken from the explicit option, else its environment variable (`DATABRICKS_HOST`,
 * `DATABRICKS_TOKEN`, `DATABRICKS_CLIENT_ID`/`DATABRICKS_CLIENT_SECRET`,
 * `ARM_CLIENT_ID`/`ARM_CLIENT_SECRET`/`ARM_TENANT_ID`, `DATABRICKS_AUTH_TYPE`), else the config file
 * profile (`DATABRICKS_CONFIG_FILE` or `~/.databrickscfg`, profile `DATABRICKS_CONFIG_PROFILE` or
 * `DEFAULT`). Then the first method with all its settings wins, in the order `pat` (bearer token),
 * `oauth-m2m` (client credentials against the token endpoint from the workspace's OIDC metadata,
 * scope `all-apis`), `azure-client-secret` (Azure AD token for the Azure Databricks resource);
 * `authType` forces one. No network request is made here: tokens are fetched on first use.
 *
 * @throws ConfigError when no method is complete: the message lists every method tried and what it
 * lacked, and whether the config file or profile was found. Also when an explicitly named profile
 * does not exist, the host is malformed, or `authType` is unknown.
 */
export async function resolveDatabricksAuth(options: DatabricksAuthOptions = {}): Promise<DatabricksAuth> {
  const env = options.env ?? process.env;
  const fromEnv = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const values: Partial<Record<AttributeName, string>> = {};
  const sources: Record<string, string> = {};
  for (const [name, attr] of Object.entries(ATTRIBUTES) as [AttributeName, Attribute][]) {
    const explicit = options[attr.option];
    if (typeof explicit === "string" && explicit.trim() !== "") {
      values[name] = explicit.trim();
      sources[name] = `option ${attr.option}`;
      if (attr.secret) registerSecret(values[name]);
    } else if (fromEnv(attr.env) !== undefined) {
      values[name] = fromEnv(attr.env)!;
      sources[name] = attr.env;
      if (attr.secret) registerSecret(values[name]);
    }
  }

  // The config file fills in whatever options and environment left unset.
  const explicitProfile = nonEmpty(options.profile) ?? fromEnv("DATABRICKS_CONFIG_PROFILE");
  const profileName = explicitProfile ?? "DEFAULT";
  const configPath = expandHome(
    nonEmpty(options.configFile) ?? fromEnv("DATABRICKS_CONFIG_FILE") ?? "~/.databrickscfg",
    options.homeDir ?? homedir(),
  );
  const profiles = await readDatabricksConfig(configPath);
  let fileNote: string;
  let usedProfile: string | undefined;
  if (!profiles) {
    if (explicitProfile)
      throw new ConfigError(
        `Databricks profile ${profileName} was requested but ${configPath} does not exist`,
        {
          sources: ["DATABRICKS_CONFIG_FILE", "DATABRICKS_CONFIG_PROFILE"],
          hint: "Create the profile (databricks auth login / databricks configure), point DATABRICKS_CONFIG_FILE at the right file, or unset DATABRICKS_CONFIG_PROFILE",
        },
      );
    fileNote = `config file ${configPath} not found`;
  } else {
    const section = profiles.get(profileName);
    if (!section || Object.keys(section).length === 0) {
      if (explicitProfile) {
        const known = [...profiles.keys()].filter((p) => Object.keys(profiles.get(p) ?? {}).length > 0);
        throw new ConfigError(
          `Databricks profile ${profileName} not found in ${configPath} (profiles: ${known.join(", ") || "none"})`,
          { sources: ["DATABRICKS_CONFIG_PROFILE"], hint: "Name an existing profile" },
        );
      }
      fileNote = `profile ${profileName} not found in ${configPath}`;
    } else {
      usedProfile = profileName;
      fileNote = `profile ${profileName} in ${configPath}`;
      for (const [name, attr] of Object.entries(ATTRIBUTES) as [AttributeName, Attribute][]) {
        const v = section[attr.key]?.trim();
        if (values[name] === undefined && v) {
          values[name] = v;
          sources[name] = `profile ${profileName} in ${configPath}`;
          if (attr.secret) registerSecret(v);
        }
      }
    }
  }

  const describeMissing = (name: AttributeName) => `${ATTRIBUTES[name].env} not set`;
  const missingFor = (type: DatabricksAuthType) => REQUIRED[type].filter((n) => values[n] === undefined);

  const forced = values.authType;
  if (forced !== undefined && !(DATABRICKS_AUTH_TYPES as readonly string[]).includes(forced))
    throw new ConfigError(
      `Databricks auth type "${forced}" (from ${sources.authType}) is not supported; use one of ${DATABRICKS_AUTH_TYPES.join(", ")}`,
      { sources: ["DATABRICKS_AUTH_TYPE"] },
    );
  const candidates: DatabricksAuthType[] = forced
    ? [forced as DatabricksAuthType]
    : [...DATABRICKS_AUTH_TYPES];

  const tried: string[] = [];
  let chosen: DatabricksAuthType | undefined;
  for (const type of candidates) {
    const missing = missingFor(type);
    if (missing.length === 0) {
      chosen = type;
      break;
    }
    tried.push(`${type}: ${missing.map(describeMissing).join(", ")}`);
  }
  if (!values.host || !chosen) {
    const problems = [...(values.host ? [] : ["host: DATABRICKS_HOST not set"]), ...tried, fileNote];
    const lead = forced
      ? `Databricks auth type ${forced} was forced by ${sources.authType} but is not configured`
      : chosen
        ? "Databricks workspace host is not configured"
        : "No Databricks credentials found";
    const needed = new Set<string>();
    if (!values.host) needed.add("DATABRICKS_HOST");
    for (const type of candidates) for (const n of missingFor(type)) needed.add(ATTRIBUTES[n].env);
    throw new ConfigError(`${lead}. Tried: ${problems.join("; ")}`, {
      sources: [...needed, "DATABRICKS_CONFIG_FILE", "DATABRICKS_CONFIG_PROFILE"],
      hint: "Set DATABRICKS_HOST with DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET or ARM_CLIENT_ID/ARM_CLIENT_SECRET/ARM_TENANT_ID, or configure a profile in ~/.databrickscfg",
    });
  }

  const host = normalizeDatabricksHost(values.host, sources.host ?? "host");
  const provider = createProvider(chosen, host, values, options, env);
  const result: DatabricksAuth = { host, authType: chosen, provider, sources };
  if (usedProfile) result.profile = usedProfile;
  return result;
}

function createProvider(
  type: DatabricksAuthType,
  host: string,
  values: Partial<Record<AttributeName, string>>,
  options: DatabricksAuthOptions,
  env: Record<string, string | undefined>,
): CredentialProvider {
  switch (type) {
    case "pat":
      return bearerToken(values.token!, { kind: "pat" });
    case "oauth-m2m":
      return databricksOAuthM2M({
        host,
        clientId: values.clientId!,
        clientSecret: values.clientSecret!,
        dispatcher: options.dispatcher,
        clock: options.clock,
        retry: options.retry,
      });
    case "azure-client-secret":
      return azureServicePrincipal(host, values, options, env);
  }
}

/** Azure management endpoints (the resource of `X-Databricks-Azure-SP-Management-Token`) per authority. */
const AZURE_MANAGEMENT_RESOURCES: Record<string, string> = {
  "https://login.microsoftonline.com": "https://management.core.windows.net/",
  "https://login.chinacloudapi.cn": "https://management.core.chinacloudapi.cn/",
  "https://login.microsoftonline.us": "https://management.core.usgovcloudapi.net/",
};

function azureServicePrincipal(
  host: string,
  values: Partial<Record<AttributeName, string>>,
  options: DatabricksAuthOptions,
  env: Record<string, string | undefined>,
): CredentialProvider {
  const authorityHost =
    nonEmpty(options.azureAuthorityHost) ??
    nonEmpty(env.AZURE_AUTHORITY_HOST) ??
    azureAuthorityHostForWorkspace(host);
  const common = {
    tenantId: values.azureTenantId!,
    clientId: values.azureClientId!,
    clientSecret: values.azureClientSecret!,
    authorityHost,
    dispatcher: options.dispatcher,
    clock: options.clock,
    retry: options.retry,
  };
  const workspace = azureClientSecretCredential({
    ...common,
    scope: `${AZURE_DATABRICKS_RESOURCE_ID}/.default`,
  });
  const resourceId = values.azureWorkspaceResourceId;
  if (!resourceId && !options.azureManagementToken) return workspace;
  const managementResource =
    AZURE_MANAGEMENT_RESOURCES[azureAuthorityHostForWorkspace(host)] ??
    AZURE_MANAGEMENT_RESOURCES[AZURE_PUBLIC_AUTHORITY_HOST]!;
  const management = azureClientSecretCredential({ ...common, resource: managementResource });
  return {
    kind: workspace.kind,
    async getAuthHeaders(context) {
      const [token, mgmt] = await Promise.all([workspace.getToken(context), management.getToken(context)]);
      const out: Record<string, string> = {
        authorization: `Bearer ${token.token}`,
        "x-databricks-azure-sp-management-token": mgmt.token,
      };
      if (resourceId) out["x-databricks-azure-workspace-resource-id"] = resourceId;
      return out;
    },
    async close() {
      await Promise.all([workspace.close(), management.close()]);
    },
  };
}

/**
 * Normalizes a workspace host to `scheme://host[:port]`: adds `https://` when no scheme is given,
 * drops paths, queries and trailing slashes.
 *
 * @throws ConfigError when the host is not an http(s) URL. `source` names where it came from.
 */
export function normalizeDatabricksHost(host: string, source = "DATABRICKS_HOST"): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`The Databricks host "${redactUrl(host)}" (from ${source}) is not a valid URL`, {
      sources: ["DATABRICKS_HOST"],
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`The Databricks host "${redactUrl(host)}" (from ${source}) must be an https URL`, {
      sources: ["DATABRICKS_HOST"],
    });
  return url.origin;
}

/** Picks the Azure AD authority for an Azure Databricks workspace host (public, China, US Government). */
export function azureAuthorityHostForWorkspace(host: string): string {
  const hostname = new URL(host).hostname.toLowerCase();
  if (hostname.endsWith(".databricks.azure.cn")) return "https://login.chinacloudapi.cn";
  if (hostname.endsWith(".databricks.azure.us")) return "https://login.microsoftonline.us";
  return AZURE_PUBLIC_AUTHORITY_HOST;
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function expandHome(path: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/") || path.startsWith("~\\")) return join(home, path.slice(2));
  return path;
}
