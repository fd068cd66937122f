import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseReference } from "@modeltrail/registry";
import { UsageError } from "../cli/usage-error.js";
import { type ActionInputs, isPem } from "./action-inputs.js";

/** Credential files the action wrote for one command, and how to remove them. */
export interface ActionCredentials {
  /**
   * Environment variables pointing at the files (`DOCKER_CONFIG`, `KUBECONFIG`,
   * `MODELTRAIL_PUBLIC_KEY`, `MODELTRAIL_SIGNING_KEY`).
   */
  env: Record<string, string>;
  /** The `base64(user:password)` of a registry login, for masking. */
  secrets: string[];
  /** Deletes the files. */
  remove(): Promise<void>;
}

/**
 * Writes the registry login and the kubeconfig given as inputs into a private directory under
 * `RUNNER_TEMP` (mode 0700, files 0600, each written to a temp name and renamed), and returns the
 * variables that point the libraries at them: `DOCKER_CONFIG` (a Docker config with `auths` for
 * the registry of `MODELTRAIL_REGISTRY` or `registry-host`) and `KUBECONFIG`; and the `public-key`
 * input as `MODELTRAIL_PUBLIC_KEY` and the `signing-key` input as `MODELTRAIL_SIGNING_KEY` (PEM
 * text written to a file there; a path passed as it is). `remove()` deletes the directory.
 * Throws UsageError when a registry login is given without a registry to log in to.
 */
export async function writeActionCredentials(
  inputs: ActionInputs,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ActionCredentials> {
  const out: Record<string, string> = {};
  const secrets: string[] = [];
  const pem = inputs.publicKey && isPem(inputs.publicKey) ? inputs.publicKey : undefined;
  if (inputs.publicKey && !pem) out.MODELTRAIL_PUBLIC_KEY = inputs.publicKey;
  const signingPem = inputs.signingKey && isPem(inputs.signingKey) ? inputs.signingKey : undefined;
  if (inputs.signingKey && !signingPem) out.MODELTRAIL_SIGNING_KEY = inputs.signingKey;
  if (!inputs.registryPassword && !inputs.kubeconfig && !pem && !signingPem)
    return { env: out, secrets, remove: async () => {} };
  const dir = join(env.RUNNER_TEMP || tmpdir(), `modeltrail-action-${randomBytes(6).toString("hex")}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    if (inputs.registryUsername && inputs.registryPassword) {
      const repository = inputs.env.MODELTRAIL_REGISTRY ?? env.MODELTRAIL_REGISTRY;
      if (!repository || repository.startsWith("oci:"))
        throw new UsageError("`registry-password` is given but no registry to log in to", {
          hint: "set the `registry` input (or MODELTRAIL_REGISTRY) to the image repository, e.g. myacr.azurecr.io/models/churn",
        });
      const host = parseReference(repository, { defaultTag: "none" }).registry;
      const auth = Buffer.from(`${inputs.registryUsername}:${inputs.registryPassword}`).toString("base64");
      secrets.push(auth);
      await mkdir(join(dir, "docker"), { mode: 0o700 });
      await writePrivate(
        join(dir, "docker", "config.json"),
        `${JSON.stringify({ auths: { [host]: { auth } } })}\n`,
      );
      out.DOCKER_CONFIG = join(dir, "docker");
    }
    if (inputs.kubeconfig) {
      await writePrivate(join(dir, "kubeconfig"), `${inputs.kubeconfig}\n`);
      out.KUBECONFIG = join(dir, "kubeconfig");
    }
    if (pem) {
      await writePrivate(join(dir, "public-key.pem"), `${pem}\n`);
      out.MODELTRAIL_PUBLIC_KEY = join(dir, "public-key.pem");
    }
    if (signingPem) {
      await writePrivate(join(dir, "signing-key.pem"), `${signingPem}\n`);
      out.MODELTRAIL_SIGNING_KEY = join(dir, "signing-key.pem");
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { env: out, secrets, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function writePrivate(path: string, text: string): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString("hex")}.partial`;
  await writeFile(temp, text, { mode: 0o600, flag: "wx" });
  await rename(temp, path);
}
