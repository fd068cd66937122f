import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "./helpers/run-cli-capture.js";

/** trace and verify with a partial configuration: what is not configured is said, never guessed. */
let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "modeltrail-cli-trace-"));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe("trace and verify without the systems configured", () => {
  it("trace of a deployment with no kubeconfig: nothing found, each missing system named, exit 0", async () => {
    const r = await runCaptured(["trace", "deployment/ml-serving/churn", "--json"], {
      env: { HOME: home },
      cwd: home,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.lineages).toBe(0);
    expect(out.notConfigured.map((s: { system: string }) => s.system)).toEqual([
      "mlflow",
      "databricks",
      "kubernetes",
    ]);
    expect(out.notConfigured[0].why).toMatch(/MLFLOW_TRACKING_URI/);
    expect(out.report.unreachable).toEqual(
      expect.arrayContaining([expect.objectContaining({ system: "kubernetes", reason: "no-resolver" })]),
    );
  });

  it("the human report says what was not reached and not configured", async () => {
    const r = await runCaptured(["trace", "deployment/ml-serving/churn"], { env: { HOME: home }, cwd: home });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nothing found for deployment\/ml-serving\/churn/m);
    expect(r.stdout).toMatch(/^not configured: kubernetes \(no kubeconfig/m);
    expect(r.stdout).toMatch(/^\d+ requests, \d+ look-ups$/m);
  });

  it("a kubeconfig that does not parse is a configuration problem, not a guess: kubernetes is skipped with why", async () => {
    const kubeconfig = join(home, "broken-kubeconfig");
    await writeFile(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n");
    const r = await runCaptured(
      ["trace", "deployment/ml-serving/churn", "--json", "--kubeconfig", kubeconfig],
      {
        env: { HOME: home },
        cwd: home,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const k = r.json().notConfigured.find((s: { system: string }) => s.system === "kubernetes");
    expect(k?.why).toBeTruthy();
  });

  it("verify that finds nothing fails with exit 3: a gate never passes on nothing", async () => {
    const r = await runCaptured(["verify", "deployment/ml-serving/churn", "--json"], {
      env: { HOME: home },
      cwd: home,
    });
    expect(r.code).toBe(3);
    expect(r.json()).toMatchObject({ ok: false, pass: 0, fail: 0 });
    expect(r.stderr).toMatch(
      /^modeltrail verify: error: Nothing found to verify for deployment\/ml-serving\/churn$/m,
    );
    expect(r.stderr).toMatch(/^hint: not configured: mlflow, databricks, kubernetes/m);
  });

  it("an unreadable public key is a usage error", async () => {
    const r = await runCaptured(["verify", "models:/churn/3", "--public-key", join(home, "nope.pub")], {
      env: { HOME: home },
      cwd: home,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^modeltrail verify: error: Cannot read the public key/m);
  });
});
