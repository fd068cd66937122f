import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDistributionRegistry, type TestRegistry } from "./oci-registry.js";
import { type RegistryTokenServer, startRegistryTokenServer } from "./registry-token-server.js";

/** Versions `scripts/install-oci-tools.sh` builds into ~/.cache/modeltrail. */
export const ORAS_VERSION = "1.3.6";
export const COSIGN_VERSION = "2.6.5";

/** Where `scripts/install-oci-tools.sh` puts a Go-built tool ("" when it is not there). */
export function ociToolPath(name: "oras" | "cosign", version: string): string {
  const cache = process.env.MODELTRAIL_CACHE ?? join(homedir(), ".cache", "modeltrail");
  const bin = join(cache, `${name}-${version}`, "bin", name);
  return existsSync(bin) ? bin : "";
}

/** The test registries' fixed users (test-only secrets, generated per run would not help readability). */
export const REGISTRY_TEST_USERS = {
  basic: { username: "basic-user", password: "basic-Pa55word-for-tests" },
  token: { username: "token-user", password: "token-Pa55word-for-tests" },
} as const;

declare module "vitest" {
  interface ProvidedContext {
    /** `127.0.0.1:<port>` of a registry without auth. */
    openRegistry: string;
    /** `127.0.0.1:<port>` of a registry with htpasswd Basic auth (REGISTRY_TEST_USERS.basic). */
    basicRegistry: string;
    /** `127.0.0.1:<port>` of a registry with the bearer token flow (REGISTRY_TEST_USERS.token). */
    tokenRegistry: string;
    /** The token realm of `tokenRegistry`. */
    tokenRealm: string;
    /** Path of the oras binary ("" when not built). */
    orasBin: string;
    /** Path of the cosign binary ("" when not built). */
    cosignBin: string;
  }
}

/**
 * Global setup of the registry integration tier: starts three distribution registries on
 * 127.0.0.1 (open; htpasswd Basic auth; token auth behind a local token service) and provides
 * their hosts (`inject("openRegistry")`, ...). Teardown stops them and deletes their storage.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: TestRegistry[] = [];
  let tokens: RegistryTokenServer | undefined;
  const teardown = async () => {
    await Promise.all(started.map((r) => r.stop()));
    await tokens?.stop();
  };
  try {
    const open = await startDistributionRegistry();
    started.push(open);
    const basic = await startDistributionRegistry({
      kind: "htpasswd",
      users: { [REGISTRY_TEST_USERS.basic.username]: REGISTRY_TEST_USERS.basic.password },
    });
    started.push(basic);
    tokens = await startRegistryTokenServer({
      users: { [REGISTRY_TEST_USERS.token.username]: REGISTRY_TEST_USERS.token.password },
      anonymousPull: ["public/"],
    });
    const token = await startDistributionRegistry({ kind: "token", ...tokens });
    started.push(token);
    project.provide("openRegistry", open.host);
    project.provide("basicRegistry", basic.host);
    project.provide("tokenRegistry", token.host);
    project.provide("tokenRealm", tokens.realm);
    project.provide("orasBin", ociToolPath("oras", ORAS_VERSION));
    project.provide("cosignBin", ociToolPath("cosign", COSIGN_VERSION));
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
