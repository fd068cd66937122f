import { readFileSync } from "node:fs";
import { ConfigError } from "@modeltrail/core";
import { redactUrl, registerSecret } from "@modeltrail/core/internal";
import { inClusterConfig, isInCluster } from "./in-cluster-config.js";
import {
  hideSecrets,
  type KubeCluster,
  type KubeConfig,
  type KubeExecConfig,
  type KubeUser,
} from "./kube-config.js";
import { kubeconfigPaths, readKubeconfigFile, type Sourced } from "./kubeconfig-files.js";
import { type MergedKubeconfig, mergeKubeconfigs } from "./kubeconfig-merge.js";
import type { KubeconfigClusterEntry, KubeconfigUserEntry } from "./kubeconfig-schema.js";

/** Options of {@link loadKubeConfig}. */
export interface LoadKubeConfigOptions {
  /** A kubeconfig file to read instead of `KUBECONFIG` / `~/.kube/config` (it must exist). */
  kubeconfig?: string | undefined;
  /** The context to use instead of `current-context`. */
  context?: string | undefined;
  /** The namespace to use instead of the context's. */
  namespace?: string | undefined;
  /** Environment (default `process.env`): `KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_*`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Home directory holding `.kube/config` (default `$HOME`). */
  homeDir?: string;
  /** Use the pod's service account when no kubeconfig is found (default true). */
  inCluster?: boolean;
  /** Directory of the pod's service account (tests). */
  serviceAccountDir?: string;
}

const EXEC_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"] as const;
const INTERACTIVE_MODES = ["Never", "IfAvailable", "Always"] as const;
const EXEC_EXTENSION = "client.authentication.k8s.io/exec";

/**
 * Loads the Kubernetes connection as kubectl does: the kubeconfig files (explicit path, else the
 * files in `KUBECONFIG` merged with kubectl's rules, else `~/.kube/config`), the current context or
 * the named one, its cluster (server, CA file or data, `insecure-skip-tls-verify` only when set,
 * `tls-server-name`, `proxy-url`), its user (client certificate and key as files or data, `token`,
 * `tokenFile`, basic auth, exec plugins v1 and v1beta1, impersonation) and its namespace (default
 * `default`). When no kubeconfig exists and the process runs in a pod, the pod's service account is
 * used. Certificate files are read now; tokens files and exec plugins are read when a request needs
 * them. Throws ConfigError naming the file, context and field that is missing, malformed or not
 * supported (such as `auth-provider`).
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const paths = kubeconfigPaths({
    kubeconfig: options.kubeconfig,
    env,
    ...(options.homeDir !== undefined ? { homeDir: options.homeDir } : {}),
  });
  const merged = mergeKubeconfigs(paths.map(readKubeconfigFile));
  const empty = merged.contexts.size === 0 && merged.currentContext === undefined;
  if (empty && options.kubeconfig === undefined && options.context === undefined) {
    if (options.inCluster !== false && isInCluster(env)) {
      const config = inClusterConfig({
        env,
        ...(options.serviceAccountDir !== undefined ? { serviceAccountDir: options.serviceAccountDir } : {}),
      });
      return options.namespace ? { ...config, namespace: options.namespace } : config;
    }
    const where =
      paths.length > 0
        ? `the kubeconfig files ${paths.join(", ")} define no context`
        : "no kubeconfig file was found";
    throw new ConfigError(`No Kubernetes configuration: ${where}, and this process does not run in a pod`, {
      sources: ["KUBECONFIG", "~/.kube/config", "KUBERNETES_SERVICE_HOST"],
      hint: "Set KUBECONFIG or create ~/.kube/config (e.g. `az aks get-credentials`), or pass the kubeconfig option",
    });
  }
  return resolveContext(merged, options);
}

function resolveContext(merged: MergedKubeconfig, options: LoadKubeConfigOptions): KubeConfig {
  const files = merged.files.join(", ");
  const name = options.context ?? merged.currentContext?.name;
  if (name === undefined) {
    throw new ConfigError(`The kubeconfig (${files}) sets no current-context and no context was given`, {
      hint: `Pass the context option, or run \`kubectl config use-context NAME\` (contexts: ${[...merged.contexts.keys()].join(", ") || "none"})`,
    });
  }
  const ctx = merged.contexts.get(name);
  if (!ctx) {
    const from =
      options.context !== undefined ? "given" : `current-context in ${merged.currentContext?.file}`;
    throw new ConfigError(`The kubeconfig context "${name}" (${from}) is not defined in ${files}`, {
      hint: `Use one of: ${[...merged.contexts.keys()].join(", ") || "(no contexts)"}`,
    });
  }
  const where = `context "${name}" in ${ctx.file}`;
  const clusterName = ctx.value.cluster;
  if (!clusterName)
    throw new ConfigError(`The kubeconfig ${where} names no cluster`, { hint: "Set context.cluster" });
  const cluster = merged.clusters.get(clusterName);
  if (!cluster) {
    throw new ConfigError(
      `The cluster "${clusterName}" of the kubeconfig ${where} is not defined in ${files}`,
      {
        hint: "Add the cluster, or fix context.cluster",
      },
    );
  }
  let user: Sourced<KubeconfigUserEntry> = { name: "", value: {}, file: ctx.file };
  if (ctx.value.user) {
    const found = merged.users.get(ctx.value.user);
    if (!found) {
      throw new ConfigError(
        `The user "${ctx.value.user}" of the kubeconfig ${where} is not defined in ${files}`,
        {
          hint: "Add the user, or fix context.user",
        },
      );
    }
    user = found;
  }
  const resolvedCluster = resolveCluster(cluster);
  return {
    source: "kubeconfig",
    files: merged.files,
    context: name,
    namespace: options.namespace || ctx.value.namespace || "default",
    cluster: resolvedCluster,
    user: resolveUser(user, cluster),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

function resolveCluster({ name, value: c, file }: Sourced<KubeconfigClusterEntry>): KubeCluster {
  const where = `cluster "${name}" in ${file}`;
  const server = c.server?.trim();
  if (!server) throw new ConfigError(`The kubeconfig ${where} has no server`, { hint: "Set cluster.server" });
  // The URL parser silently drops tabs and newlines inside a URL: refuse, don't repair.
  const shown = server.replace(CONTROL_CHARACTERS, "?");
  if (shown !== server) {
    throw new ConfigError(
      `The kubeconfig ${where} has a server URL with control characters (tab, newline, NUL, ...): "${redactUrl(shown)}"`,
      { hint: "Remove them; a URL never holds them" },
    );
  }
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConfigError(`The kubeconfig ${where} has a malformed server URL "${redactUrl(server)}"`, {
      hint: "Use https://host:port",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`The kubeconfig ${where} has an unsupported server URL scheme "${url.protocol}"`, {
      hint: "Use https://host:port",
    });
  }
  const insecure = c["insecure-skip-tls-verify"] === true;
  const caData = c["certificate-authority-data"];
  const caFile = c["certificate-authority"];
  if (insecure && (caData || caFile)) {
    throw new ConfigError(
      `The kubeconfig ${where} sets both insecure-skip-tls-verify and a certificate authority`,
      {
        hint: "Remove one of them: a root certificate with the insecure flag is not allowed (as in kubectl)",
      },
    );
  }
  let ca: string | undefined;
  if (caData) ca = decodeData(caData, `${where}: certificate-authority-data`);
  else if (caFile) ca = readPem(caFile, `${where}: certificate-authority`);
  const proxy = c["proxy-url"]?.trim() || undefined;
  if (proxy !== undefined) {
    let scheme: string;
    try {
      scheme = new URL(proxy).protocol;
    } catch {
      throw new ConfigError(`The kubeconfig ${where} has a malformed proxy-url`, {
        hint: "Use http://host:port",
      });
    }
    if (!["http:", "https:", "socks5:"].includes(scheme)) {
      throw new ConfigError(`The kubeconfig ${where} has a proxy-url with unsupported scheme "${scheme}"`, {
        hint: "Use an http, https or socks5 proxy URL",
      });
    }
  }
  return {
    name,
    server: server.replace(/\/+$/, ""),
    ca,
    insecureSkipTlsVerify: insecure,
    tlsServerName: c["tls-server-name"] || undefined,
    proxyUrl: proxy,
  };
}

function resolveUser(
  { name, value: u, file }: Sourced<KubeconfigUserEntry>,
  cluster: Sourced<KubeconfigClusterEntry>,
): KubeUser {
  const where = `user "${name}" in ${file}`;
  if (u["auth-provider"]) {
    throw new ConfigError(
      `The kubeconfig ${where} uses the auth-provider "${u["auth-provider"].name}", which modeltrail does not support (kubectl removed the built-in providers)`,
      {
        hint: "Use an exec credential plugin instead, e.g. kubelogin for AKS (`kubelogin convert-kubeconfig`)",
      },
    );
  }
  const methods: string[] = [];
  if (u.token || u.tokenFile) methods.push("token");
  if (u.username || u.password) methods.push("basic");
  if (u.exec) methods.push("exec");
  if (methods.length > 1) {
    throw new ConfigError(
      `The kubeconfig ${where} sets more than one authentication method (${methods.join(", ")}); only one is allowed`,
      { hint: "Keep one of token/tokenFile, username/password and exec" },
    );
  }

  let clientCert: string | undefined;
  let clientKey: string | undefined;
  const certData = u["client-certificate-data"];
  const certFile = u["client-certificate"];
  const keyData = u["client-key-data"];
  const keyFile = u["client-key"];
  if (certData || certFile || keyData || keyFile) {
    if (!(certData || certFile) || !(keyData || keyFile)) {
      throw new ConfigError(
        `The kubeconfig ${where} has a client ${certData || certFile ? "certificate without a key" : "key without a certificate"}`,
        { hint: "Set both client-certificate(-data) and client-key(-data)" },
      );
    }
    clientCert = certData
      ? decodeData(certData, `${where}: client-certificate-data`)
      : readPem(certFile!, `${where}: client-certificate`);
    clientKey = keyData
      ? decodeData(keyData, `${where}: client-key-data`)
      : readPem(keyFile!, `${where}: client-key`);
    registerSecret(clientKey.trim());
  }

  let auth: KubeUser["auth"] = { method: "none" };
  if (u.token) {
    registerSecret(u.token);
    auth = { method: "token", token: u.token };
  } else if (u.tokenFile) {
    auth = { method: "token-file", tokenFile: u.tokenFile };
  } else if (u.username || u.password) {
    if (!u.username)
      throw new ConfigError(`The kubeconfig ${where} has a password but no username`, {
        hint: "Set username",
      });
    registerSecret(u.password);
    auth = { method: "basic", username: u.username, password: u.password ?? "" };
  } else if (u.exec) {
    auth = { method: "exec", exec: resolveExec(u.exec, where, cluster) };
  }

  let impersonate: KubeUser["impersonate"];
  if (
    u.as ||
    u["as-uid"] ||
    (u["as-groups"]?.length ?? 0) > 0 ||
    Object.keys(u["as-user-extra"] ?? {}).length > 0
  ) {
    if (!u.as) {
      throw new ConfigError(`The kubeconfig ${where} sets impersonation groups, uid or extras without "as"`, {
        hint: "Set the user to impersonate with as",
      });
    }
    impersonate = {
      user: u.as,
      uid: u["as-uid"] || undefined,
      groups: u["as-groups"] ?? [],
      extra: u["as-user-extra"] ?? {},
    };
  }
  const user: KubeUser = { name, clientCert, clientKey, auth, impersonate };
  return hideSecrets(user, ["clientKey", "auth"]);
}

function resolveExec(
  exec: NonNullable<KubeconfigUserEntry["exec"]>,
  where: string,
  cluster: Sourced<KubeconfigClusterEntry>,
): KubeExecConfig {
  if (!exec.command)
    throw new ConfigError(`The kubeconfig ${where} has an exec plugin without command`, {
      hint: "Set exec.command",
    });
  const apiVersion = exec.apiVersion;
  if (!apiVersion) {
    throw new ConfigError(`The kubeconfig ${where} has an exec plugin without apiVersion`, {
      hint: `Set exec.apiVersion to ${EXEC_VERSIONS.join(" or ")}`,
    });
  }
  if (!(EXEC_VERSIONS as readonly string[]).includes(apiVersion)) {
    throw new ConfigError(
      `The kubeconfig ${where} asks for exec plugin apiVersion "${apiVersion}", which is not supported`,
      {
        hint: `Use ${EXEC_VERSIONS.join(" or ")} (v1alpha1 was removed from Kubernetes)`,
      },
    );
  }
  let mode = exec.interactiveMode;
  if (!mode) {
    if (apiVersion === "client.authentication.k8s.io/v1") {
      throw new ConfigError(`The kubeconfig ${where} has a v1 exec plugin without interactiveMode`, {
        hint: `Set exec.interactiveMode to ${INTERACTIVE_MODES.join(", ")} (v1 requires it)`,
      });
    }
    mode = "IfAvailable";
  }
  if (!(INTERACTIVE_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(
      `The kubeconfig ${where} has an exec plugin with invalid interactiveMode "${mode}"`,
      {
        hint: `Use one of ${INTERACTIVE_MODES.join(", ")}`,
      },
    );
  }
  const env: Record<string, string> = {};
  for (const { name, value } of exec.env ?? []) env[name] = value;
  const extension = cluster.value.extensions?.find((e) => e.name === EXEC_EXTENSION)?.extension;
  return {
    command: exec.command,
    args: exec.args ?? [],
    env,
    apiVersion: apiVersion as KubeExecConfig["apiVersion"],
    installHint: exec.installHint || undefined,
    provideClusterInfo: exec.provideClusterInfo === true,
    interactiveMode: mode as KubeExecConfig["interactiveMode"],
    clusterConfig: extension,
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes a base64 `*-data` field. Throws ConfigError naming it when it is not base64. */
function decodeData(data: string, field: string): string {
  const compact = data.replace(/\s+/g, "");
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw new ConfigError(`The kubeconfig ${field} is not valid base64`, {
      hint: "Encode the PEM with `base64 -w0`",
    });
  }
  const text = Buffer.from(compact, "base64").toString("utf8");
  if (!text.includes("-----BEGIN")) {
    throw new ConfigError(`The kubeconfig ${field} does not decode to PEM data`, {
      hint: "It must hold the base64 of a PEM file (-----BEGIN ...)",
    });
  }
  return text;
}

function readPem(path: string, field: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`Cannot read ${path}, the ${field}: ${(err as Error).message}`, {
      cause: err,
      hint: "Check the path (relative paths are relative to the kubeconfig file) and permissions",
    });
  }
  if (!text.includes("-----BEGIN")) {
    throw new ConfigError(`${path}, the ${field}, is not a PEM file`, { hint: "Point it at a PEM file" });
  }
  return text;
}
