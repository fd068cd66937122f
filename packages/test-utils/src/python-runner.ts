import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MLFLOW_PYTHON } from "./mlflow-server.js";

/** The databricks-sdk (Python) release the comparison tests run against; `scripts/install-mlflow.sh` pins it. */
export const DATABRICKS_SDK_VERSION = "0.162.0";

/** Folder of the Python helpers shared by test programs (`modeltrail_loopback`), put on `PYTHONPATH`. */
export const TEST_PYTHON_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "python");

/** Options of `runPythonJson`. */
export interface RunPythonJsonOptions {
  /** Value written to the program's stdin as JSON (default `null`). */
  input?: unknown;
  /**
   * The program's whole environment besides `PATH`, `PYTHONPATH`, `LANG` and `HOME`, which are set
   * here. Nothing is inherited from the test process, so no `DATABRICKS_*` or proxy variable leaks in.
   */
  env?: Record<string, string> | undefined;
  /** `HOME` of the program (default: the test process's `HOME`). */
  home?: string | undefined;
  /** Loopback fake the `modeltrail_loopback` guard routes `requests` to (given as `MODELTRAIL_LOOPBACK_URL`). */
  loopbackUrl?: string | undefined;
  /** Kills the program after this many ms (default 60 000). */
  timeoutMs?: number | undefined;
  /** Interpreter (default: the MLflow virtualenv's, which holds databricks-sdk). */
  python?: string | undefined;
}

/**
 * Runs a Python program with the test virtualenv's interpreter, feeds it JSON on stdin and parses
 * the JSON it prints on stdout. The environment is built from scratch (see `env`), and
 * `TEST_PYTHON_DIR` is on `PYTHONPATH`, so a program starts with
 * `import modeltrail_loopback; modeltrail_loopback.install(os.environ.get("MODELTRAIL_LOOPBACK_URL"))`
 * to keep every request on the loopback fake.
 *
 * @throws Error when the interpreter is missing ("run scripts/install-mlflow.sh"), the program exits
 * non-zero or times out (with its stderr), or its stdout is not JSON.
 */
export async function runPythonJson<T = unknown>(
  script: string,
  options: RunPythonJsonOptions = {},
): Promise<T> {
  const python = options.python ?? MLFLOW_PYTHON;
  if (!existsSync(python))
    throw new Error(`No Python virtualenv at ${python}: run scripts/install-mlflow.sh`);
  const env: Record<string, string> = {
    ...options.env,
    PATH: `${dirname(python)}:/usr/bin:/bin`,
    PYTHONPATH: TEST_PYTHON_DIR,
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONIOENCODING: "utf-8",
    LANG: "C.UTF-8",
    HOME: options.home ?? process.env.HOME ?? "/nonexistent",
  };
  if (options.loopbackUrl) env.MODELTRAIL_LOOPBACK_URL = options.loopbackUrl;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(python, [script], { env, stdio: ["pipe", "pipe", "pipe"] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => stdout.push(c));
  child.stderr.on("data", (c: Buffer) => stderr.push(c));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  child.stdin.end(JSON.stringify(options.input ?? null));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
    child.once("error", fail);
    child.once("close", (c, s) => done([c, s]));
  }).finally(() => clearTimeout(timer));
  const err = Buffer.concat(stderr).toString("utf8");
  if (code !== 0)
    throw new Error(
      `${script} ${signal ? `was killed (${signal}${signal === "SIGKILL" ? `, timeout ${timeoutMs} ms` : ""})` : `exited with ${code}`}:\n${err.slice(-4000)}`,
    );
  const out = Buffer.concat(stdout).toString("utf8");
  try {
    return JSON.parse(out) as T;
  } catch {
    throw new Error(`${script} printed no JSON:\n${out.slice(0, 2000)}\n${err.slice(-2000)}`);
  }
}

/**
 * The version of a Python distribution installed in the test virtualenv, or undefined when it is not
 * installed.
 */
export async function installedPythonPackageVersion(
  name: string,
  python: string = MLFLOW_PYTHON,
): Promise<string | undefined> {
  if (!existsSync(python)) return undefined;
  const child = spawn(
    python,
    ["-c", `import importlib.metadata as m; print(m.version(${JSON.stringify(name)}))`],
    {
      env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" },
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  const out: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => out.push(c));
  const code = await new Promise<number | null>((done) => {
    child.once("error", () => done(1));
    child.once("close", done);
  });
  return code === 0 ? Buffer.concat(out).toString("utf8").trim() : undefined;
}

/**
 * Throws unless the test virtualenv holds databricks-sdk `DATABRICKS_SDK_VERSION`, naming the
 * install script. Call it in `beforeAll` of a test that compares with the Python SDK.
 */
export async function assertDatabricksSdkInstalled(python: string = MLFLOW_PYTHON): Promise<void> {
  const found = await installedPythonPackageVersion("databricks-sdk", python);
  if (found !== DATABRICKS_SDK_VERSION)
    throw new Error(
      `databricks-sdk ${DATABRICKS_SDK_VERSION} is required in ${python} (found ${found ?? "none"}): run scripts/install-mlflow.sh`,
    );
}
