import { DatabricksClient } from "@modeltrail/databricks";
import { KubeClient } from "@modeltrail/k8s";
import { MlflowClient } from "@modeltrail/mlflow";
import {
  acrCredentialsFromEnv,
  chainCredentials,
  dockerConfigCredentials,
  parseReference,
  RegistryClient,
  type RegistryCredentialSource,
} from "@modeltrail/registry";
import type { RunContext } from "../cli/cli-app.js";
import { VERSION } from "../version.js";

const USER_AGENT = `modeltrail-cli/${VERSION}`;

/**
 * An MLflow client configured as MLflow's own clients are: `MLFLOW_TRACKING_URI` (http(s),
 * `databricks`, `databricks://PROFILE`), `MLFLOW_TRACKING_TOKEN` or `_USERNAME`/`_PASSWORD`,
 * `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH`, `MLFLOW_REGISTRY_URI`.
 * Throws ConfigError naming the missing variable.
 */
export function mlflowClient(run: RunContext<unknown>): Promise<MlflowClient> {
  return MlflowClient.fromEnv({ env: { ...run.io.env }, logger: run.logger, userAgent: USER_AGENT });
}

/**
 * A Databricks client with Databricks unified auth: `DATABRICKS_HOST` and a credential
 * (`DATABRICKS_TOKEN`, OAuth M2M, Azure service principal, ...) or a `~/.databrickscfg` profile
 * (`DATABRICKS_CONFIG_PROFILE`). Throws ConfigError listing what each method lacked.
 */
export function databricksClient(run: RunContext<unknown>): Promise<DatabricksClient> {
  return DatabricksClient.fromEnv({ env: { ...run.io.env }, logger: run.logger, userAgent: USER_AGENT });
}

/** Options naming the Kubernetes connection, as kubectl's flags do. */
export interface KubeTargetOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
}

/**
 * A Kubernetes client configured as kubectl is: `--kubeconfig`, else `KUBECONFIG`, else
 * `~/.kube/config` (or in-cluster), the current or named context and its namespace.
 */
export function kubeClient(run: RunContext<unknown>, target: KubeTargetOptions): KubeClient {
  return new KubeClient({
    ...(target.kubeconfig ? { kubeconfig: target.kubeconfig } : {}),
    ...(target.context ? { context: target.context } : {}),
    ...(target.namespace ? { namespace: target.namespace } : {}),
    env: run.io.env,
    logger: run.logger,
    userAgent: USER_AGENT,
  });
}

/**
 * A registry client whose credentials come from the Docker config (`DOCKER_CONFIG` or
 * `~/.docker/config.json`, with its credential helpers: what `docker login` and `az acr login`
 * write) and, for an Azure Container Registry named by `repository`, from an Azure service
 * principal in `AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`/`AZURE_TENANT_ID` when those are set.
 */
export function registryClient(run: RunContext<unknown>, repository?: string): RegistryClient {
  const env = { ...run.io.env };
  const sources: RegistryCredentialSource[] = [];
  const host = repository ? parseReference(repository, { defaultTag: "none" }).registry : undefined;
  if (host?.endsWith(".azurecr.io") && env.AZURE_CLIENT_ID && env.AZURE_CLIENT_SECRET) {
    sources.push(acrCredentialsFromEnv({ registry: host, env }));
  }
  sources.push(dockerConfigCredentials({ env }));
  return new RegistryClient({
    credentials: sources.length === 1 ? sources[0] : chainCredentials(...sources),
    logger: run.logger,
    userAgent: USER_AGENT,
  });
}
