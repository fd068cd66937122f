import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { STATE_SCHEMA } from "../lib/state.ts";

// Each step script of examples/steps, run as a user runs it (node with type stripping, the built
// packages): --help, bad flags, a state that lacks the earlier step, and the dry path, which checks
// its inputs and says what it would do without contacting anything (the URLs below answer nothing).
const exec = promisify(execFile);
const STEPS = join(import.meta.dirname, "..", "steps");
const dir = mkdtempSync(join(tmpdir(), "modeltrail-steps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// an OCI layout where step 4 would have put the images (the local target deploys from it)
mkdirSync(join(dir, "images"), { recursive: true });
writeFileSync(join(dir, "images", "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [] }));

const FILES = [
  "1-ci.ts",
  "2-train.ts",
  "3-register.ts",
  "4-build-image.ts",
  "5-deploy.ts",
  "6-trace.ts",
  "7-rollback.ts",
] as const;

const SHA = "f5002573e14c7cffe700ad21c017537ca34a7f00";
const ctx = (extra: object = {}) => ({ schemaVersion: 1, code: { gitSha: SHA }, ...extra });
const FULL_STATE = {
  schema: STATE_SCHEMA,
  ci: { ctx: ctx(), settings: { name: "modeltrail-demo-train-dev", tasks: [] }, jobId: "1795808101140000" },
  runs: [{ seed: 42, jobRunId: "1795808101140001", mlflowRunId: "a".repeat(32), trackingUri: "http://x" }],
  versions: [{ name: "churn", version: "1", mlflowRunId: "a".repeat(32), ctx: ctx() }],
  images: [
    {
      runId: "1795808101140001",
      digest: `sha256:${"1".repeat(64)}`,
      layoutDir: join(dir, "images"),
      layoutRef: "oci:images:1795808101140001",
      deployRef: `demo/churn:1795808101140001@sha256:${"1".repeat(64)}`,
      ctx: ctx({ model: { name: "churn", version: "1", mlflowRunId: "a".repeat(32) } }),
    },
    {
      runId: "1795808101140002",
      digest: `sha256:${"2".repeat(64)}`,
      layoutDir: join(dir, "images"),
      layoutRef: "oci:images:1795808101140002",
      deployRef: `demo/churn:1795808101140002@sha256:${"2".repeat(64)}`,
      ctx: ctx({ model: { name: "churn", version: "2", mlflowRunId: "b".repeat(32) } }),
    },
  ],
  deployed: { target: "kubernetes", namespace: "default", history: ["1795808101140001", "1795808101140002"] },
};

function stateFile(state: unknown): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof state === "string" ? state : JSON.stringify(state));
  return file;
}

async function step(file: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(STEPS, file), ...args], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        MODELTRAIL_HOME: join(dir, "home"),
        MLFLOW_TRACKING_URI: "http://127.0.0.1:9",
        ...env,
      },
      timeout: 60_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe("examples/steps: one script per step", () => {
  it.each(FILES)("%s --help says what it does, its flags and every env var it reads", async (file) => {
    const { code, out } = await step(file, ["--help"]);
    expect(code).toBe(0);
    expect(out).toContain(`Usage: node examples/steps/${file}`);
    expect(out).toContain("--dry-run");
    expect(out).toMatch(/\nEnv:\n {2}\S/);
  });

  it.each(FILES)("%s exits 2 on a flag it does not know", async (file) => {
    const { code, out } = await step(file, ["--no-such-flag"]);
    expect(code).toBe(2);
    expect(out).toContain("Usage:");
  });

  it.each([
    ["1-ci.ts", [], /would detect the trace context of this checkout, render/],
    [
      "2-train.ts",
      ["--seed", "7"],
      /would run job 1795808101140000 \(modeltrail-demo-train-dev\) with seed 7/,
    ],
    ["3-register.ts", ["--run-id", "c".repeat(32)], new RegExp(`would register ${"c".repeat(32)} as`)],
    ["4-build-image.ts", [], /would build nothing into .*images/],
    [
      "5-deploy.ts",
      [],
      /would deploy oci:.*\/images@sha256:2{64} \(run 1795808101140002\) to the local target as churn-model/,
    ],
    [
      "5-deploy.ts",
      ["--target", "kubernetes", "--run-id", "1795808101140001"],
      /would deploy demo\/churn:1795808101140001@sha256:1{64} \(run 1795808101140001\) to kubernetes/,
    ],
    [
      "5-deploy.ts",
      ["--run-id", "a".repeat(32)],
      /would deploy oci:.*\/images@sha256:1{64} \(run 1795808101140001\) to the local target/,
    ],
    [
      "5-deploy.ts",
      ["--kubeconfig", "/nowhere/kubeconfig"],
      /would deploy demo\/churn:1795808101140002@sha256:2{64} \(run 1795808101140002\) to kubernetes/,
    ],
    [
      "6-trace.ts",
      [],
      /would trace and verify deployment\/default\/churn-model \(the deployment of step 5\)/,
    ],
    [
      "7-rollback.ts",
      [],
      /would roll churn-model back on the kubernetes target to the previous revision \(expecting run 1795808101140001\)/,
    ],
  ] as const)(
    "%s --dry-run reads its inputs from the state and the env and says what it would do",
    async (file, args, want) => {
      const { code, out } = await step(file, ["--dry-run", "--state", stateFile(FULL_STATE), ...args]);
      expect(out).toMatch(want);
      expect(code).toBe(0);
    },
  );

  it.each([
    ["2-train.ts", "1-ci.ts"],
    ["3-register.ts", "1-ci.ts"],
    ["4-build-image.ts", "3-register.ts"],
    ["5-deploy.ts", "4-build-image.ts"],
    ["7-rollback.ts", "5-deploy.ts"],
  ] as const)("%s on an empty state names the step to run first", async (file, first) => {
    const { code, out } = await step(file, ["--dry-run", "--state", join(dir, "none.json")]);
    expect(code).toBe(1);
    expect(out).toContain(`run examples/steps/${first} first`);
  });

  it.each([
    ["5-deploy.ts", ["--target", "cloud"], '--target is "cloud": expected local or kubernetes (k8s)'],
    ["7-rollback.ts", ["--target", ""], '--target is "": expected local or kubernetes (k8s)'],
    [
      "5-deploy.ts",
      ["--target", "local", "--kubeconfig", "/nowhere"],
      "--kubeconfig and --context name a cluster: use them with --target kubernetes",
    ],
    [
      "7-rollback.ts",
      ["--target", "local"],
      "--target local: step 5 deployed to the kubernetes target; run examples/steps/5-deploy.ts --target local first",
    ],
  ] as const)(
    "%s %j is a usage error: one clear line, the usage, exit code 2",
    async (file, args, message) => {
      const { code, out } = await step(file, ["--dry-run", "--state", stateFile(FULL_STATE), ...args]);
      expect(out).toContain(message);
      expect(out).toContain(`Usage: node examples/steps/${file}`);
      expect(out).toContain("--target T");
      expect(code).toBe(2);
    },
  );

  it("takes the target from MODELTRAIL_DEPLOY_TARGET (the CLI's words: local, k8s) and refuses another", async () => {
    const k8s = await step("5-deploy.ts", ["--dry-run", "--state", stateFile(FULL_STATE)], {
      MODELTRAIL_DEPLOY_TARGET: "k8s",
    });
    expect(k8s.out).toMatch(/would deploy demo\/churn:1795808101140002@sha256:2{64} .* to kubernetes/);
    expect(k8s.code).toBe(0);
    const bad = await step("5-deploy.ts", ["--dry-run", "--state", stateFile(FULL_STATE)], {
      MODELTRAIL_DEPLOY_TARGET: "aks",
    });
    expect(bad.out).toContain('MODELTRAIL_DEPLOY_TARGET is "aks": expected local or kubernetes');
    expect(bad.code).toBe(2);
  });

  it("on the local target: 5 needs the image's layout or registry, 6 traces a prediction, 7 follows 5", async () => {
    const images = FULL_STATE.images.map((i) => ({ ...i, layoutDir: join(dir, "no-layout") }));
    const noImage = await step("5-deploy.ts", ["--dry-run", "--state", stateFile({ ...FULL_STATE, images })]);
    expect(noImage.out).toContain(
      "The image of run 1795808101140002 is neither in its OCI layout (" +
        join(dir, "no-layout") +
        ") nor pushed to a registry: run examples/steps/4-build-image.ts",
    );
    expect(noImage.code).toBe(1);
    const pushed = images.map((i) => ({ ...i, pushedRef: i.deployRef }));
    const fromRegistry = await step("5-deploy.ts", [
      "--dry-run",
      "--state",
      stateFile({ ...FULL_STATE, images: pushed }),
    ]);
    expect(fromRegistry.out).toMatch(
      /would deploy demo\/churn:1795808101140002@sha256:2{64} .* to the local target/,
    );
    expect(fromRegistry.code).toBe(0);

    const local = {
      ...FULL_STATE,
      deployed: {
        target: "local",
        namespace: "local",
        stateDir: join(dir, "home", "local-target"),
        url: "http://127.0.0.1:9",
        history: ["1795808101140001", "1795808101140002"],
      },
    };
    const trace = await step("6-trace.ts", ["--dry-run", "--state", stateFile(local)], {
      KUBECONFIG: "/nowhere/kubeconfig",
    });
    expect(trace.out).toContain(
      "would ask churn-model on the local target (http://127.0.0.1:9) for a prediction and trace and verify its log line through mlflow, oci-layout, local-deploy",
    );
    expect(trace.out).not.toContain("kubernetes");
    expect(trace.code).toBe(0);
    const back = await step("7-rollback.ts", ["--dry-run", "--state", stateFile(local)]);
    expect(back.out).toContain(
      "would roll churn-model back on the local target to the previous revision (expecting run 1795808101140001)",
    );
    expect(back.code).toBe(0);
    const never = await step("7-rollback.ts", [
      "--dry-run",
      "--state",
      stateFile({ ...local, deployed: { ...local.deployed, history: ["1795808101140002"] } }),
      "--run-id",
      "1795808101140001",
    ]);
    expect(never.out).toContain(
      "Run 1795808101140001 was never deployed to the local target (deployed: 1795808101140002): deploy it with examples/steps/5-deploy.ts --run-id 1795808101140001",
    );
    expect(never.code).toBe(1);
    const wrong = await step("7-rollback.ts", ["--dry-run", "--state", stateFile(local), "--target", "k8s"]);
    expect(wrong.out).toContain("--target kubernetes: step 5 deployed to the local target");
    expect(wrong.code).toBe(2);
  });

  it("says which env var is missing, refuses a file that is not a state, and checks its flags' values", async () => {
    const noUri = await step("2-train.ts", ["--dry-run", "--state", stateFile(FULL_STATE)], {
      MLFLOW_TRACKING_URI: "",
    });
    expect(noUri.code).toBe(1);
    expect(noUri.out).toContain("MLFLOW_TRACKING_URI is not set");
    for (const bad of ["not json", JSON.stringify({ schema: "other" })]) {
      const r = await step("6-trace.ts", ["--dry-run", "--state", stateFile(bad)]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/is not (JSON|a pipeline state)/);
    }
    const seed = await step("2-train.ts", ["--dry-run", "--state", stateFile(FULL_STATE), "--seed", "x"]);
    expect(seed.code).toBe(1);
    expect(seed.out).toContain("--seed must be a whole number");
    const unknownRun = await step("5-deploy.ts", [
      "--dry-run",
      "--state",
      stateFile(FULL_STATE),
      "--run-id",
      "9",
    ]);
    expect(unknownRun.code).toBe(1);
    expect(unknownRun.out).toContain(
      "No image of run 9 in the state (built: 1795808101140001, 1795808101140002)",
    );
    const explicit = await step("6-trace.ts", ["--dry-run", "--handle", "models:/churn/2"]);
    expect(explicit.out).toContain(
      "would trace and verify models:/churn/2 (the handle given) through mlflow",
    );
  });
});
