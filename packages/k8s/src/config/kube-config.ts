/** How a kubeconfig user authenticates, beyond an optional client certificate. */
export type KubeAuth =
  | { readonly method: "none" }
  | { readonly method: "token"; readonly token: string }
  | { readonly method: "token-file"; readonly tokenFile: string }
  | { readonly method: "basic"; readonly username: string; readonly password: string }
  | { readonly method: "exec"; readonly exec: KubeExecConfig };

/** A client-go credential plugin (`users[].user.exec`). */
export interface KubeExecConfig {
  /** The command; relative paths with a `/` were resolved against the kubeconfig file's directory. */
  readonly command: string;
  readonly args: readonly string[];
  /** Extra environment variables for the plugin, on top of this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`. */
  readonly apiVersion: "client.authentication.k8s.io/v1" | "client.authentication.k8s.io/v1beta1";
  /** Shown when the command is not installed. */
  readonly installHint: string | undefined;
  /** Pass the cluster (server, CA, ...) to the plugin in `KUBERNETES_EXEC_INFO`. */
  readonly provideClusterInfo: boolean;
  /** `Never`, `IfAvailable` or `Always` (a terminal on stdin). */
  readonly interactiveMode: "Never" | "IfAvailable" | "Always";
  /** `extensions[name=client.authentication.k8s.io/exec].extension` of the cluster, given to the plugin. */
  readonly clusterConfig: unknown;
}

/** The cluster a context points at. */
export interface KubeCluster {
  /** Entry name in the kubeconfig (`kubernetes` for the in-cluster configuration). */
  readonly name: string;
  /** API server URL, e.g. `https://10.0.0.1:6443`. */
  readonly server: string;
  /** PEM certificate authorities to trust (from `certificate-authority-data` or the file). */
  readonly ca: string | undefined;
  /** Skip server certificate verification; only when the kubeconfig says so explicitly. */
  readonly insecureSkipTlsVerify: boolean;
  /** Name to verify the server certificate against instead of the server URL's host. */
  readonly tlsServerName: string | undefined;
  /** Proxy for every request to this cluster (http, https or socks5 URL). */
  readonly proxyUrl: string | undefined;
}

/** Impersonation headers (`as`, `as-groups`, `as-uid`, `as-user-extra`). */
export interface KubeImpersonation {
  readonly user: string;
  readonly uid: string | undefined;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/**
 * The user a context points at. Secret values (token, password, client key) are not enumerable:
 * they never show in `JSON.stringify` or `console.log` of a config.
 */
export interface KubeUser {
  /** Entry name in the kubeconfig. */
  readonly name: string;
  /** PEM client certificate (mutual TLS), with `clientKey`. */
  readonly clientCert: string | undefined;
  /** PEM private key of `clientCert` (not enumerable). */
  readonly clientKey: string | undefined;
  /** Token, token file, basic, exec plugin, or none. */
  readonly auth: KubeAuth;
  readonly impersonate: KubeImpersonation | undefined;
}

/** A resolved Kubernetes connection: where the API server is, how to trust it, and who we are. */
export interface KubeConfig {
  /** `kubeconfig` (files) or `in-cluster` (a pod's service account). */
  readonly source: "kubeconfig" | "in-cluster";
  /** The kubeconfig files that were merged, in order (empty in-cluster). */
  readonly files: readonly string[];
  /** The context name (`in-cluster` for the in-cluster configuration). */
  readonly context: string;
  /** The context's namespace, `default` when it sets none. */
  readonly namespace: string;
  readonly cluster: KubeCluster;
  readonly user: KubeUser;
}

/** Defines secret fields as non-enumerable, so they stay out of logs and JSON. */
export function hideSecrets<T extends object>(value: T, keys: ReadonlyArray<keyof T>): T {
  for (const key of keys) {
    Object.defineProperty(value, key, { value: value[key], enumerable: false, writable: false });
  }
  return value;
}
