import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { kubectl } from "./kube-test-env.js";

/** The README's first ```js block: the whole tour (render, deploy, history, rollback, traceOf). */
async function readmeExample(): Promise<string> {
  const text = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const m = /```js\n([\s\S]*?)```/.exec(text);
  if (!m?.[1]) throw new Error("README has no js example");
  return m[1];
}

describe("the README example runs as written against the control plane", () => {
  let work: string;
  const namespace = `readme-${Date.now().toString(36)}`;
  const saved = process.env.KUBECONFIG;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "mt-k8s-readme-"));
    await kubectl(["create", "namespace", namespace]);
    // The example uses KUBECONFIG and its context's namespace: point both at a fresh namespace.
    const config = JSON.parse(readFileSync(inject("kubeconfig"), "utf8"));
    config.contexts[0].context.namespace = namespace;
    await writeFile(join(work, "kubeconfig"), JSON.stringify(config), { mode: 0o600 });
    process.env.KUBECONFIG = join(work, "kubeconfig");
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    await kubectl(["delete", "namespace", namespace, "--wait=false"]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it("renders, deploys twice, lists history, rolls back to a run id and reads the live trace", async () => {
    const file = join(work, "example.mjs");
    await writeFile(file, await readmeExample());
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.join(" "));
    });
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      log.mockRestore();
    }
    expect(lines[0]).toBe("true");
    expect(lines).toContain('deployment "churn-api" successfully rolled out');
    expect(lines).toContain("live run: 1795788642450001");
    expect(lines).toContain("revision 1: run 1795788642450001");
    expect(lines).toContain("revision 2: run 1795788642450002 (live)");
    expect(lines).toContain("rolled back to run 1795788642450001 revision 3");
    expect(lines.at(-1)).toBe("live git sha: 4f2c9e1d0b8a7c6e5f4d3c2b1a0f9e8d7c6b5a49");
    const svc = JSON.parse(await kubectl(["get", "service", "churn-api", "-n", namespace, "-o", "json"]));
    expect(svc.spec.selector).toEqual({
      "app.kubernetes.io/name": "churn-api",
      "app.kubernetes.io/instance": "churn-api",
    });
  });
});
