import { basicAuth, bearerToken, ConfigError, type CredentialProvider } from "@modeltrail/core";
import type { KubeConfig } from "../config/kube-config.js";
import { type ExecCredentialsOptions, execCredentials } from "./exec-credentials.js";
import { tokenFileCredentials } from "./token-file-credentials.js";

/**
 * The credential provider of a kubeconfig user: a static token, a token file (re-read when it
 * changes), basic auth, or an exec plugin; undefined when the user has none (a client certificate
 * alone, or anonymous). Throws ConfigError for an empty token.
 */
export function kubeCredentials(
  config: KubeConfig,
  execOptions: ExecCredentialsOptions = {},
): CredentialProvider | undefined {
  const auth = config.user.auth;
  switch (auth.method) {
    case "token":
      return bearerToken(auth.token);
    case "token-file":
      return tokenFileCredentials(auth.tokenFile);
    case "basic":
      return basicAuth(auth.username, auth.password);
    case "exec":
      return execCredentials(auth.exec, config.cluster, { userName: config.user.name, ...execOptions });
    default:
      return undefined;
  }
}

/**
 * The impersonation headers of a kubeconfig user (`as`, `as-uid`, `as-groups`, `as-user-extra`).
 * Kubernetes reads each group and extra value from a header of its own, which the transport's
 * one-value-per-name headers cannot repeat: throws ConfigError for more than one group or more than
 * one value of an extra key.
 */
export function impersonationHeaders(config: KubeConfig): Record<string, string> {
  const imp = config.user.impersonate;
  if (!imp) return {};
  const headers: Record<string, string> = { "impersonate-user": imp.user };
  if (imp.uid) headers["impersonate-uid"] = imp.uid;
  const many = (what: string) =>
    new ConfigError(`The kubeconfig user "${config.user.name}" impersonates with more than one ${what}`, {
      hint: "modeltrail sends one impersonation group and one value per extra key; reduce them to one",
    });
  if (imp.groups.length > 1) throw many("group (as-groups)");
  if (imp.groups[0]) headers["impersonate-group"] = imp.groups[0];
  for (const [key, values] of Object.entries(imp.extra)) {
    if (values.length > 1) throw many(`value of the extra "${key}" (as-user-extra)`);
    if (values[0] !== undefined) headers[`impersonate-extra-${encodeURIComponent(key)}`] = values[0];
  }
  return headers;
}
