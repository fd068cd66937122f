/**
 * The real app: `python -m modeltrail_serving` under uvicorn on a loopback port, with a tiny
 * scikit-learn MLflow model, started with the env that core's `toEnv` writes for a context. What
 * answers (headers, body, each request's log line) carries exactly `toLogFields` of that context.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromEnv, toEnv, toLogFields } from "@modeltrail/core";
import { freePort, type LocalProcess, startLocalProcess, waitUntilReady } from "@modeltrail/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertServingPython,
  pythonEnv,
  SERVING_DIR,
  SERVING_PYTHON,
  saveTinyModel,
} from "./serving-python.ts";

const ctx = fromEnv({
  GIT_SHA: "0123456789abcdef0123456789abcdef01234567",
  RUN_ID: "1795788642450001",
  JOB_ID: "1795788642450000",
  MODELTRAIL_MODEL_MLFLOW_RUN_ID: "0e65f4e6ffd84bbcaca05398f1d5dff3",
  MODELTRAIL_MODEL_NAME: "churn",
  MODELTRAIL_MODEL_VERSION: "2",
  MODELTRAIL_IMAGE_DIGEST: `sha256:${"cd".repeat(32)}`,
  MODELTRAIL_ENVIRONMENT_RUNTIME: JSON.stringify({ python: "3.11", "scikit-learn": "1.9.1" }),
});
const expected = toLogFields(ctx);
const rows = [
  { tenure: 2, charges: 88 },
  { tenure: 45, charges: 12 },
];

let dir: string;
let app: LocalProcess;
let base: string;

beforeAll(async () => {
  await assertServingPython();
  dir = mkdtempSync(join(tmpdir(), "modeltrail-serving-"));
  await saveTinyModel(join(dir, "model"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = startLocalProcess(SERVING_PYTHON, ["-m", "modeltrail_serving"], {
    cwd: SERVING_DIR,
    logFile: join(dir, "app.log"),
    env: pythonEnv({ ...toEnv(ctx), MODEL_DIR: join(dir, "model"), HOST: "127.0.0.1", PORT: String(port) }),
  });
  await waitUntilReady(
    "modeltrail_serving",
    app,
    async () => {
      try {
        return (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200;
      } catch {
        return false;
      }
    },
    240_000,
  );
}, 300_000);

afterAll(async () => {
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function logLines(): Record<string, unknown>[] {
  return readFileSync(join(dir, "app.log"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("the serving app under uvicorn", () => {
  it("answers a prediction with the trace in headers, body and its log line", async () => {
    const response = await fetch(`${base}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "it-1" },
      body: JSON.stringify({ dataframe_records: rows }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: number[]; trace: Record<string, unknown> };
    expect(body.predictions).toEqual([1, 0]);
    expect(body.trace).toEqual(expected);
    expect(response.headers.get("x-modeltrail-git-sha")).toBe(ctx.code?.gitSha);
    expect(response.headers.get("x-modeltrail-run-id")).toBe("1795788642450001");
    expect(response.headers.get("x-modeltrail-mlflow-run-id")).toBe("0e65f4e6ffd84bbcaca05398f1d5dff3");
    expect(response.headers.get("x-request-id")).toBe("it-1");

    const line = logLines().find((l) => l.request_id === "it-1");
    expect(line, "one log line for the request").toBeDefined();
    expect(line).toMatchObject({ msg: "request", method: "POST", path: "/invocations", status: 200 });
    const traced = Object.fromEntries(Object.keys(expected).map((k) => [k, line?.[k]]));
    expect(traced).toEqual(expected);
  });

  it("logs its start and its model with the trace too", () => {
    const lines = logLines();
    for (const msg of ["starting", "model loaded"]) {
      const line = lines.find((l) => l.msg === msg);
      expect(line, msg).toBeDefined();
      expect(line?.git_sha).toBe(expected.git_sha);
      expect(line?.run_id).toBe(expected.run_id);
    }
  });

  it("answers the probes and bad requests with the trace", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(((await response.json()) as { trace: unknown }).trace).toEqual(expected);
    }
    const bad = await fetch(`${base}/invocations`, { method: "POST", body: "{" });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-modeltrail-run-id")).toBe("1795788642450001");
  });
});
