import type { Dispatcher } from "undici";
import { ConfigError } from "../errors/config-error.js";
import { HttpClient } from "../http/http-client.js";
import type { RetryOptions } from "../http/types.js";
import { redactUrl } from "../redact.js";

/** Path on an Azure Databricks workspace that redirects to the Entra ID login of its tenant. */
export const AZURE_DATABRICKS_LOGIN_PATH = "/aad/auth";

/** A tenant id as Entra ID accepts it in a token URL: a GUID or a domain name. */
const TENANT = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;

/** Options of `discoverAzureTenantId`. */
export interface DiscoverAzureTenantIdOptions {
  /** undici dispatcher (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
  /** Per-attempt timeout in ms. */
  timeoutMs?: number | undefined;
  /** Retry policy (the GET is retried on 429/5xx and resets). */
  retry?: Partial<RetryOptions> | undefined;
}

/**
 * Finds the Entra ID tenant of an Azure Databricks workspace the way the Databricks SDKs do when
 * `ARM_TENANT_ID` is not set: `GET {host}/aad/auth` answers with a redirect to
 * `https://login.microsoftonline.com/{tenant}/oauth2/authorize?...`, and the first path segment of
 * that `Location` is the tenant. Redirects are not followed; a `Location` that is not an absolute
 * URL of that shape is refused.
 *
 * @throws ConfigError when the workspace does not answer with such a redirect (naming the status or
 * the Location, and ARM_TENANT_ID as the way out); ApiError, NetworkError, TimeoutError, AbortError
 * from the request.
 */
export async function discoverAzureTenantId(
  host: string,
  options: DiscoverAzureTenantIdOptions = {},
): Promise<string> {
  const http = new HttpClient({
    baseUrl: host,
    service: "databricks",
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const hint =
    "Set ARM_TENANT_ID (azure_tenant_id in the profile) to the service principal's tenant, or check that the host is an Azure Databricks workspace";
  try {
    const res = await http.request({
      method: "GET",
      path: AZURE_DATABRICKS_LOGIN_PATH,
      signal: options.signal,
      okStatuses: [200, 301, 302, 303, 307, 308],
    });
    await res.dump();
    const where = `${redactUrl(host)}${AZURE_DATABRICKS_LOGIN_PATH}`;
    if (res.status < 300)
      throw new ConfigError(
        `Cannot find the Azure tenant of ${redactUrl(host)}: GET ${where} answered ${res.status}, not a redirect to the Entra ID login`,
        { sources: ["ARM_TENANT_ID"], hint },
      );
    const location = res.headers.location;
    const tenant = tenantOfLoginUrl(location);
    if (!tenant)
      throw new ConfigError(
        `Cannot find the Azure tenant of ${redactUrl(host)}: GET ${where} redirected to ${location ? `"${redactUrl(location).slice(0, 200)}"` : "nowhere (no Location header)"}, which names no tenant`,
        { sources: ["ARM_TENANT_ID"], hint },
      );
    return tenant;
  } finally {
    await http.close();
  }
}

/** The tenant of an absolute `https://{authority}/{tenant}/oauth2/...` URL, or undefined. */
function tenantOfLoginUrl(location: string | undefined): string | undefined {
  if (!location || !/^https?:\/\//i.test(location)) return undefined;
  let segments: string[];
  try {
    segments = new URL(location).pathname.split("/");
  } catch {
    return undefined;
  }
  const tenant = segments[1];
  return tenant && TENANT.test(tenant) && segments[2] === "oauth2" ? tenant : undefined;
}
