import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactUrl } from "@modeltrail/core";
import { MLFLOW_VENV } from "./paths.ts";

/** A running MLflow tracking server: one this process started, or the one MLFLOW_TRACKING_URI names. */
export interface LocalMlflow {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** True when the server was started here (and `stop` stops it). */
  started: boolean;
  /** The server's log file ("" for an external server). */
  logFile: string;
  /** Stops the server (its whole process group) and deletes its data. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines of the server log ("" for an external server). */
  logTail(lines?: number): string;
  /** Kills the server's process group at once (SIGKILL), synchronously: for a second Ctrl-C. */
  kill(): void;
}

/** Options of {@link startLocalMlflow}. */
export interface StartLocalMlflowOptions {
  /** Use this server instead of starting one (default: env MLFLOW_TRACKING_URI). */
  externalUri?: string | undefined;
  /** How long to wait for `/health`, in ms (default 120 000). */
  startTimeoutMs?: number;
  /** Aborts the wait for `/health` (the server is then stopped). */
  signal?: AbortSignal;
}

/**
 * Starts `mlflow server` from `.tools/mlflow-venv` on 127.0.0.1 and a free port, with a sqlite
 * backend and served artifacts in a fresh temporary directory, and waits until `/health` answers.
 * With MLFLOW_TRACKING_URI set (or `externalUri`), that server is used and nothing is started (an
 * http(s) one must answer `/health`).
 * Throws an Error when the virtualenv is missing (run scripts/install-mlflow.sh), or when the server
 * exits or does not answer in time (with the tail of its log).
 */
export async function startLocalMlflow(options: StartLocalMlflowOptions = {}): Promise<LocalMlflow> {
  const external = options.externalUri ?? process.env.MLFLOW_TRACKING_URI;
  if (external) {
    const url = external.replace(/\/+$/, "");
    if (/^https?:\/\//i.test(url) && !(await healthy(withoutCredentials(url)))) {
      throw new Error(
        `MLFLOW_TRACKING_URI=${redactUrl(url)} does not answer ${redactUrl(url)}/health: start that server, or unset MLFLOW_TRACKING_URI to let the demo start one`,
      );
    }
    return { url, started: false, logFile: "", stop: async () => {}, kill: () => {}, logTail: () => "" };
  }
  const mlflowBin = join(MLFLOW_VENV, "bin", "mlflow");
  if (!existsSync(mlflowBin)) {
    throw new Error(
      `MLflow is not installed at ${MLFLOW_VENV}: run "bash scripts/install-mlflow.sh" (or use ./scripts/dev pnpm demo), or set MLFLOW_TRACKING_URI to a running server`,
    );
  }

  const dir = await mkdtemp(join(tmpdir(), "modeltrail-demo-mlflow-"));
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
        "--workers",
        "1",
        "--backend-store-uri",
        `sqlite:///${join(dir, "mlflow.db")}`,
        "--artifacts-destination",
        join(dir, "artifacts"),
        "--serve-artifacts",
      ],
      {
        cwd: dir,
        detached: true, // its own process group: stop() ends uvicorn and its workers together
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
  for (;;) {
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
  // The server initialises its tracking and registry stores on first use (seconds on a busy
  // machine): do it now, so that the pipeline's timings are the pipeline's.
  await Promise.all(
    ["experiments/search?max_results=1", "registered-models/search?max_results=1"].map((path) =>
      fetch(`${url}/api/2.0/mlflow/${path}`, { signal: AbortSignal.timeout(60_000) })
        .then((res) => res.arrayBuffer())
        .catch(() => undefined),
    ),
  );
  return { url, started: true, logFile, stop, kill, logTail: (lines) => logTail(logFile, lines) };
}

/** Our environment minus the client settings that would confuse the server. */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("MLFLOW_TRACKING_")) delete env[key];
  env.PYTHONUNBUFFERED = "1";
  return env;
}

/** The URL without `user:password@` (fetch refuses URLs with credentials). */
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

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
async function freePort(): Promise<number> {
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

/** SIGTERM to the process group, SIGKILL after 3 s (its data is deleted anyway); bounded. */
async function killGroup(child: ChildProcess, isDead: () => boolean): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || isDead()) return;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signalGroup("SIGTERM");
  for (let i = 0; i < 30 && !isDead(); i++) await new Promise((r) => setTimeout(r, 100));
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
