import type { Dispatcher } from "undici";
import { z } from "zod";
import { ConfigError } from "../errors/config-error.js";
import { HttpClient } from "../http/http-client.js";
import type { RetryOptions } from "../http/types.js";
import { redactedExcerpt } from "../redact.js";
import { azureClientSecretCredential } from "./azure-client-secret.js";
import type { AzureEnvironment } from "./databricks-environment.js";

/** The Azure Resource Manager API version the Databricks SDKs use to read a workspace. */
export const AZURE_DATABRICKS_WORKSPACE_API_VERSION = "2018-04-01";

const SEGMENT = "[A-Za-z0-9][A-Za-z0-9._()-]*";
const RESOURCE_ID = new RegExp(
  `^/subscriptions/${SEGMENT}/resourceGroups/${SEGMENT}/providers/Microsoft\\.Databricks/workspaces/${SEGMENT}$`,
  "i",
);

/** The part of the ARM answer for a workspace that is used. */
const workspaceSchema = z.object({
  properties: z.object({
    workspaceUrl: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, "workspaceUrl must be a bare host name such as adb-1.2.azuredatabricks.net"),
  }),
});

/**
 * Checks that a value is an Azure Databricks workspace resource id,
 * `/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Databricks/workspaces/{name}`,
 * before it becomes part of a URL.
 *
 * @throws ConfigError naming `source` (never a secret) otherwise.
 */
export function checkAzureWorkspaceResourceId(resourceId: string, source: string): string {
  if (!RESOURCE_ID.test(resourceId))
    throw new ConfigError(
      `The Azure workspace resource id "${redactedExcerpt(resourceId, 300)}" (from ${source}) is not /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Databricks/workspaces/{name}`,
      {
        sources: ["DATABRICKS_AZURE_RESOURCE_ID"],
        hint: "Copy the resource id from the workspace's Properties page in the Azure portal",
      },
    );
  return resourceId;
}

/** Options of `azureWorkspaceHost`. */
export interface AzureWorkspaceHostOptions {
  /** The workspace's resource id (checked with `checkAzureWorkspaceResourceId`). */
  resourceId: string;
  /** The Azure cloud (its Resource Manager and Entra ID endpoints). */
  environment: AzureEnvironment;
  /** Overrides the environment's Entra ID authority (`AZURE_AUTHORITY_HOST`). */
  authorityHost?: string | undefined;
  /** The service principal's tenant. */
  tenantId: string;
  /** The service principal's client id. */
  clientId: string;
  /** The service principal's secret (registered for redaction). */
  clientSecret: string;
  /** undici dispatcher for the token and ARM requests (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
  /** Aborts the requests. */
  signal?: AbortSignal | undefined;
  /** Per-attempt timeout in ms. */
  timeoutMs?: number | undefined;
  /** Retry policy. */
  retry?: Partial<RetryOptions> | undefined;
}

/**
 * Finds the URL of an Azure Databricks workspace from its Azure resource id, as the Databricks SDKs
 * do when only `DATABRICKS_AZURE_RESOURCE_ID` is set: gets an Azure Resource Manager token for the
 * service principal, reads `GET {resourceManager}{resourceId}?api-version=2018-04-01` and returns
 * `https://{properties.workspaceUrl}`.
 *
 * @throws ConfigError for a malformed resource id; UnauthorizedError/ApiError from Entra ID or ARM
 * (NotFoundError when the workspace does not exist or the principal cannot see it); ValidationError
 * when ARM's answer has no usable `workspaceUrl`; NetworkError, TimeoutError, AbortError.
 */
export async function azureWorkspaceHost(options: AzureWorkspaceHostOptions): Promise<string> {
  const resourceId = checkAzureWorkspaceResourceId(options.resourceId, "DATABRICKS_AZURE_RESOURCE_ID");
  const arm = options.environment.resourceManagerEndpoint.replace(/\/+$/, "");
  const credential = azureClientSecretCredential({
    tenantId: options.tenantId,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authorityHost: options.authorityHost ?? options.environment.authorityHost,
    resource: options.environment.resourceManagerEndpoint,
    dispatcher: options.dispatcher,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
  const http = new HttpClient({
    baseUrl: arm,
    service: "azure-resource-manager",
    credentials: credential,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  try {
    const workspace = await http.json({
      method: "GET",
      path: resourceId,
      query: { "api-version": AZURE_DATABRICKS_WORKSPACE_API_VERSION },
      headers: { accept: "application/json" },
      signal: options.signal,
      schema: workspaceSchema,
    });
    return `https://${workspace.properties.workspaceUrl.toLowerCase()}`;
  } finally {
    await Promise.all([http.close(), credential.close()]);
  }
}
