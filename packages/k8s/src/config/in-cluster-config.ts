import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { ConfigError } from "@modeltrail/core";
import type { KubeConfig } from "./kube-config.js";

/** Where a pod's service account credentials are mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Options of {@link inClusterConfig}. */
export interface InClusterOptions {
  /** Environment to read `KUBERNETES_SERVICE_HOST` / `_PORT` from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory holding `token`, `ca.crt` and `namespace` (default {@link SERVICE_ACCOUNT_DIR}). */
  serviceAccountDir?: string;
}

/** True when this process looks like it runs in a pod (`KUBERNETES_SERVICE_HOST` and `_PORT` set). */
export function isInCluster(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) && Boolean(env.KUBERNETES_SERVICE_PORT);
}

/**
 * The configuration of a pod talking to its own cluster, as client-go's `InClusterConfig`: the API
 * server at `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the service account's CA,
 * its token file (re-read when the kubelet rotates it) and the namespace file (default `default`).
 * Throws ConfigError naming the variable or file that is missing.
 */
export function inClusterConfig(options: InClusterOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigError(
      "Not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set",
      {
        sources: ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"],
        hint: "Use a kubeconfig outside a pod",
      },
    );
  }
  if (!/^\d{1,5}$/.test(port)) {
    throw new ConfigError(`KUBERNETES_SERVICE_PORT is not a port number: "${port}"`, {
      sources: ["KUBERNETES_SERVICE_PORT"],
    });
  }
  const tokenFile = join(dir, "token");
  if (!existsSync(tokenFile)) {
    throw new ConfigError(`The service account token ${tokenFile} does not exist`, {
      hint: "Mount the pod's service account token (automountServiceAccountToken: true)",
    });
  }
  const caFile = join(dir, "ca.crt");
  let ca: string;
  try {
    ca = readFileSync(caFile, "utf8");
  } catch (err) {
    throw new ConfigError(`Cannot read the service account CA ${caFile}: ${(err as Error).message}`, {
      cause: err,
      hint: "Mount the pod's service account (it holds ca.crt)",
    });
  }
  let namespace = "default";
  try {
    namespace = readFileSync(join(dir, "namespace"), "utf8").trim() || "default";
  } catch {
    // no namespace file: the default namespace, as client-go
  }
  const hostPart = isIP(host) === 6 ? `[${host}]` : host;
  return {
    source: "in-cluster",
    files: [],
    context: "in-cluster",
    namespace,
    cluster: {
      name: "kubernetes",
      server: `https://${hostPart}:${port}`,
      ca,
      insecureSkipTlsVerify: false,
      tlsServerName: undefined,
      proxyUrl: undefined,
    },
    user: {
      name: "service-account",
      clientCert: undefined,
      clientKey: undefined,
      auth: { method: "token-file", tokenFile },
      impersonate: undefined,
    },
  };
}
