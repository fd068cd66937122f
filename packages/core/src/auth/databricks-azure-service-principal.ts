import type { Dispatcher } from "undici";
import type { RetryOptions } from "../http/types.js";
import { azureClientSecretCredential } from "./azure-client-secret.js";
import { discoverAzureTenantId } from "./azure-tenant-discovery.js";
import type { CredentialProvider } from "./credential-provider.js";
import type { AzureEnvironment } from "./databricks-environment.js";

/** The Azure AD application id of Azure Databricks, the resource its tokens are issued for. */
export const AZURE_DATABRICKS_RESOURCE_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

/** Options of `databricksAzureServicePrincipal`. */
export interface DatabricksAzureServicePrincipalOptions {
  /** The workspace URL (normalized). */
  host: string;
  /** The Azure cloud of the workspace. */
  environment: AzureEnvironment;
  /** Overrides the environment's Entra ID authority (`AZURE_AUTHORITY_HOST`). */
  authorityHost?: string | undefined;
  /** The tenant; when undefined it is found from the workspace (`/aad/auth`) on the first token request. */
  tenantId?: string | undefined;
  /** Application (client) id of the service principal. */
  clientId: string;
  /** Client secret of the service principal (registered for redaction). */
  clientSecret: string;
  /** Azure resource id of the workspace, sent as `X-Databricks-Azure-Workspace-Resource-Id`. */
  workspaceResourceId?: string | undefined;
  /** Send `X-Databricks-Azure-SP-Management-Token` even without a workspace resource id. */
  managementToken?: boolean | undefined;
  /** undici dispatcher for tenant discovery and token requests. */
  dispatcher?: Dispatcher | undefined;
  /** Clock in ms since the epoch. */
  clock?: (() => number) | undefined;
  /** Per-attempt timeout of discovery and token requests in ms. */
  timeoutMs?: number | undefined;
  /** Retry policy of discovery and token requests. */
  retry?: Partial<RetryOptions> | undefined;
}

/**
 * Azure service principal auth for an Azure Databricks workspace (`azure-client-secret`): an Entra ID
 * token for the Azure Databricks resource, sent as a bearer token. Without a tenant id the tenant is
 * found from the workspace on the first request (`discoverAzureTenantId`), never earlier. With a
 * workspace resource id (or `managementToken`), each request also carries an Azure management token
 * (`X-Databricks-Azure-SP-Management-Token`) and the resource id, which lets a service principal that is
 * not yet a workspace user be added on first use, as the Databricks SDKs do.
 *
 * @throws ConfigError when the client id or secret is empty; token and discovery errors from
 * `getAuthHeaders` (see `azureClientSecretCredential`, `discoverAzureTenantId`).
 */
export function databricksAzureServicePrincipal(
  options: DatabricksAzureServicePrincipalOptions,
): CredentialProvider {
  let tenant: Promise<string> | undefined;
  const tenantId =
    options.tenantId ??
    ((signal?: AbortSignal) => {
      tenant ??= discoverAzureTenantId(options.host, {
        dispatcher: options.dispatcher,
        signal,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
      });
      // A failed discovery is tried again by the next request rather than remembered.
      tenant.catch(() => {
        tenant = undefined;
      });
      return tenant;
    });
  const common = {
    tenantId,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authorityHost: options.authorityHost ?? options.environment.authorityHost,
    dispatcher: options.dispatcher,
    clock: options.clock,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  };
  const workspace = azureClientSecretCredential({
    ...common,
    scope: `${AZURE_DATABRICKS_RESOURCE_ID}/.default`,
  });
  const resourceId = options.workspaceResourceId;
  if (!resourceId && !options.managementToken) return workspace;
  const management = azureClientSecretCredential({
    ...common,
    resource: options.environment.serviceManagementEndpoint,
  });
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
