import type { Dispatcher } from "undici";
import { z } from "zod";
import { HttpClient } from "../http/http-client.js";
import type { RetryOptions } from "../http/types.js";
import {
  type OAuth2ClientCredentialsProvider,
  oauth2ClientCredentials,
} from "./oauth2-client-credentials.js";

/** Path of a workspace's OAuth authorization server metadata (RFC 8414). */
export const DATABRICKS_OIDC_METADATA_PATH = "/oidc/.well-known/oauth-authorization-server";

/** Path of an account's OAuth authorization server metadata on an accounts host. */
export function databricksAccountOidcMetadataPath(accountId: string): string {
  return `/oidc/accounts/${encodeURIComponent(accountId)}/.well-known/oauth-authorization-server`;
}

/** The fields of the authorization server metadata modeltrail uses; others are accepted and ignored. */
const metadataSchema = z.object({
  token_endpoint: z.string().url(),
});

/** Options of `databricksOAuthM2M`. */
export interface DatabricksOAuthM2MOptions {
  /** Workspace URL, e.g. `https://adb-123.4.azuredatabricks.net`, or an accounts host with `accountId`. */
  host: string;
  /** Account id: set for an accounts host (`https://accounts.cloud.databricks.com`), whose OAuth is per account. */
  accountId?: string | undefined;
  /** OAuth client id of the service principal. */
  clientId: string;
  /** OAuth secret of the service principal (registered for redaction). */
  clientSecret: string;
  /** Scope to request (default `all-apis`). */
  scope?: string | undefined;
  /** undici dispatcher for discovery and token requests. */
  dispatcher?: Dispatcher | undefined;
  /** Clock in ms since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
  /** Per-attempt timeout of discovery and token requests in ms. */
  timeoutMs?: number | undefined;
  /** Retry policy of discovery and token requests. */
  retry?: Partial<RetryOptions> | undefined;
}

/**
 * Finds a workspace's token endpoint from `${host}/oidc/.well-known/oauth-authorization-server`, or an
 * account's from `${host}/oidc/accounts/${accountId}/.well-known/oauth-authorization-server` when
 * `accountId` is given.
 *
 * @throws ApiError (service `databricks`) when the metadata cannot be fetched, ValidationError when it
 * has no valid `token_endpoint`, NetworkError/TimeoutError/AbortError.
 */
export async function discoverDatabricksTokenEndpoint(
  host: string,
  options: {
    dispatcher?: Dispatcher | undefined;
    signal?: AbortSignal;
    timeoutMs?: number | undefined;
    accountId?: string | undefined;
  } = {},
): Promise<string> {
  const http = new HttpClient({
    baseUrl: host,
    service: "databricks",
    dispatcher: options.dispatcher,
    timeoutMs: options.timeoutMs,
  });
  try {
    const metadata = await http.json({
      method: "GET",
      path: options.accountId
        ? databricksAccountOidcMetadataPath(options.accountId)
        : DATABRICKS_OIDC_METADATA_PATH,
      headers: { accept: "application/json" },
      signal: options.signal,
      schema: metadataSchema,
    });
    return metadata.token_endpoint;
  } finally {
    await http.close();
  }
}

/**
 * Databricks OAuth machine-to-machine auth for a service principal: discovers the token endpoint
 * from the workspace's (or, with `accountId`, the account's) OIDC metadata on first use, then runs
 * the client credentials grant with `scope=all-apis` and HTTP Basic client authentication, as the
 * Databricks SDKs do. Tokens are cached and refreshed before expiry (see `oauth2ClientCredentials`).
 *
 * @throws ConfigError when the client id or secret is empty; token errors as `oauth2ClientCredentials`.
 */
export function databricksOAuthM2M(options: DatabricksOAuthM2MOptions): OAuth2ClientCredentialsProvider {
  return oauth2ClientCredentials({
    tokenUrl: () =>
      discoverDatabricksTokenEndpoint(options.host, {
        dispatcher: options.dispatcher,
        timeoutMs: options.timeoutMs,
        accountId: options.accountId,
      }),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    scope: options.scope ?? "all-apis",
    clientAuth: "basic",
    kind: "oauth-m2m",
    service: "databricks-oauth",
    dispatcher: options.dispatcher,
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
}
