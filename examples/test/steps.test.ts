import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
    ["5-deploy.ts", [], /would deploy demo\/churn:1795808101140002@sha256:2{64} \(run 1795808101140002\)/],
    [
      "6-trace.ts",
      [],
      /would trace and verify deployment\/default\/churn-model \(the deployment of step 5\)/,
    ],
    [
      "7-rollback.ts",
      [],
      /would roll churn-model back to the previous revision \(expecting run 1795808101140001\)/,
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
