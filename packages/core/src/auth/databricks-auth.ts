import { homedir } from "node:os";
import { join } from "node:path";
import type { Dispatcher } from "undici";
import { ConfigError } from "../errors/config-error.js";
import type { RetryOptions } from "../http/types.js";
import { redactedExcerpt, redactUrl, registerSecret } from "../redact.js";
import { AZURE_PUBLIC_AUTHORITY_HOST } from "./azure-client-secret.js";
import { azureWorkspaceHost, checkAzureWorkspaceResourceId } from "./azure-workspace-host.js";
import { basicAuth } from "./basic-auth.js";
import { bearerToken } from "./bearer-token.js";
import type { CredentialProvider } from "./credential-provider.js";
import {
  DATABRICKS_AUTH_METHODS,
  DATABRICKS_AUTH_TYPES,
  DATABRICKS_FAMILY_LABELS,
  DATABRICKS_SETTINGS,
  type DatabricksAuthFamily,
  type DatabricksAuthType,
  type DatabricksSetting,
  type DatabricksSettingName,
  UNSUPPORTED_DATABRICKS_AUTH_TYPES,
} from "./databricks-auth-settings.js";
import { databricksAzureServicePrincipal } from "./databricks-azure-service-principal.js";
import {
  DATABRICKS_SETTINGS_SECTION,
  type DatabricksConfigEntry,
  type DatabricksConfigFile,
  readDatabricksConfig,
} from "./databricks-config-file.js";
import {
  AZURE_ENVIRONMENTS,
  azureEnvironmentOfHost,
  type DatabricksCloud,
  databricksCloudOfHost,
  isDatabricksAccountsHost,
  parseAzureEnvironment,
  parseDatabricksCloud,
} from "./databricks-environment.js";
import { databricksOAuthM2M } from "./databricks-oauth-m2m.js";

/**
 * Options of `resolveDatabricksAuth`. Each setting overrides its environment variable and config
 * file key, named in its comment.
 */
export interface DatabricksAuthOptions {
  /** Workspace or accounts URL (`DATABRICKS_HOST`, `host`). A missing scheme means https. */
  host?: string | undefined;
  /** Account id, needed with an accounts host (`DATABRICKS_ACCOUNT_ID`, `account_id`). */
  accountId?: string | undefined;
  /** Personal access token (`DATABRICKS_TOKEN`, `token`). */
  token?: string | undefined;
  /** Basic auth user (`DATABRICKS_USERNAME`, `username`). */
  username?: string | undefined;
  /** Basic auth password (`DATABRICKS_PASSWORD`, `password`). */
  password?: string | undefined;
  /** OAuth M2M client id (`DATABRICKS_CLIENT_ID`, `client_id`). */
  clientId?: string | undefined;
  /** OAuth M2M secret (`DATABRICKS_CLIENT_SECRET`, `client_secret`). */
  clientSecret?: string | undefined;
  /** Azure service principal client id (`ARM_CLIENT_ID`, `azure_client_id`). */
  azureClientId?: string | undefined;
  /** Azure service principal secret (`ARM_CLIENT_SECRET`, `azure_client_secret`). */
  azureClientSecret?: string | undefined;
  /**
   * Azure tenant id (`ARM_TENANT_ID`, `azure_tenant_id`). When absent it is found from the workspace
   * (`{host}/aad/auth`) on the first request, as the Databricks SDKs do.
   */
  azureTenantId?: string | undefined;
  /**
   * Azure resource id of the workspace (`DATABRICKS_AZURE_RESOURCE_ID`, `azure_workspace_resource_id`),
   * `/subscriptions/.../providers/Microsoft.Databricks/workspaces/<name>`. With `azure-client-secret`
   * it is sent as `X-Databricks-Azure-Workspace-Resource-Id` together with an Azure management token,
   * which lets a service principal that is not yet a workspace user be added on first use; without a
   * host, the workspace URL is read from Azure Resource Manager (the one network call this function
   * can make).
   */
  azureWorkspaceResourceId?: string | undefined;
  /** Azure cloud when the host does not tell it (`ARM_ENVIRONMENT`, `azure_environment`): PUBLIC, USGOVERNMENT, CHINA. */
  azureEnvironment?: string | undefined;
  /** The cloud, when the host name does not tell it (`DATABRICKS_CLOUD`, `cloud`): aws, azure, gcp. */
  cloud?: string | undefined;
  /** With `azure-client-secret`, always send `X-Databricks-Azure-SP-Management-Token` (default: only with a workspace resource id). */
  azureManagementToken?: boolean | undefined;
  /** Forces one method (`DATABRICKS_AUTH_TYPE`, `auth_type`); needed when several are configured. */
  authType?: DatabricksAuthType | string | undefined;
  /** Config file profile (`DATABRICKS_CONFIG_PROFILE`; default `[__settings__] default_profile`, then `DEFAULT`). */
  profile?: string | undefined;
  /** Config file path (`DATABRICKS_CONFIG_FILE`; default `~/.databrickscfg`). */
  configFile?: string | undefined;
  /** Entra ID authority for `azure-client-secret` (`AZURE_AUTHORITY_HOST`; default: the host's Azure cloud). */
  azureAuthorityHost?: string | undefined;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined> | undefined;
  /** Home directory for `~/.databrickscfg` (default `os.homedir()`). */
  homeDir?: string | undefined;
  /** undici dispatcher for token, discovery and Azure Resource Manager requests (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
  /** Clock in ms since the epoch for token expiry (default `Date.now`). */
  clock?: (() => number) | undefined;
  /** Retry policy of token, discovery and Azure Resource Manager requests. */
  retry?: Partial<RetryOptions> | undefined;
  /** Per-attempt timeout of token, discovery and Azure Resource Manager requests in ms. */
  timeoutMs?: number | undefined;
  /** Aborts the Azure Resource Manager look-up of the workspace URL, the only request made here. */
  signal?: AbortSignal | undefined;
}

/** The outcome of `resolveDatabricksAuth`. */
export interface DatabricksAuth {
  /** Workspace or accounts URL, reduced to its origin (`https://adb-1.2.azuredatabricks.net`). */
  host: string;
  /** `accounts` for an account console host (account-level APIs), else `workspace`. */
  hostType: "workspace" | "accounts";
  /** The cloud: from `DATABRICKS_CLOUD`, an Azure resource id, or the host name. */
  cloud: DatabricksCloud;
  /** The method chosen. */
  authType: DatabricksAuthType;
  /** Supplies the Authorization header (and Azure headers) for API calls; fetches tokens on first use. */
  provider: CredentialProvider;
  /** Who the requests act as, never a secret: the basic auth user or the OAuth / Azure client id. */
  principal?: string;
  /** The account id, when one is configured. */
  accountId?: string;
  /** The config file profile that supplied settings, when one did. */
  profile?: string;
  /** The config file read, when a profile of it was used. */
  configFile?: string;
  /**
   * Where each setting came from, by setting name (`host`, `token`, `clientId`...):
   * `DATABRICKS_HOST`, `option host`, `token in profile DEFAULT of /home/x/.databrickscfg`,
   * `Azure Resource Manager (from DATABRICKS_AZURE_RESOURCE_ID)`.
   */
  sources: Record<string, string>;
}

/** A setting's value and where it came from. */
interface Found {
  value: string;
  source: string;
  from: "option" | "env" | "file";
}

/** What happened with the config file. */
type FileUse =
  | { state: "skipped"; because: string[]; path: string }
  | { state: "missing"; path: string }
  | { state: "no-profile"; path: string }
  | {
      state: "used";
      path: string;
      profile: string;
      fallback: boolean;
      section: Map<string, DatabricksConfigEntry>;
    };

const SETTING_NAMES = Object.keys(DATABRICKS_SETTINGS) as DatabricksSettingName[];
const setting = (name: DatabricksSettingName): DatabricksSetting => DATABRICKS_SETTINGS[name];

/**
 * Resolves Databricks credentials as the Databricks SDKs' unified auth does (databricks-sdk-py and
 * databricks-sdk-go `Config`), and refuses what they refuse:
 *
 * 1. Each setting comes from its explicit option, else its environment variable (`DATABRICKS_HOST`,
 *    `DATABRICKS_TOKEN`, `DATABRICKS_USERNAME`/`DATABRICKS_PASSWORD`,
 *    `DATABRICKS_CLIENT_ID`/`DATABRICKS_CLIENT_SECRET`, `ARM_CLIENT_ID`/`ARM_CLIENT_SECRET`/`ARM_TENANT_ID`,
 *    `DATABRICKS_AZURE_RESOURCE_ID`, `DATABRICKS_ACCOUNT_ID`, `DATABRICKS_AUTH_TYPE`...).
 * 2. The config file (`DATABRICKS_CONFIG_FILE` or `~/.databrickscfg`) fills what is still unset, but
 *    only when a profile is named (`profile`, `DATABRICKS_CONFIG_PROFILE`) or nothing set a host or
 *    a credential: credentials of a profile never go to a host from elsewhere by accident. The
 *    profile is the named one, else `[__settings__] default_profile`, else `DEFAULT`.
 * 3. Settings of several methods (token and client id, token and `ARM_*`...) are refused unless
 *    `authType` says which to use. Then the first complete method wins, in the SDKs' order: `pat`,
 *    `basic`, `oauth-m2m`, `azure-client-secret`.
 *
 * No network request is made here, except to read the workspace URL from Azure Resource Manager
 * when only `DATABRICKS_AZURE_RESOURCE_ID` names the workspace. Tokens, OAuth endpoints and the Azure
 * tenant (when `ARM_TENANT_ID` is unset) are fetched on first use. Host names are reduced to their
 * origin. Secrets are registered for redaction and never appear in a message.
 *
 * @throws ConfigError when no method is complete (listing every method tried, what each lacked, and
 * what happened with the config file), when several methods are configured, when a named profile
 * or its file does not exist, when the config file is malformed or a value used from it is
 * ambiguous (spans lines, looks like it carries an inline comment), when `DATABRICKS_HOST` and the
 * named profile's host differ while the profile supplies the credential, when an Azure service
 * principal is configured for a host outside Azure, when an accounts host has no account id, or a
 * value (host, auth type, cloud, resource id) is malformed. Errors of the Azure Resource Manager
 * look-up (ApiError, NetworkError, TimeoutError, AbortError) pass through.
 */
export async function resolveDatabricksAuth(options: DatabricksAuthOptions = {}): Promise<DatabricksAuth> {
  const env = options.env ?? process.env;
  const envValue = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const found: Partial<Record<DatabricksSettingName, Found>> = {};
  const set = (name: DatabricksSettingName, value: string, source: string, from: Found["from"]) => {
    if (setting(name).secret) registerSecret(value);
    found[name] = { value, source, from };
  };

  // 1. Explicit options, then the environment.
  for (const name of SETTING_NAMES) {
    const s = setting(name);
    const explicit = s.option ? (options as Record<string, unknown>)[s.option] : undefined;
    if (typeof explicit === "string" && explicit.trim() !== "") {
      set(name, explicit.trim(), `option ${s.option}`, "option");
      continue;
    }
    for (const variable of [s.env, ...(s.envAliases ?? [])]) {
      const v = envValue(variable);
      if (v !== undefined) {
        set(name, v, variable, "env");
        break;
      }
    }
  }

  // 2. The config file, unless the options or the environment already name a host or a credential.
  const requested = nonEmpty(options.profile)
    ? { name: nonEmpty(options.profile)!, source: "option profile" }
    : envValue("DATABRICKS_CONFIG_PROFILE")
      ? { name: envValue("DATABRICKS_CONFIG_PROFILE")!, source: "DATABRICKS_CONFIG_PROFILE" }
      : undefined;
  const configPath = expandHome(
    nonEmpty(options.configFile) ?? envValue("DATABRICKS_CONFIG_FILE") ?? "~/.databrickscfg",
    options.homeDir ?? homedir(),
  );
  const preset = SETTING_NAMES.filter((n) => found[n] && (setting(n).family || n === "host"));
  let file: FileUse;
  if (!requested && preset.length > 0) {
    file = { state: "skipped", because: preset.map((n) => found[n]!.source), path: configPath };
  } else {
    file = await loadProfile(configPath, requested);
    if (file.state === "used") {
      for (const name of SETTING_NAMES) {
        if (found[name]) continue;
        const entry = file.section.get(setting(name).key);
        if (!entry) continue;
        const source = `${setting(name).key} in profile ${file.profile} of ${file.path}`;
        checkFileValue(entry, name, source);
        const v = entry.value.trim();
        if (v !== "") set(name, v, source, "file");
      }
    }
  }

  const sources: Record<string, string> = {};
  for (const name of SETTING_NAMES) if (found[name]) sources[name] = found[name]!.source;
  const describe = (name: DatabricksSettingName) => {
    const s = setting(name);
    return file.state === "used" ? `${s.env} (or ${s.key} in profile ${file.profile})` : s.env;
  };
  const fileNote = describeFile(file);

  // 3. One method, unless the auth type says which.
  const forced = found.authType;
  if (forced && !(DATABRICKS_AUTH_TYPES as readonly string[]).includes(forced.value)) {
    const what = UNSUPPORTED_DATABRICKS_AUTH_TYPES[forced.value];
    throw new ConfigError(
      what
        ? `Databricks auth type "${forced.value}" (from ${forced.source}) is ${what}, which modeltrail does not support`
        : `Databricks auth type "${forced.value}" (from ${forced.source}) is not a known auth type`,
      {
        sources: ["DATABRICKS_AUTH_TYPE"],
        hint: `Use one of ${DATABRICKS_AUTH_TYPES.join(", ")} and configure its settings, or unset the auth type`,
      },
    );
  }
  const families = new Map<DatabricksAuthFamily, string[]>();
  for (const name of SETTING_NAMES) {
    const family = setting(name).family;
    if (!family || !found[name]) continue;
    families.set(family, [...(families.get(family) ?? []), found[name]!.source]);
  }
  if (!forced && families.size > 1) {
    const listed = [...families].map(([f, srcs]) => `${DATABRICKS_FAMILY_LABELS[f]} from ${srcs.join(", ")}`);
    throw new ConfigError(
      `Several Databricks auth methods are configured at once: ${listed.join("; and ")}. Like the Databricks SDKs, modeltrail does not guess which to use`,
      {
        sources: ["DATABRICKS_AUTH_TYPE", ...new Set([...families.values()].flat())],
        hint: `Set DATABRICKS_AUTH_TYPE${file.state === "used" ? ` (or auth_type in profile ${file.profile})` : ""} to the method to use (${DATABRICKS_AUTH_TYPES.join(", ")}), or remove the settings of the others`,
      },
    );
  }

  const candidates: readonly DatabricksAuthType[] = forced
    ? [forced.value as DatabricksAuthType]
    : DATABRICKS_AUTH_TYPES;
  const tried: string[] = [];
  let chosen: DatabricksAuthType | undefined;
  for (const type of candidates) {
    const missing = DATABRICKS_AUTH_METHODS[type].needs.filter((n) => !found[n]);
    if (missing.length === 0) {
      chosen = type;
      break;
    }
    tried.push(`${type}: ${missing.map(describe).join(", ")} not set`);
  }
  const unsupported = [...families.keys()].filter(
    (f) => !Object.values(DATABRICKS_AUTH_METHODS).some((m) => m.family === f),
  );
  if (!chosen) {
    const needed = new Set<string>();
    if (!found.host) needed.add("DATABRICKS_HOST");
    for (const type of candidates)
      for (const n of DATABRICKS_AUTH_METHODS[type].needs) if (!found[n]) needed.add(setting(n).env);
    const problems = [...(found.host ? [] : [`host: ${describe("host")} not set`]), ...tried, fileNote];
    if (!forced && unsupported.length > 0) {
      const f = unsupported[0]!;
      throw new ConfigError(
        `Databricks auth is configured for ${DATABRICKS_FAMILY_LABELS[f]} (from ${families.get(f)!.join(", ")}), which modeltrail does not support. Tried: ${problems.join("; ")}`,
        {
          sources: [...families.get(f)!],
          hint: `Configure one of ${DATABRICKS_AUTH_TYPES.join(", ")} instead`,
        },
      );
    }
    const lead = forced
      ? `Databricks auth type ${forced.value} (from ${forced.source}) is not fully configured`
      : "No Databricks credentials found";
    throw new ConfigError(`${lead}. Tried: ${problems.join("; ")}`, {
      sources: [...needed, "DATABRICKS_CONFIG_FILE", "DATABRICKS_CONFIG_PROFILE"],
      hint: "Set DATABRICKS_HOST with DATABRICKS_TOKEN, DATABRICKS_USERNAME/DATABRICKS_PASSWORD, DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET or ARM_CLIENT_ID/ARM_CLIENT_SECRET, or name a profile of ~/.databrickscfg with DATABRICKS_CONFIG_PROFILE",
    });
  }

  // Credentials from the named profile must not go to a host named elsewhere.
  if (file.state === "used" && found.host && found.host.from !== "file") {
    const own = file.section.get("host")?.value.trim();
    const fromProfile = DATABRICKS_AUTH_METHODS[chosen].needs.filter((n) => found[n]?.from === "file");
    if (own && fromProfile.length > 0 && sameHost(own, found.host.value) === false) {
      const key = setting(fromProfile[0]!).key;
      throw new ConfigError(
        `${found.host.source} (${redactUrl(found.host.value)}) and host in profile ${file.profile} of ${file.path} (${redactUrl(own)}) name different workspaces, and the profile's ${key} would be sent to ${redactUrl(found.host.value)}`,
        {
          sources: [setting("host").env, "DATABRICKS_CONFIG_PROFILE"],
          hint: `Unset ${found.host.from === "env" ? found.host.source : "the host option"} to use the profile's workspace, or name the profile of ${redactUrl(found.host.value)}`,
        },
      );
    }
  }

  // The cloud and, for Azure, its endpoints.
  if (found.azureTenantId && !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(found.azureTenantId.value))
    throw new ConfigError(
      `The Azure tenant id "${redactedExcerpt(found.azureTenantId.value, 100)}" (from ${found.azureTenantId.source}) is not a tenant GUID or domain name`,
      { sources: ["ARM_TENANT_ID"], hint: "Use the directory (tenant) id of the service principal" },
    );
  const resourceId = found.azureWorkspaceResourceId
    ? checkAzureWorkspaceResourceId(
        found.azureWorkspaceResourceId.value,
        found.azureWorkspaceResourceId.source,
      )
    : undefined;
  const explicitCloud = found.cloud ? parseDatabricksCloud(found.cloud.value, found.cloud.source) : undefined;
  const armEnvironment = found.azureEnvironment
    ? parseAzureEnvironment(found.azureEnvironment.value, found.azureEnvironment.source)
    : undefined;

  let hostValue = found.host?.value;
  if (!hostValue && chosen === "azure-client-secret" && resourceId) {
    if (!found.azureTenantId)
      throw new ConfigError(
        `Finding the workspace URL from ${found.azureWorkspaceResourceId!.source} needs the service principal's tenant: ${describe("azureTenantId")} is not set`,
        {
          sources: ["ARM_TENANT_ID", "DATABRICKS_HOST"],
          hint: "Set ARM_TENANT_ID, or set DATABRICKS_HOST to the workspace URL",
        },
      );
    hostValue = await azureWorkspaceHost({
      resourceId,
      environment: armEnvironment ?? AZURE_ENVIRONMENTS.PUBLIC,
      authorityHost: nonEmpty(options.azureAuthorityHost) ?? envValue("AZURE_AUTHORITY_HOST"),
      tenantId: found.azureTenantId.value,
      clientId: found.azureClientId!.value,
      clientSecret: found.azureClientSecret!.value,
      dispatcher: options.dispatcher,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
    });
    sources.host = `Azure Resource Manager (from ${found.azureWorkspaceResourceId!.source})`;
  }
  if (!hostValue)
    throw new ConfigError(
      `Databricks workspace host is not configured for auth type ${chosen}. Tried: host: ${describe("host")} not set; ${fileNote}`,
      {
        sources: ["DATABRICKS_HOST", "DATABRICKS_CONFIG_FILE", "DATABRICKS_CONFIG_PROFILE"],
        hint: "Set DATABRICKS_HOST to the workspace URL, e.g. https://adb-1234567890123456.7.azuredatabricks.net",
      },
    );
  const host = normalizeDatabricksHost(hostValue, sources.host ?? "host");
  const cloud: DatabricksCloud = resourceId ? "azure" : (explicitCloud ?? databricksCloudOfHost(host));
  const hostType = isDatabricksAccountsHost(host) ? "accounts" : "workspace";
  if (hostType === "accounts" && !found.accountId)
    throw new ConfigError(
      `${redactUrl(host)} is an account console host, which needs the account id: ${describe("accountId")} is not set`,
      {
        sources: ["DATABRICKS_ACCOUNT_ID"],
        hint: "Set DATABRICKS_ACCOUNT_ID to the account id shown in the account console, or set DATABRICKS_HOST to a workspace URL",
      },
    );

  let provider: CredentialProvider;
  let principal: string | undefined;
  switch (chosen) {
    case "pat":
      provider = bearerToken(found.token!.value, { kind: "pat" });
      break;
    case "basic":
      principal = found.username!.value;
      provider = basicAuth(principal, found.password!.value);
      break;
    case "oauth-m2m":
      principal = found.clientId!.value;
      provider = databricksOAuthM2M({
        host,
        accountId: hostType === "accounts" ? found.accountId!.value : undefined,
        clientId: principal,
        clientSecret: found.clientSecret!.value,
        dispatcher: options.dispatcher,
        clock: options.clock,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
      });
      break;
    case "azure-client-secret": {
      if (cloud !== "azure")
        throw new ConfigError(
          `The Azure service principal (${found.azureClientId!.source}) cannot sign in to ${redactUrl(host)}: it is not an Azure Databricks host (*.azuredatabricks.net, *.databricks.azure.us, *.databricks.azure.cn)`,
          {
            sources: ["ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "DATABRICKS_HOST", "DATABRICKS_CLOUD"],
            hint: "Use a Databricks service principal (DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET) or a token for this workspace; for Azure Databricks behind another host name, set DATABRICKS_CLOUD=azure or DATABRICKS_AZURE_RESOURCE_ID",
          },
        );
      principal = found.azureClientId!.value;
      provider = databricksAzureServicePrincipal({
        host,
        environment: azureEnvironmentOfHost(host) ?? armEnvironment ?? AZURE_ENVIRONMENTS.PUBLIC,
        authorityHost: nonEmpty(options.azureAuthorityHost) ?? envValue("AZURE_AUTHORITY_HOST"),
        tenantId: found.azureTenantId?.value,
        clientId: principal,
        clientSecret: found.azureClientSecret!.value,
        workspaceResourceId: resourceId,
        managementToken: options.azureManagementToken,
        dispatcher: options.dispatcher,
        clock: options.clock,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
      });
      break;
    }
  }

  const result: DatabricksAuth = { host, hostType, cloud, authType: chosen, provider, sources };
  if (principal !== undefined) result.principal = principal;
  if (found.accountId) result.accountId = found.accountId.value;
  if (file.state === "used") {
    result.profile = file.profile;
    result.configFile = file.path;
  }
  return result;
}

/** Reads the config file and picks the profile: the requested one, `[__settings__] default_profile`, or `DEFAULT`. */
async function loadProfile(
  path: string,
  requested: { name: string; source: string } | undefined,
): Promise<FileUse> {
  const parsed = await readDatabricksConfig(path);
  if (!parsed) {
    if (requested)
      throw new ConfigError(
        `Databricks profile ${requested.name} (from ${requested.source}) was requested but ${path} does not exist`,
        {
          sources: ["DATABRICKS_CONFIG_FILE", "DATABRICKS_CONFIG_PROFILE"],
          hint: "Create the profile (databricks configure), point DATABRICKS_CONFIG_FILE at the right file, or unset DATABRICKS_CONFIG_PROFILE",
        },
      );
    return { state: "missing", path };
  }
  const pick = pickProfile(parsed, requested);
  if (!pick) return { state: "no-profile", path };
  const section = pick.name === DATABRICKS_SETTINGS_SECTION ? undefined : parsed.sections.get(pick.name);
  if (!section) {
    if (pick.fallback) return { state: "no-profile", path };
    const known = [...parsed.sections.keys()].filter((p) => p !== DATABRICKS_SETTINGS_SECTION);
    throw new ConfigError(
      `Databricks profile ${pick.name} (from ${pick.source}) not found in ${path} (profiles: ${known.join(", ") || "none"})`,
      {
        sources:
          pick.source === "DATABRICKS_CONFIG_PROFILE"
            ? ["DATABRICKS_CONFIG_PROFILE"]
            : ["DATABRICKS_CONFIG_FILE"],
        hint: "Name an existing profile",
      },
    );
  }
  return { state: "used", path, profile: pick.name, fallback: pick.fallback, section };
}

function pickProfile(
  file: DatabricksConfigFile,
  requested: { name: string; source: string } | undefined,
): { name: string; source: string; fallback: boolean } | undefined {
  const reserved = (name: string, source: string) =>
    new ConfigError(
      `${DATABRICKS_SETTINGS_SECTION} (from ${source}) is the reserved section of file-wide settings in ${file.path}, not a profile`,
      { sources: ["DATABRICKS_CONFIG_PROFILE"], hint: `Name a profile other than ${name}` },
    );
  if (requested) {
    if (requested.name === DATABRICKS_SETTINGS_SECTION) throw reserved(requested.name, requested.source);
    return { ...requested, fallback: false };
  }
  const settings = file.sections.get(DATABRICKS_SETTINGS_SECTION);
  const entry = settings?.get("default_profile");
  const defaultProfile = entry?.value.trim();
  if (entry && defaultProfile) {
    const source = `default_profile in [${DATABRICKS_SETTINGS_SECTION}] of ${file.path}`;
    if (entry.lines > 1)
      throw new ConfigError(`${source} (line ${entry.line}) spans ${entry.lines} lines`, {
        sources: ["DATABRICKS_CONFIG_FILE"],
        hint: "Write the profile name on one line; an indented line continues the value above it",
      });
    if (defaultProfile === DATABRICKS_SETTINGS_SECTION) throw reserved(defaultProfile, source);
    return { name: defaultProfile, source, fallback: false };
  }
  if ((file.sections.get("DEFAULT")?.size ?? 0) > 0)
    return { name: "DEFAULT", source: "default", fallback: true };
  return undefined;
}

/** Refuses a file value that the SDKs would read differently from each other, or that spans lines. */
function checkFileValue(entry: DatabricksConfigEntry, name: DatabricksSettingName, source: string): void {
  const hintOneLine =
    "Write the value on one line; an indented line continues the value above it, so un-indent a line meant as a key of its own";
  if (entry.lines > 1)
    throw new ConfigError(`${source} (line ${entry.line}) spans ${entry.lines} lines`, {
      sources: [setting(name).env, "DATABRICKS_CONFIG_FILE"],
      hint: hintOneLine,
    });
  if (!entry.quoted && /\s[#;]/.test(entry.value))
    throw new ConfigError(
      `${source} (line ${entry.line}) has a " #" or " ;" in its value, which looks like an inline comment: Databricks' Python SDK keeps it as part of the value, the Go SDK cuts it off`,
      {
        sources: [setting(name).env, "DATABRICKS_CONFIG_FILE"],
        hint: 'Put the comment on a line of its own, or quote the whole value ("...") if the characters belong to it',
      },
    );
}

function describeFile(file: FileUse): string {
  switch (file.state) {
    case "skipped":
      return `config file ${file.path} not read because ${file.because.join(", ")} ${file.because.length > 1 ? "are" : "is"} set and no profile is named (as the Databricks SDKs do; name a profile with DATABRICKS_CONFIG_PROFILE to use one)`;
    case "missing":
      return `config file ${file.path} not found`;
    case "no-profile":
      return `config file ${file.path} has no DEFAULT profile and no [${DATABRICKS_SETTINGS_SECTION}] default_profile`;
    case "used":
      return file.section.size === 0
        ? `profile ${file.profile} in ${file.path} has no settings`
        : `profile ${file.profile} in ${file.path} read`;
  }
}

/** Whether two host values name the same origin; undefined when either is not a valid host. */
function sameHost(a: string, b: string): boolean | undefined {
  try {
    return normalizeDatabricksHost(a) === normalizeDatabricksHost(b);
  } catch {
    return undefined;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * Normalizes a Databricks workspace host to its origin, `scheme://host[:port]`: the one form every
 * modeltrail package uses. Surrounding whitespace is trimmed, `https://` is added when no scheme is
 * given, and user info, paths, queries, fragments and trailing slashes are dropped: the REST API
 * lives at the root of the workspace, so a URL copied from the browser
 * (`https://adb-1.2.azuredatabricks.net/?o=1#job/5`) works as it is.
 *
 * @throws ConfigError when the host is empty, holds control characters, is not a URL, or not http(s); `source` names where it
 * came from (default `DATABRICKS_HOST`). The message never repeats a password given in the URL.
 */
export function normalizeDatabricksHost(host: string | undefined, source = "DATABRICKS_HOST"): string {
  const raw = (host ?? "").trim();
  if (raw === "")
    throw new ConfigError(`No Databricks workspace URL configured (${source} is empty)`, {
      sources: ["DATABRICKS_HOST"],
      hint: "Set the workspace URL, e.g. https://adb-1234567890123456.7.azuredatabricks.net",
    });
  // The URL parser silently drops tabs and newlines inside a URL: refuse, don't repair.
  const shown = raw.replace(CONTROL_CHARACTERS, "?");
  if (shown !== raw)
    throw new ConfigError(
      `The Databricks host "${redactUrl(shown)}" (from ${source}) contains control characters (tab, newline, NUL, ...)`,
      { sources: ["DATABRICKS_HOST"], hint: "Remove them; a URL never holds them" },
    );
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`The Databricks host "${redactUrl(raw)}" (from ${source}) is not a valid URL`, {
      sources: ["DATABRICKS_HOST"],
      hint: "Use the workspace URL, e.g. https://adb-1234567890123456.7.azuredatabricks.net",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`The Databricks host "${redactUrl(raw)}" (from ${source}) must be an https URL`, {
      sources: ["DATABRICKS_HOST"],
    });
  return url.origin;
}

/** Picks the Entra ID authority for an Azure Databricks workspace host (public, China or US Government cloud). */
export function azureAuthorityHostForWorkspace(host: string): string {
  return azureEnvironmentOfHost(host)?.authorityHost ?? AZURE_PUBLIC_AUTHORITY_HOST;
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
