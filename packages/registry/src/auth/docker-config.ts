import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@modeltrail/core";
import { registerSecret } from "@modeltrail/core/internal";
import { DOCKER_HUB_REGISTRY, normalizeRegistry } from "../reference.js";
import { runCredentialHelper } from "./credential-helper.js";
import {
  checkCredential,
  type RegistryCredential,
  type RegistryCredentialSource,
} from "./registry-credentials.js";

/** The key Docker uses for Docker Hub in `auths` and with credential helpers. */
export const DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/";

/** Options of {@link dockerConfigCredentials}. */
export interface DockerConfigCredentialsOptions {
  /** Directory holding `config.json` (default: `DOCKER_CONFIG`, else `~/.docker`). */
  configDir?: string | undefined;
  /** Environment for `DOCKER_CONFIG`, `HOME` and the helpers' PATH (default `process.env`). */
  env?: Record<string, string | undefined> | undefined;
  /** Timeout of one credential helper run in ms (default 30 000). */
  helperTimeoutMs?: number | undefined;
}

/** One `auths` entry of a Docker config file. */
interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The parts of `config.json` that hold credentials. */
interface DockerConfigFile {
  auths: Map<string, AuthEntry>;
  credsStore: string | undefined;
  credHelpers: Map<string, string>;
}

/** The `config.json` path for the options: `configDir`, `DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigPath(options: DockerConfigCredentialsOptions = {}): string {
  const env = options.env ?? process.env;
  const dir = options.configDir ?? (env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker"));
  return join(dir, "config.json");
}

/** Maps a key of `auths`/`credHelpers` (`https://host/v1/`, `host`, `http://host:5000`) to a normalized host. */
export function configKeyToRegistry(key: string): string {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "");
  return normalizeRegistry(host);
}

/**
 * Credentials from the Docker CLI's `config.json` (`DOCKER_CONFIG` or `~/.docker`), as `docker
 * login` writes them: `credHelpers[host]` names a `docker-credential-*` helper for one registry,
 * `credsStore` a helper for all, and `auths[host]` holds `auth` (base64 `user:password`),
 * `username`/`password`, `identitytoken` or `registrytoken`. A helper is asked first; when it has
 * nothing, the `auths` entry is used. A missing file means anonymous access. Results are cached per
 * registry until the registry rejects them (`forceRefresh`).
 *
 * `credentialsFor` throws ConfigError for a malformed file or entry (naming the file and the
 * registry key, never the secret) and whatever the helper throws (see `runCredentialHelper`).
 */
export function dockerConfigCredentials(
  options: DockerConfigCredentialsOptions = {},
): RegistryCredentialSource {
  const path = dockerConfigPath(options);
  let file: Promise<DockerConfigFile | undefined> | undefined;
  const cache = new Map<string, Promise<RegistryCredential | undefined>>();

  const load = () => {
    file ??= readDockerConfig(path);
    file.catch(() => {
      file = undefined;
    });
    return file;
  };

  async function lookUp(
    registry: string,
    signal: AbortSignal | undefined,
  ): Promise<RegistryCredential | undefined> {
    const config = await load();
    if (!config) return undefined;
    const helper = config.credHelpers.get(registry) ?? config.credsStore;
    if (helper) {
      const serverUrl = registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_CONFIG_KEY : registry;
      const fromHelper = await runCredentialHelper(helper, serverUrl, {
        env: options.env,
        timeoutMs: options.helperTimeoutMs,
        signal,
      });
      if (fromHelper) return fromHelper;
    }
    const entry = config.auths.get(registry);
    return entry ? entryToCredential(entry, registry, path) : undefined;
  }

  return {
    kind: "docker-config",
    credentialsFor(registry, context = {}) {
      const host = normalizeRegistry(registry);
      if (context.forceRefresh) {
        cache.delete(host);
        file = undefined;
      }
      let found = cache.get(host);
      if (!found) {
        found = lookUp(host, context.signal);
        cache.set(host, found);
        found.catch(() => cache.delete(host));
      }
      return found;
    },
  };
}

async function readDockerConfig(path: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return undefined;
    throw new ConfigError(`Cannot read the Docker config ${path}: ${(err as Error).message}`, {
      sources: ["DOCKER_CONFIG"],
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`The Docker config ${path} is not valid JSON`, {
      hint: "Fix the file, or point DOCKER_CONFIG at a directory with a valid config.json",
    });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError(`The Docker config ${path} is not a JSON object`);
  }
  const raw = json as { auths?: unknown; credsStore?: unknown; credHelpers?: unknown };
  const auths = new Map<string, AuthEntry>();
  if (raw.auths !== undefined) {
    if (typeof raw.auths !== "object" || raw.auths === null)
      throw new ConfigError(`The Docker config ${path}: "auths" is not an object`);
    for (const [key, value] of Object.entries(raw.auths)) {
      if (typeof value !== "object" || value === null)
        throw new ConfigError(`The Docker config ${path}: auths["${key}"] is not an object`);
      const entry = value as Record<string, unknown>;
      for (const f of ["auth", "password", "identitytoken", "registrytoken"]) {
        if (typeof entry[f] === "string") registerSecret(entry[f] as string);
      }
      auths.set(configKeyToRegistry(key), entry as AuthEntry);
    }
  }
  if (raw.credsStore !== undefined && typeof raw.credsStore !== "string") {
    throw new ConfigError(`The Docker config ${path}: "credsStore" is not a string`);
  }
  const credHelpers = new Map<string, string>();
  if (raw.credHelpers !== undefined) {
    if (typeof raw.credHelpers !== "object" || raw.credHelpers === null) {
      throw new ConfigError(`The Docker config ${path}: "credHelpers" is not an object`);
    }
    for (const [key, value] of Object.entries(raw.credHelpers)) {
      if (typeof value !== "string")
        throw new ConfigError(`The Docker config ${path}: credHelpers["${key}"] is not a string`);
      credHelpers.set(configKeyToRegistry(key), value);
    }
  }
  return { auths, credsStore: raw.credsStore || undefined, credHelpers };
}

function entryToCredential(entry: AuthEntry, registry: string, path: string): RegistryCredential | undefined {
  const where = `the Docker config ${path}, auths entry for ${registry}`;
  if (entry.registrytoken)
    return checkCredential({ kind: "registry-token", token: entry.registrytoken }, where);
  if (entry.identitytoken) {
    return checkCredential(
      { kind: "identity-token", identityToken: entry.identitytoken, username: entry.username },
      where,
    );
  }
  if (entry.auth) {
    let decoded: string;
    try {
      decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    } catch {
      throw new ConfigError(`${where}: "auth" is not base64`);
    }
    const colon = decoded.indexOf(":");
    if (colon <= 0 || !/^[A-Za-z0-9+/=\s]*$/.test(entry.auth)) {
      throw new ConfigError(`${where}: "auth" is not base64 of "user:password"`, {
        hint: "Log in again with docker login",
      });
    }
    const password = decoded.slice(colon + 1);
    registerSecret(password);
    return checkCredential({ kind: "basic", username: decoded.slice(0, colon), password }, where);
  }
  if (entry.username && entry.password) {
    return checkCredential({ kind: "basic", username: entry.username, password: entry.password }, where);
  }
  return undefined;
}
