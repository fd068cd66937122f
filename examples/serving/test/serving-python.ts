/**
 * Test helpers for the serving app (Python, in examples/serving): its interpreter (the demo's
 * virtualenv, with the pinned requirements of scripts/install-serving.sh), a long-lived
 * `python -m modeltrail_serving.trace_env --batch` worker, and the tiny MLflow model.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** examples/serving: the app's directory, put on PYTHONPATH. */
export const SERVING_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The repository root. */
export const REPO_ROOT = resolve(SERVING_DIR, "..", "..");
/** The demo's virtualenv interpreter, which runs the serving app. */
export const SERVING_PYTHON = join(REPO_ROOT, ".tools", "mlflow-venv", "bin", "python");

/** A clean environment for the Python side: nothing inherited but PATH basics and HOME. */
export function pythonEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${dirname(SERVING_PYTHON)}:/usr/bin:/bin`,
    PYTHONPATH: SERVING_DIR,
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONIOENCODING: "utf-8",
    LANG: "C.UTF-8",
    HOME: process.env.HOME ?? "/tmp",
    ...extra,
  };
}

/** Throws a clear error when the interpreter or a requirement is missing. */
export async function assertServingPython(): Promise<void> {
  if (!existsSync(SERVING_PYTHON))
    throw new Error(`No Python virtualenv at ${SERVING_PYTHON}: run scripts/install-serving.sh`);
  try {
    await promisify(execFile)(
      SERVING_PYTHON,
      ["-c", "import fastapi, uvicorn, pytest, httpx, mlflow, sklearn"],
      {
        env: pythonEnv(),
        timeout: 120_000,
      },
    );
  } catch (err) {
    throw new Error(
      `The serving app's requirements are missing from ${SERVING_PYTHON}: run scripts/install-serving.sh\n${(err as Error).message}`,
    );
  }
}

/** What the Python side answers for one environment. */
export type PythonTraceResult =
  | { fields: Record<string, string | boolean | string[]> }
  | { error: string; issues: [string, string][]; missing: boolean };

/** A `trace_env --batch` process answering one environment per line, in order. */
export interface TraceEnvWorker {
  read(env: Record<string, string>, require?: boolean): Promise<PythonTraceResult>;
  close(): Promise<void>;
}

/** Starts the worker. */
export function startTraceEnvWorker(): TraceEnvWorker {
  const child: ChildProcessWithoutNullStreams = spawn(
    SERVING_PYTHON,
    ["-m", "modeltrail_serving.trace_env", "--batch"],
    { env: pythonEnv(), stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString("utf8")).slice(-4000);
  });
  const waiting: { resolve: (r: PythonTraceResult) => void; reject: (e: Error) => void }[] = [];
  let exited: string | undefined;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const next = waiting.shift();
    if (!next) return;
    try {
      next.resolve(JSON.parse(line) as PythonTraceResult);
    } catch (err) {
      next.reject(new Error(`trace_env printed a line that is not JSON: ${line}\n${(err as Error).message}`));
    }
  });
  child.once("exit", (code, signal) => {
    exited = `trace_env --batch exited (${signal ?? code}):\n${stderr}`;
    for (const w of waiting.splice(0)) w.reject(new Error(exited));
  });
  return {
    read: (env, require = true) =>
      new Promise((resolveRead, rejectRead) => {
        if (exited) return rejectRead(new Error(exited));
        waiting.push({ resolve: resolveRead, reject: rejectRead });
        child.stdin.write(`${JSON.stringify({ env, require })}\n`);
      }),
    close: async () => {
      if (exited) return;
      const done = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Saves the tiny scikit-learn MLflow model (examples/serving/tests/tiny_model.py) to `dir`. */
export async function saveTinyModel(dir: string): Promise<void> {
  await promisify(execFile)(SERVING_PYTHON, [join(SERVING_DIR, "tests", "tiny_model.py"), dir], {
    env: pythonEnv(),
    timeout: 180_000,
  });
}
