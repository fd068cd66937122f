/**
 * The step scripts of examples/steps, one after the other as a newcomer runs them on a fresh clone:
 * a real MLflow server (started here), the LocalJobRunner, an OCI layout, and the local deploy target
 * running the serving app from the image (the demo's virtualenv, scripts/install-serving.sh). What
 * each step leaves is checked from outside: the state file, the serving process's own answers, the
 * trace page, and the exit codes (a verify that fails exits 3).
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LocalDeployTarget } from "@modeltrail/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MlflowServer, startMlflowServer } from "../../packages/test-utils/src/mlflow-server.ts";
import type { PipelineState } from "../lib/state.ts";

const exec = promisify(execFile);
const REPO_ROOT = join(import.meta.dirname, "..", "..");
const STEPS = join(REPO_ROOT, "examples", "steps");
const VENV_PYTHON = join(REPO_ROOT, ".tools", "mlflow-venv", "bin", "python");
/** One step's longest run: training and MLflow's import in the serving app are slow on a loaded machine. */
const STEP_MS = 600_000;

const dir = mkdtempSync(join(tmpdir(), "modeltrail-steps-local-"));
const home = join(dir, "home");
const statePath = join(home, "demo", "pipeline-state.json");
let mlflow: MlflowServer | undefined;

beforeAll(async () => {
  if (!existsSync(VENV_PYTHON))
    throw new Error(
      `No Python virtualenv at ${VENV_PYTHON}: run scripts/install-mlflow.sh and scripts/install-serving.sh`,
    );
  mlflow = await startMlflowServer({ warmUp: true });
}, 300_000);

afterAll(async () => {
  // the serving process outlives the step that started it (as a container outlives kubectl): stop it
  await new LocalDeployTarget({ stateDir: join(home, "local-target") }).stopAll({ stopGraceMs: 5_000 });
  await mlflow?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** Runs a step script as a user does (node, the built packages), in the repository, with a clean env. */
async function step(file: string, args: string[] = [], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(STEPS, file), ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? dir,
        LANG: "C.UTF-8",
        MODELTRAIL_HOME: home,
        MLFLOW_TRACKING_URI: mlflow!.url,
        ...env,
      },
      timeout: STEP_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

/** Fails with the step's output, so that a failure says why. */
function ok(r: { code: number; out: string }, code = 0): string {
  if (r.code !== code) throw new Error(`exit ${r.code}, expected ${code}:\n${r.out.slice(-6000)}`);
  return r.out;
}

function state(): PipelineState {
  return JSON.parse(readFileSync(statePath, "utf8")) as PipelineState;
}

/** What the serving process answers with right now: the trace headers of GET /readyz. */
async function answering(url: string): Promise<{ gitSha: string | null; runId: string | null }> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(30_000) });
  await res.body?.cancel();
  return { gitSha: res.headers.get("x-modeltrail-git-sha"), runId: res.headers.get("x-modeltrail-run-id") };
}

describe("examples/steps 1 -> 7 on the local deploy target (no cluster)", () => {
  let run1: string;
  let run2: string;
  let gitSha: string;

  it(
    "1 CI, 2 training twice, 3 register, 4 build the images into the OCI layout",
    async () => {
      ok(await step("1-ci.ts"));
      ok(await step("2-train.ts", ["--seed", "42"]));
      ok(await step("2-train.ts", ["--seed", "7"]));
      ok(await step("3-register.ts"));
      ok(await step("4-build-image.ts"));
      const s = state();
      expect(s.runs).toHaveLength(2);
      expect(s.versions).toHaveLength(2);
      expect(s.images).toHaveLength(2);
      [run1, run2] = s.images!.map((i) => i.runId) as [string, string];
      expect(run1).not.toBe(run2);
      gitSha = String((s.ci!.ctx.code as { gitSha: string }).gitSha);
      expect(gitSha).toMatch(/^[0-9a-f]{40}$/);
    },
    4 * STEP_MS,
  );

  it(
    "5 deploys to the local target by default: both runs in turn, readiness awaited, what serves checked",
    async () => {
      const first = ok(await step("5-deploy.ts", ["--run-id", run1]));
      expect(first).toContain(`step 5 done: churn-model serves run ${run1}`);
      const out = ok(await step("5-deploy.ts"));
      expect(out).toContain(`yes: commit, run id and image digest are run ${run2}'s`);
      const deployed = state().deployed!;
      expect(deployed).toMatchObject({ target: "local", namespace: "local", history: [run1, run2] });
      expect(deployed.stateDir).toBe(join(home, "local-target"));
      // what answers, asked directly: the second run
      expect(await answering(deployed.url!)).toEqual({ gitSha, runId: run2 });
    },
    2 * STEP_MS,
  );

  it(
    "6 predicts, traces the prediction's log line, verifies every link and writes the trace page",
    async () => {
      const out = ok(await step("6-trace.ts"));
      expect(out).toContain("from the log line of prediction step6-");
      expect(out).toContain("verify: ok");
      const traced = state().traced!;
      expect(traced.ok).toBe(true);
      expect(JSON.parse(traced.handle)).toMatchObject({ kind: "log-line" });
      expect(readFileSync(traced.tracePage, "utf8")).toContain("<svg");
    },
    STEP_MS,
  );

  it(
    "6 exits 3 when verify fails (the provenance checked with another key)",
    async () => {
      const other = generateKeyPairSync("ed25519")
        .publicKey.export({ type: "spki", format: "pem" })
        .toString();
      const forged = join(dir, "forged-state.json");
      writeFileSync(forged, JSON.stringify({ ...state(), publicKeyPem: other }));
      const out = ok(await step("6-trace.ts", ["--state", forged, "--html", join(dir, "forged.html")]), 3);
      expect(out).toContain("verify: FAILED");
      expect(out).toMatch(/FAIL {4}provenance\.signature/);
    },
    STEP_MS,
  );

  it(
    "7 rolls back to the previous revision, then to a run id: what ANSWERS carries that run's GIT_SHA and RUN_ID",
    async () => {
      const back = ok(await step("7-rollback.ts"));
      expect(back).toContain(
        `the response (headers and body) and its log line carry run ${run1}'s GIT_SHA ${gitSha.slice(0, 12)}`,
      );
      const url = state().deployed!.url!;
      expect(await answering(url)).toEqual({ gitSha, runId: run1 });

      ok(await step("7-rollback.ts", ["--run-id", run2]));
      expect(await answering(state().deployed!.url!)).toEqual({ gitSha, runId: run2 });
      expect(state().deployed!.history).toEqual([run1, run2, run1, run2]);
    },
    2 * STEP_MS,
  );
});
