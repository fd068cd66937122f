import type { Dispatcher } from "undici";
import { ConfigError } from "../errors/config-error.js";
import type { RetryOptions } from "../http/types.js";
import { registerSecret } from "../redact.js";
import {
  type OAuth2ClientCredentialsProvider,
  oauth2ClientCredentials,
} from "./oauth2-client-credentials.js";

/** The public-cloud Microsoft Entra ID authority. */
export const AZURE_PUBLIC_AUTHORITY_HOST = "https://login.microsoftonline.com";

/** What to request a token for: a scope (`https://management.azure.com/.default`) or a resource id. */
export type AzureTokenTarget =
  | { scope: string; resource?: undefined }
  | { resource: string; scope?: undefined };

/** Options shared by the Azure client-secret providers, besides the target. */
export interface AzureCredentialCommonOptions {
  /** Authority host, e.g. `https://login.microsoftonline.us` (default: public cloud). */
  authorityHost?: string | undefined;
  /** undici dispatcher for the token requests (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
  /** Clock in ms since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /** Per-attempt timeout of a token request in ms. */
  timeoutMs?: number | undefined;
  /** Retry policy of the token requests. */
  retry?: Partial<RetryOptions> | undefined;
}

/** Options of `azureClientSecretCredential`. */
export type AzureClientSecretOptions = AzureCredentialCommonOptions &
  AzureTokenTarget & {
    /**
     * Directory (tenant) id or domain, or a function that finds it, called on the first token request
     * (e.g. `discoverAzureTenantId` for an Azure Databricks workspace).
     */
    tenantId: string | ((signal?: AbortSignal) => Promise<string>);
    /** Application (client) id of the service principal. */
    clientId: string;
    /** Client secret of the service principal (registered for redaction). */
    clientSecret: string;
  };

/** Returns the scope to request: the scope itself, or `${resource}/.default`. */
export function azureScopeFor(target: { scope?: string | undefined; resource?: string | undefined }): string {
  if (target.scope && target.resource)
    throw new ConfigError("Pass either scope or resource for an Azure token, not both");
  if (target.scope) return target.scope;
  if (target.resource) return `${target.resource}/.default`;
  throw new ConfigError(
    "An Azure token needs a scope (e.g. https://management.azure.com/.default) or a resource",
    {
      hint: "Pass scope or resource",
    },
  );
}

/** Builds the Microsoft identity platform v2.0 token endpoint of a tenant. */
export function azureTokenEndpoint(tenantId: string, authorityHost?: string): string {
  if (!/^[A-Za-z0-9.-]+$/.test(tenantId))
    throw new ConfigError(`The Azure tenant id "${tenantId}" is not a tenant GUID or domain name`, {
      sources: ["AZURE_TENANT_ID"],
    });
  const host = (authorityHost ?? AZURE_PUBLIC_AUTHORITY_HOST).replace(/\/+$/, "");
  if (!/^https?:\/\//i.test(host))
    throw new ConfigError(`The Azure authority host "${host}" must be an https URL`, {
      sources: ["AZURE_AUTHORITY_HOST"],
    });
  return `${host}/${tenantId}/oauth2/v2.0/token`;
}

/**
 * Microsoft Entra ID (Azure AD) client credentials with a client secret: POSTs
 * `grant_type=client_credentials`, `client_id`, `client_secret` and `scope` as a form to
 * `${authorityHost}/${tenantId}/oauth2/v2.0/token` and sends the token as a bearer token. Built on
 * `oauth2ClientCredentials` (caching, early refresh, single flight; errors carry service `azure-ad`).
 *
 * @throws ConfigError when an id, the secret or the target is missing or malformed (a tenant found by
 * a function is checked on the first token request, which then fails with that ConfigError).
 */
export function azureClientSecretCredential(
  options: AzureClientSecretOptions,
): OAuth2ClientCredentialsProvider {
  registerSecret(options.clientSecret);
  const missing: string[] = [];
  if (!options.tenantId) missing.push("tenantId");
  if (!options.clientId) missing.push("clientId");
  if (!options.clientSecret) missing.push("clientSecret");
  if (missing.length > 0)
    throw new ConfigError(`Azure client secret credential: ${missing.join(", ")} missing`, {
      hint: "Pass the service principal's tenant id, client id and client secret",
    });
  const tenant = options.tenantId;
  return oauth2ClientCredentials({
    tokenUrl:
      typeof tenant === "string"
        ? azureTokenEndpoint(tenant, options.authorityHost)
        : async (signal) => azureTokenEndpoint(await tenant(signal), options.authorityHost),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scope: azureScopeFor(options),
    clientAuth: "body",
    kind: "azure-client-secret",
    service: "azure-ad",
    dispatcher: options.dispatcher,
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
}

/** Options of `azureCredentialFromEnv`. */
export type AzureCredentialFromEnvOptions = AzureCredentialCommonOptions &
  AzureTokenTarget & {
    /** Environment to read (default `process.env`). */
    env?: Record<string, string | undefined>;
  };

/**
 * An `azureClientSecretCredential` configured from `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`,
 * `AZURE_TENANT_ID` and optionally `AZURE_AUTHORITY_HOST` (the variables of Azure Identity's
 * EnvironmentCredential). An explicit `authorityHost` option wins over the variable.
 *
 * @throws ConfigError naming every missing variable.
 */
export function azureCredentialFromEnv(
  options: AzureCredentialFromEnvOptions,
): OAuth2ClientCredentialsProvider {
  const env = options.env ?? process.env;
  const read = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const clientId = read("AZURE_CLIENT_ID");
  const clientSecret = read("AZURE_CLIENT_SECRET");
  const tenantId = read("AZURE_TENANT_ID");
  registerSecret(clientSecret);
  const missing = [
    clientId ? undefined : "AZURE_CLIENT_ID",
    clientSecret ? undefined : "AZURE_CLIENT_SECRET",
    tenantId ? undefined : "AZURE_TENANT_ID",
  ].filter((v): v is string => v !== undefined);
  if (missing.length > 0)
    throw new ConfigError(
      `Azure service principal credentials are incomplete: ${missing.join(", ")} not set`,
      {
        sources: missing,
        hint: `Set ${missing.join(" and ")} (the service principal's client id, secret and tenant), or pass the options explicitly`,
      },
    );
  const { env: _env, ...rest } = options;
  return azureClientSecretCredential({
    ...rest,
    authorityHost: options.authorityHost ?? read("AZURE_AUTHORITY_HOST"),
    tenantId: tenantId!,
    clientId: clientId!,
    clientSecret: clientSecret!,
  } as AzureClientSecretOptions);
}
