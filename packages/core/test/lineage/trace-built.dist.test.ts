/**
 * trace() and verify() as users get them: the built @modeltrail/core, loaded with plain Node as ESM
 * and as CJS, walking two in-memory resolvers. The report must parse back with the sources' schema.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "@modeltrail/test-utils";
import { describe, expect, it } from "vitest";
import { parseTraceReport } from "../../src/index.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const RUN = "0e65c3f1a2b34c5d6e7f80912a3b4c5d";

const body = `
const mlflow = {
  system: "mlflow",
  async getModelVersion(name, version, o) {
    o.onRequest?.({ service: "mlflow", method: "GET", url: "http://x/mv", attempt: 1 });
    return { name, version, mlflowRunId: ${JSON.stringify(RUN)}, tags: { GIT_SHA: ${JSON.stringify(SHA)} } };
  },
  async getMlflowRun(runId, o) {
    o.onRequest?.({ service: "mlflow", method: "GET", url: "http://x/run", attempt: 1 });
    return { runId, tags: { "mlflow.source.git.commit": ${JSON.stringify(SHA)} }, params: {}, metrics: {}, datasets: [{ name: "d", digest: "x1" }] };
  },
};
const report = await core.trace("models:/churn/3", { resolvers: [mlflow] });
const checked = await core.verify("models:/churn/3", { resolvers: [mlflow] });
process.stdout.write(JSON.stringify({ report, ok: checked.ok, checks: checked.checks.map((c) => [c.id, c.status]) }));
`;

function runBuilt(kind: "esm" | "cjs"): { report: unknown; ok: boolean; checks: Array<[string, string]> } {
  const dist = join(REPO_ROOT, "packages", "core", "dist");
  const script =
    kind === "esm"
      ? `const core = await import(${JSON.stringify(join(dist, "index.js"))});${body}`
      : `const core = require(${JSON.stringify(join(dist, "index.cjs"))});(async () => {${body}})();`;
  const out = execFileSync(
    process.execPath,
    kind === "esm" ? ["--input-type=module", "-e", script] : ["-e", script],
    {
      encoding: "utf8",
    },
  );
  return JSON.parse(out);
}

describe.each(["esm", "cjs"] as const)("built trace() and verify() (%s)", (kind) => {
  it("walks the resolvers, counts requests, and writes a report the schema reads back", () => {
    const { report, ok, checks } = runBuilt(kind);
    const parsed = parseTraceReport(report);
    expect(parsed.lineages[0]?.code.gitSha?.value).toBe(SHA);
    expect(parsed.requests).toMatchObject({ total: 2, bySystem: { mlflow: 2 }, lookups: 2 });
    expect(parsed.unreachable.some((u) => u.reason === "no-resolver")).toBe(true);
    expect(ok).toBe(true);
    expect(checks).toContainEqual(["commit.model-version-run", "pass"]);
    expect(checks).toContainEqual(["data.digests", "pass"]);
  });
});
