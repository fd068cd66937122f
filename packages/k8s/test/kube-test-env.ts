import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, inject } from "vitest";
import { KubeClient, type KubeClientOptions } from "../src/index.js";

const run = promisify(execFile);

/** kubectl against the local control plane; resolves with stdout, rejects with stderr in the message. */
export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(inject("kubectl"), ["--kubeconfig", inject("kubeconfig"), ...args], {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    return (await child).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(" ")} failed: ${e.stderr ?? e.message}`);
  }
}

/**
 * A fresh namespace per test file on the local control plane and a KubeClient for it (the admin
 * certificate kubeconfig); the namespace is deleted afterwards.
 */
export function useKubeNamespace(prefix: string, options: KubeClientOptions = {}) {
  const state = {
    namespace: `${prefix}-${randomBytes(3).toString("hex")}`,
    kube: undefined as unknown as KubeClient,
  };
  beforeAll(async () => {
    await kubectl(["create", "namespace", state.namespace]);
    state.kube = new KubeClient({ kubeconfig: inject("kubeconfig"), namespace: state.namespace, ...options });
  });
  afterAll(async () => {
    await state.kube?.close();
    await kubectl(["delete", "namespace", state.namespace, "--wait=false"]).catch(() => undefined);
  });
  return state;
}
