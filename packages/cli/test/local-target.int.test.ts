/**
 * The local deploy target running the reference serving app (examples/serving: FastAPI, a real
 * scikit-learn MLflow model) from images built with buildModelImage into an OCI layout, with the
 * demo's virtualenv standing in for the base image's Python: predictions over HTTP, two images,
 * rollback by run id and to the previous revision, what answers (headers, body, its JSON log line)
 * carrying the right GIT_SHA and RUN_ID; core's deploy policy refusing an image it cannot verify;
 * a process that exits at start (its log tail, no secret); no process left after remove.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTraceContext, DeployRefusedError, deployPolicy, type TraceContext } from "@modeltrail/core";
import { buildModelImage } from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalDeployResult,
  LocalDeployTarget,
  localTraceResolver,
  ServingExitedError,
} from "../src/index.js";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const PYTHON = join(REPO, ".tools", "mlflow-venv", "bin", "python");
const SERVING = join(REPO, "examples", "serving");
const READY_MS = 300_000; // MLflow's import under a loaded 2-core machine
const rows = [
  { tenure: 2, charges: 88 },
  { tenure: 45, charges: 12 },
];
const RUNS = [
  {
    gitSha: "1111111111111111111111111111111111111111",
    runId: "1795788642450101",
    mlflowRunId: "0e65f4e6ffd84bbcaca05398f1d5d101",
  },
  {
    gitSha: "2222222222222222222222222222222222222222",
    runId: "1795788642450102",
    mlflowRunId: "0e65f4e6ffd84bbcaca05398f1d5d102",
  },
] as const;

let work: string;
let layout: string;
let target: LocalDeployTarget;

function contextOf(r: (typeof RUNS)[number], version: string): TraceContext {
  return createTraceContext({
    code: { gitSha: r.gitSha },
    job: { platform: "databricks", jobId: "1795788642450100", runId: r.runId },
    model: { name: "churn", version, mlflowRunId: r.mlflowRunId },
  });
}

async function predict(url: string, requestId: string) {
  const response = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": requestId },
    body: JSON.stringify({ dataframe_records: rows }),
    signal: AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as { predictions: number[]; trace: Record<string, string> };
  return { status: response.status, headers: response.headers, body };
}

function logLine(file: string, requestId: string): Record<string, unknown> | undefined {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.request_id === requestId);
}

/** What answers carries the run's trace: headers, body and the request's log line. */
async function expectServes(
  result: { url: string; revision: { logFile: string } },
  run: (typeof RUNS)[number],
  id: string,
) {
  const r = await predict(result.url, id);
  expect(r.status).toBe(200);
  expect(r.body.predictions).toEqual([1, 0]);
  expect(r.headers.get("x-modeltrail-git-sha")).toBe(run.gitSha);
  expect(r.headers.get("x-modeltrail-run-id")).toBe(run.runId);
  expect(r.body.trace).toMatchObject({
    git_sha: run.gitSha,
    run_id: run.runId,
    mlflow_run_id: run.mlflowRunId,
  });
  // the app logs the request once it has answered: wait (bounded) for its line
  await expect
    .poll(() => logLine(result.revision.logFile, id), { timeout: 15_000 })
    .toMatchObject({
      msg: "request",
      path: "/invocations",
      status: 200,
      git_sha: run.gitSha,
      run_id: run.runId,
    });
}

/** Processes whose command line or working directory is under `dir`. */
function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes(dir) || readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

beforeAll(async () => {
  if (!existsSync(PYTHON))
    throw new Error(`No Python at ${PYTHON}: run scripts/install-mlflow.sh and scripts/install-serving.sh`);
  work = await mkdtemp(join(tmpdir(), "modeltrail-local-int-"));
  layout = join(work, "images");
  const env = { PATH: "/usr/bin:/bin", HOME: work, PYTHONDONTWRITEBYTECODE: "1" };
  await promisify(execFile)(PYTHON, [join(SERVING, "tests", "tiny_model.py"), join(work, "model")], {
    env,
    timeout: 240_000,
  });
  await cp(join(SERVING, "modeltrail_serving"), join(work, "app", "modeltrail_serving"), {
    recursive: true,
    filter: (src) => !src.includes("__pycache__"),
  });
  for (const [i, run] of RUNS.entries()) {
    await buildModelImage({
      modelDir: join(work, "model"),
      appDir: join(work, "app"),
      cmd: ["python", "-m", "modeltrail_serving"],
      workingDir: "/opt/app",
      env: { MODEL_DIR: "/opt/model", PATH: "/usr/local/bin:/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1" },
      ctx: contextOf(run, String(i + 1)),
      layout,
    });
  }
  target = new LocalDeployTarget({ stateDir: join(work, "state"), interpreters: { python: PYTHON } });
}, 300_000);

afterAll(async () => {
  for (const name of (await target?.list()) ?? []) await target.remove(name);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the local target running the Python serving app", () => {
  let first: LocalDeployResult;

  it("deploys run 1; a prediction carries its GIT_SHA and RUN_ID in headers, body and log line", async () => {
    first = await target.deploy(`oci:${layout}:${RUNS[0].runId}`, {
      name: "churn",
      readinessTimeoutMs: READY_MS,
    });
    expect(first.revision.revision).toBe(1);
    await expectServes(first, RUNS[0], "first-1");
    // the app logs the deployment the target told it about
    expect(logLine(first.revision.logFile, "first-1")).toMatchObject({
      deployment_name: "churn",
      deployment_platform: "local",
    });
  });

  it("deploys run 2, then rolls back by run id and to the previous revision", async () => {
    const second = await target.deploy(`oci:${layout}:${RUNS[1].runId}`, {
      name: "churn",
      readinessTimeoutMs: READY_MS,
    });
    expect(second.url).toBe(first.url);
    await expectServes(second, RUNS[1], "second-1");

    const back = await target.rollback("churn", { toRunId: RUNS[0].runId, readinessTimeoutMs: READY_MS });
    expect(back.method).toBe("revision");
    await expectServes({ url: back.url, revision: back.to }, RUNS[0], "back-1");

    const undo = await target.rollback("churn", { readinessTimeoutMs: READY_MS });
    await expectServes({ url: undo.url, revision: undo.to }, RUNS[1], "undo-1");

    const byMlflowId = await target.rollback("churn", {
      toRunId: RUNS[0].mlflowRunId,
      readinessTimeoutMs: READY_MS,
    });
    await expectServes({ url: byMlflowId.url, revision: byMlflowId.to }, RUNS[0], "final-1");
    const history = await target.history("churn");
    expect(history.filter((h) => h.current).map((h) => h.runId?.runId)).toEqual([RUNS[0].runId]);
    expect(history.filter((h) => h.running)).toHaveLength(1);
  });

  it("the trace resolver finds the deployment by the run id of a log line", async () => {
    const found = await localTraceResolver(target).findDeployments!(
      { jobRunId: RUNS[0].runId },
      { conventions: (await import("@modeltrail/core")).DEFAULT_CONVENTIONS },
    );
    expect(found.map((d) => `${d.namespace}/${d.name}`)).toEqual(["local/churn"]);
    expect(found[0]?.containers[0]?.env.GIT_SHA).toBe(RUNS[0].gitSha);
  });

  it("core's deploy policy refuses an image it cannot verify: nothing starts", async () => {
    const policy = deployPolicy({ resolvers: [] });
    const err = await target
      .deploy(`oci:${layout}:${RUNS[1].runId}`, { name: "gated", policy, readinessTimeoutMs: READY_MS })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployRefusedError);
    expect((err as DeployRefusedError).message).toMatch(/refused: .*provenance\.signature/);
    expect(await target.list()).not.toContain("gated");
  });

  it("a process that exits at start fails the deploy with its log tail, and run 1 serves on", async () => {
    const secret = "dapi0123456789abcdef0123456789abcdef";
    const err = await target
      .deploy(`oci:${layout}:${RUNS[1].runId}`, {
        name: "churn",
        env: { MODEL_DIR: "/no/such/model", DATABRICKS_TOKEN: secret },
        readinessTimeoutMs: READY_MS,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServingExitedError);
    const e = err as ServingExitedError;
    expect(e.exitCode).toBe(3); // the app's "model cannot be loaded"
    expect(e.logTail).toMatch(/model/i);
    expect(e.logTail.length).toBeLessThanOrEqual(4097);
    expect(`${e.message}${JSON.stringify(e)}`).not.toContain(secret);
    const status = await target.status("churn");
    expect(status.ready).toBe(true);
    await expectServes({ url: status.url, revision: status.current! }, RUNS[0], "after-failure");
  });

  it("remove leaves no process behind", async () => {
    const pid = (await target.status("churn")).current?.pid;
    expect(pid).toBeGreaterThan(0);
    expect(processesUnder(target.stateDir).length).toBeGreaterThan(0);
    await target.remove("churn");
    expect(processesUnder(target.stateDir)).toEqual([]);
    expect(() => process.kill(pid!, 0)).toThrow();
  });
});
