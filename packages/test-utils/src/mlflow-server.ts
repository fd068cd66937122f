import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (two levels above packages/test-utils/src). */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The virtualenv `scripts/install-mlflow.sh` creates. */
export const MLFLOW_VENV = join(REPO_ROOT, ".tools", "mlflow-venv");

/** Python interpreter of the MLflow virtualenv (for cross-checks with MLflow's own client). */
export const MLFLOW_PYTHON = join(MLFLOW_VENV, "bin", "python");

/** A running (or externally provided) MLflow tracking server. */
export interface MlflowServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Python of the MLflow virtualenv, or "" when it is not installed (external server). */
  python: string;
  /** Directory the server stores proxied artifacts in, or "" for an external server. */
  artifactsDir: string;
  /** Path of the server log file, or "" for an external server. */
  logFile: string;
  /** True when the server was started here (and `stop` stops it); false for an external server. */
  started: boolean;
  /** Process id of the server, which leads its own process group (undefined for an external server). */
  pid?: number | undefined;
  /** Stops the server (its whole process group) and deletes its temporary directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills the server's process group at once (SIGKILL), synchronously: for a second Ctrl-C. */
  kill(): void;
  /** The last lines of the server log ("" for an external server). */
  logTail(lines?: number): string;
}

/** Options of `startMlflowServer`. */
export interface StartMlflowServerOptions {
  /** How long to wait for `/health` to answer, in ms (default 120 000). */
  startTimeoutMs?: number;
  /** Use this server instead of starting one (default: `process.env.MLFLOW_TRACKING_URI`). */
  externalUri?: string | undefined;
  /** The virtualenv holding MLflow (default `.tools/mlflow-venv`). */
  venv?: string | undefined;
  /** uvicorn worker processes (default 1: cheap for tests); `null` leaves MLflow's own default. */
  workers?: number | null;
  /** Extra `mlflow server` arguments, appended to the defaults. */
  extraArgs?: string[] | undefined;
  /** Check that an external http(s) server answers `/health` (default false). */
  checkExternal?: boolean;
  /** Make the server initialise its tracking and registry stores before returning (default false). */
  warmUp?: boolean;
  /** Aborts the wait for `/health` (the server is then stopped). */
  signal?: AbortSignal;
}

/**
 * Starts `mlflow server` from `.tools/mlflow-venv` on 127.0.0.1 and a free port, with a sqlite
 * backend and served artifacts in a fresh temporary directory, and waits until `/health` answers.
 * When `MLFLOW_TRACKING_URI` (or `externalUri`) is set, that server is used instead.
 * Throws when the virtualenv is missing ("run scripts/install-mlflow.sh"), or when the server exits
 * or does not answer in time (the error includes the tail of its log).
 */
export async function startMlflowServer(options: StartMlflowServerOptions = {}): Promise<MlflowServer> {
  const venv = options.venv ?? MLFLOW_VENV;
  const venvPython = join(venv, "bin", "python");
  const python = existsSync(venvPython) ? venvPython : "";
  const external = options.externalUri ?? process.env.MLFLOW_TRACKING_URI;
  if (external) {
    const url = external.replace(/\/+$/, "");
    if (options.checkExternal && /^https?:\/\//i.test(url) && !(await healthy(withoutCredentials(url)))) {
      throw new Error(
        `MLFLOW_TRACKING_URI=${withoutCredentials(url)} does not answer /health: start that server, or unset MLFLOW_TRACKING_URI to have one started`,
      );
    }
    const none = () => "";
    return {
      url,
      python,
      artifactsDir: "",
      logFile: "",
      started: false,
      stop: async () => {},
      kill: () => {},
      logTail: none,
    };
  }
  const mlflowBin = join(venv, "bin", "mlflow");
  if (!existsSync(mlflowBin)) {
    throw new Error(
      `MLflow is not installed at ${venv}: run scripts/install-mlflow.sh (or set MLFLOW_TRACKING_URI to a running server)`,
    );
  }

  const dir = await mkdtemp(join(tmpdir(), "modeltrail-mlflow-"));
  const artifactsDir = join(dir, "artifacts");
  const logFile = join(dir, "server.log");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      mlflowBin,
      [
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        ...(options.workers === null ? [] : ["--workers", String(options.workers ?? 1)]),
        "--backend-store-uri",
        `sqlite:///${join(dir, "mlflow.db")}`,
        "--artifacts-destination",
        artifactsDir,
        "--serve-artifacts",
        ...(options.extraArgs ?? []),
      ],
      {
        cwd: dir,
        detached: true, // own process group, so teardown can stop uvicorn and its workers together
        stdio: ["ignore", logFd, logFd],
        env: serverEnv(),
      },
    );
  } finally {
    closeSync(logFd);
  }

  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  child.on("error", (err) => {
    exited = `failed to start: ${err.message}`;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await killGroup(child, () => exited !== undefined);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const kill = (): void => {
    if (child.pid === undefined || exited !== undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };

  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exited !== undefined) {
      const tail = logTail(logFile);
      await stop();
      throw new Error(`mlflow server ${exited} before answering /health. Log tail:\n${tail}`);
    }
    if (options.signal?.aborted) {
      await stop();
      throw options.signal.reason;
    }
    if (await healthy(url)) break;
    if (Date.now() > deadline) {
      const tail = logTail(logFile);
      await stop();
      throw new Error(
        `mlflow server did not answer ${url}/health within ${timeoutMs} ms. Log tail:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (options.warmUp) {
    // The server initialises its tracking and registry stores on first use (seconds on a busy machine).
    await Promise.all(
      ["experiments/search?max_results=1", "registered-models/search?max_results=1"].map((path) =>
        fetch(`${url}/api/2.0/mlflow/${path}`, { signal: AbortSignal.timeout(60_000) })
          .then((res) => res.arrayBuffer())
          .catch(() => undefined),
      ),
    );
  }
  return {
    url,
    python,
    artifactsDir,
    logFile,
    started: true,
    pid: child.pid,
    stop,
    kill,
    logTail: (lines?: number) => logTail(logFile, lines),
  };
}

/** The URL without `user:password@` (fetch refuses URLs with credentials; messages must not show them). */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/+$/, "");
  } catch {
    return url;
  }
}

/** The environment of the server: ours minus client settings that would confuse it. */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("MLFLOW_TRACKING_")) delete env[key];
  env.PYTHONUNBUFFERED = "1";
  return env;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** SIGTERM to the process group, then SIGKILL after 10 s; bounded. */
async function killGroup(child: ChildProcess, isDead: () => boolean): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signalGroup("SIGTERM");
  for (let i = 0; i < 100 && !isDead(); i++) await new Promise((r) => setTimeout(r, 100));
  signalGroup("SIGKILL");
  for (let i = 0; i < 20 && !isDead(); i++) await new Promise((r) => setTimeout(r, 100));
}

function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
