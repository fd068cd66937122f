import { readFileSync, statSync } from "node:fs";
import { ConfigError, type CredentialProvider } from "@modeltrail/core";
import { registerSecret } from "@modeltrail/core/internal";

/**
 * A bearer token read from a file (kubeconfig `tokenFile`, a pod's service account token) and read
 * again whenever the file changes (its modification time, size or inode) or after the API server
 * answered 401, so rotated tokens are picked up without a restart. Throws ConfigError (from
 * `getAuthHeaders`) naming the file when it cannot be read or is empty.
 */
export function tokenFileCredentials(path: string): CredentialProvider {
  let cached: { token: string; stamp: string } | undefined;
  const stampOf = (): string | undefined => {
    try {
      const st = statSync(path);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
  };
  return {
    kind: "token-file",
    async getAuthHeaders(context) {
      const stamp = stampOf();
      if (cached === undefined || context?.forceRefresh || stamp !== cached.stamp) {
        let text: string;
        try {
          text = readFileSync(path, "utf8");
        } catch (err) {
          throw new ConfigError(`Cannot read the Kubernetes token file ${path}: ${(err as Error).message}`, {
            cause: err,
            hint: "Check the kubeconfig tokenFile path (or the pod's service account mount) and its permissions",
          });
        }
        const token = text.trim();
        if (token === "") {
          throw new ConfigError(`The Kubernetes token file ${path} is empty`, {
            hint: "Write the bearer token into the file",
          });
        }
        registerSecret(token);
        cached = { token, stamp: stamp ?? "" };
      }
      return { authorization: `Bearer ${cached.token}` };
    },
  };
}
