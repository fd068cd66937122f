import { ConfigError } from "@modeltrail/core";
import { registerSecret } from "@modeltrail/core/internal";
import { normalizeRegistry } from "../reference.js";

/**
 * Credentials for one registry, in the forms registries and `~/.docker/config.json` know:
 * - `basic`: user name and password (also ACR's admin user, a token name and password, ...);
 *   sent as Basic auth to the registry or to its token realm.
 * - `identity-token`: an OAuth2 refresh token (`identitytoken` in the Docker config, what ACR's
 *   `/oauth2/exchange` returns), traded at the realm for scoped access tokens.
 * - `registry-token`: a bearer token sent to the registry as is.
 */
export type RegistryCredential =
  | { kind: "basic"; username: string; password: string }
  | { kind: "identity-token"; identityToken: string; username?: string | undefined }
  | { kind: "registry-token"; token: string };

/** What a credential source gets with each look-up. */
export interface RegistryCredentialContext {
  /** Aborts a look-up that runs a helper program or a token exchange. */
  signal?: AbortSignal | undefined;
  /** True after the registry rejected the previous credentials: drop any cached value. */
  forceRefresh?: boolean | undefined;
}

/**
 * Supplies the credentials of a registry host. Each registry client asks only for its own host,
 * so credentials go only to the registry they belong to.
 */
export interface RegistryCredentialSource {
  /** Short name used in messages: `static`, `docker-config`, `acr`, `chain`. */
  readonly kind: string;
  /**
   * The credentials for `registry` (a normalized host such as `myacr.azurecr.io` or
   * `127.0.0.1:5000`), or undefined for anonymous access. Throws ConfigError or ApiError when a
   * configured source cannot produce them (a failing credential helper, a refused exchange).
   */
  credentialsFor(
    registry: string,
    context?: RegistryCredentialContext,
  ): Promise<RegistryCredential | undefined>;
}

/** Checks a credential and registers its secrets for redaction. @throws ConfigError when a field is empty. */
export function checkCredential(credential: RegistryCredential, where: string): RegistryCredential {
  switch (credential.kind) {
    case "basic":
      if (!credential.username) throw new ConfigError(`${where}: the user name is empty`);
      if (credential.username.includes(":"))
        throw new ConfigError(`${where}: a user name must not contain ':'`);
      if (!credential.password)
        throw new ConfigError(`${where}: the password of user "${credential.username}" is empty`);
      registerSecret(credential.password);
      registerSecret(Buffer.from(`${credential.username}:${credential.password}`).toString("base64"));
      return credential;
    case "identity-token":
      if (!credential.identityToken) throw new ConfigError(`${where}: the identity token is empty`);
      registerSecret(credential.identityToken);
      return credential;
    case "registry-token":
      if (!credential.token) throw new ConfigError(`${where}: the registry token is empty`);
      registerSecret(credential.token);
      return credential;
    default:
      throw new ConfigError(`${where}: unknown credential kind "${(credential as { kind?: unknown }).kind}"`);
  }
}

/**
 * Fixed credentials per registry host, e.g. `{ "myacr.azurecr.io": { kind: "basic", username,
 * password } }` (ACR's admin user). Hosts are matched after normalization (case, Docker Hub aliases).
 * @throws ConfigError when a credential has an empty field.
 */
export function staticCredentials(byRegistry: Record<string, RegistryCredential>): RegistryCredentialSource {
  const map = new Map<string, RegistryCredential>();
  for (const [host, credential] of Object.entries(byRegistry)) {
    map.set(normalizeRegistry(host), checkCredential(credential, `credentials for ${host}`));
  }
  return {
    kind: "static",
    credentialsFor: async (registry) => map.get(normalizeRegistry(registry)),
  };
}

/**
 * ACR's admin user (or a repository-scoped token's name and password): Basic credentials for one
 * registry, sent only to that registry and its token endpoint.
 * @throws ConfigError when the user name or password is empty.
 */
export function acrAdminCredentials(
  registry: string,
  username: string,
  password: string,
): RegistryCredentialSource {
  return staticCredentials({ [registry]: { kind: "basic", username, password } });
}

/** Asks each source in turn; the first that has credentials for the registry wins. */
export function chainCredentials(...sources: RegistryCredentialSource[]): RegistryCredentialSource {
  return {
    kind: "chain",
    async credentialsFor(registry, context) {
      for (const source of sources) {
        const found = await source.credentialsFor(registry, context);
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** No credentials for any registry: every request is anonymous. */
export const anonymousCredentials: RegistryCredentialSource = {
  kind: "anonymous",
  credentialsFor: async () => undefined,
};
