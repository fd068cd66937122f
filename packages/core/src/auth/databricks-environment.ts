import { ConfigError } from "../errors/config-error.js";

/** The cloud a Databricks host runs on. */
export type DatabricksCloud = "aws" | "azure" | "gcp";

/** An Azure cloud's endpoints, as the Databricks SDKs name them (`ARM_ENVIRONMENT`). */
export interface AzureEnvironment {
  /** `PUBLIC`, `USGOVERNMENT` or `CHINA`. */
  name: "PUBLIC" | "USGOVERNMENT" | "CHINA";
  /** Microsoft Entra ID authority, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  /** Resource of `X-Databricks-Azure-SP-Management-Token`, e.g. `https://management.core.windows.net/`. */
  serviceManagementEndpoint: string;
  /** Azure Resource Manager, e.g. `https://management.azure.com/`. */
  resourceManagerEndpoint: string;
}

/** The Azure clouds Azure Databricks runs in. */
export const AZURE_ENVIRONMENTS: Readonly<Record<AzureEnvironment["name"], AzureEnvironment>> = {
  PUBLIC: {
    name: "PUBLIC",
    authorityHost: "https://login.microsoftonline.com",
    serviceManagementEndpoint: "https://management.core.windows.net/",
    resourceManagerEndpoint: "https://management.azure.com/",
  },
  USGOVERNMENT: {
    name: "USGOVERNMENT",
    authorityHost: "https://login.microsoftonline.us",
    serviceManagementEndpoint: "https://management.core.usgovcloudapi.net/",
    resourceManagerEndpoint: "https://management.usgovcloudapi.net/",
  },
  CHINA: {
    name: "CHINA",
    authorityHost: "https://login.chinacloudapi.cn",
    serviceManagementEndpoint: "https://management.core.chinacloudapi.cn/",
    resourceManagerEndpoint: "https://management.chinacloudapi.cn/",
  },
};

/** DNS zones of Databricks hosts, most specific first, with their cloud and Azure cloud. */
const DNS_ZONES: ReadonlyArray<{ suffix: string; cloud: DatabricksCloud; azure?: AzureEnvironment["name"] }> =
  [
    { suffix: ".azuredatabricks.net", cloud: "azure", azure: "PUBLIC" },
    { suffix: ".databricks.azure.us", cloud: "azure", azure: "USGOVERNMENT" },
    { suffix: ".databricks.azure.cn", cloud: "azure", azure: "CHINA" },
    { suffix: ".gcp.databricks.com", cloud: "gcp" },
    { suffix: ".cloud.databricks.com", cloud: "aws" },
    { suffix: ".cloud.databricks.us", cloud: "aws" },
  ];

/**
 * The cloud of a Databricks host from its DNS zone, as the Databricks SDKs tell it:
 * `*.azuredatabricks.net`, `*.databricks.azure.us` and `*.databricks.azure.cn` are Azure,
 * `*.gcp.databricks.com` is GCP, anything else counts as AWS.
 */
export function databricksCloudOfHost(host: string): DatabricksCloud {
  const hostname = hostnameOf(host);
  return DNS_ZONES.find((z) => hostname.endsWith(z.suffix))?.cloud ?? "aws";
}

/** The Azure cloud of an Azure Databricks host, or undefined for a host outside Azure's DNS zones. */
export function azureEnvironmentOfHost(host: string): AzureEnvironment | undefined {
  const hostname = hostnameOf(host);
  const zone = DNS_ZONES.find((z) => hostname.endsWith(z.suffix));
  return zone?.azure ? AZURE_ENVIRONMENTS[zone.azure] : undefined;
}

/**
 * True for an account console host (`https://accounts.cloud.databricks.com`,
 * `https://accounts.azuredatabricks.net`, `https://accounts.gcp.databricks.com`,
 * `https://accounts-dod.cloud.databricks.us`), whose APIs are account-level and need an account id.
 */
export function isDatabricksAccountsHost(host: string): boolean {
  const hostname = hostnameOf(host);
  return hostname.startsWith("accounts.") || hostname.startsWith("accounts-dod.");
}

/**
 * Parses an Azure cloud name as the Databricks SDKs accept it in `ARM_ENVIRONMENT`: `PUBLIC`,
 * `USGOVERNMENT`, `CHINA`, case-insensitive, with or without the `Azure` prefix and `Cloud` suffix
 * (`AzurePublicCloud`, `AzureUSGovernment`, `AzureChinaCloud`).
 *
 * @throws ConfigError naming `source` for any other value.
 */
export function parseAzureEnvironment(value: string, source: string): AzureEnvironment {
  let name = value.trim().toUpperCase();
  if (name.startsWith("AZURE")) name = name.slice("AZURE".length);
  if (name.endsWith("CLOUD")) name = name.slice(0, -"CLOUD".length);
  const env = AZURE_ENVIRONMENTS[name as AzureEnvironment["name"]];
  if (!env)
    throw new ConfigError(`The Azure cloud "${value}" (from ${source}) is not known`, {
      sources: ["ARM_ENVIRONMENT"],
      hint: "Use PUBLIC, USGOVERNMENT or CHINA",
    });
  return env;
}

/**
 * Parses a cloud name (`DATABRICKS_CLOUD`): `aws`, `azure` or `gcp`, case-insensitive.
 *
 * @throws ConfigError naming `source` for any other value.
 */
export function parseDatabricksCloud(value: string, source: string): DatabricksCloud {
  const cloud = value.trim().toLowerCase();
  if (cloud === "aws" || cloud === "azure" || cloud === "gcp") return cloud;
  throw new ConfigError(`The cloud "${value}" (from ${source}) is not aws, azure or gcp`, {
    sources: ["DATABRICKS_CLOUD"],
    hint: "Set DATABRICKS_CLOUD to aws, azure or gcp, or unset it to tell the cloud from the host name",
  });
}

function hostnameOf(host: string): string {
  try {
    return new URL(host).hostname.toLowerCase();
  } catch {
    return host.toLowerCase();
  }
}
