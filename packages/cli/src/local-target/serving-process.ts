import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { AbortError, ConfigError } from "@modeltrail/core";
import { redactText } from "@modeltrail/core/internal";

/** A process of the local deploy target, as its state file records it. */
export interface ProcessHandle {
  /** The process id; also its process group id (it leads its own group). */
  pid: number;
  /** When the kernel started it (`/proc/<pid>/stat` field 22), so a reused pid is not taken for it. */
  startTicks?: string | undefined;
}

/** What {@link startServingProcess} runs. */
export interface ProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
}

/** A started serving process: its handle, and how it ended once it has (while this process watches it). */
export interface StartedProcess {
  handle: ProcessHandle;
  child: ChildProcess;
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Resolves when the process ends. */
  whenExited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a command detached in a process group of its own (so that stopping it stops everything it
 * started), with stdout and stderr appended to `logFile`, stdin closed, exactly `env` as its
 * environment, and unreferenced (it outlives the CLI, as a container outlives `kubectl`).
 * @throws ConfigError when the command cannot be started (missing executable, bad working directory).
 */
export async function startServingProcess(spec: ProcessSpec): Promise<StartedProcess> {
  const fd = openSync(spec.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const whenExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (err) => resolve(err));
  });
  if (spawned || child.pid === undefined) {
    throw new ConfigError(
      `Cannot start ${spec.command} in ${spec.cwd}: ${(spawned as NodeJS.ErrnoException | undefined)?.code ?? spawned?.message ?? "no pid"}`,
      { hint: "Check the interpreter given for the image's command (--python) and the image's WorkingDir" },
    );
  }
  child.unref();
  const handle: ProcessHandle = { pid: child.pid, startTicks: await startTicks(child.pid) };
  return { handle, child, exited: () => exit, whenExited };
}

/** The start time of a process from `/proc` (Linux), or undefined where there is no `/proc`. */
export async function startTicks(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: count from the last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19]; // field 22 overall
  } catch {
    return undefined;
  }
}

/** True when the recorded process still runs (the same process: its start time matches). */
export async function isRunning(handle: ProcessHandle): Promise<boolean> {
  if (!groupExists(handle.pid)) return false;
  if (handle.startTicks === undefined) return true;
  const now = await startTicks(handle.pid);
  // the leader may have exited while others of its group run on: the group is still ours
  return now === undefined ? groupExists(handle.pid) : now === handle.startTicks;
}

/** True while any process of the group runs. */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a process group: SIGTERM to the whole group, then SIGKILL when anything of it still runs
 * after `graceMs` (default 10 s), and waits (bounded) until the group is gone. A group that is
 * already gone, or a pid now used by another process, is left alone. Returns true when it had to
 * kill.
 */
export async function stopProcessGroup(
  handle: ProcessHandle,
  options: { graceMs?: number | undefined } = {},
): Promise<boolean> {
  if (!(await isRunning(handle))) return false;
  const pgid = handle.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // gone meanwhile
    }
  };
  signal("SIGTERM");
  const grace = options.graceMs ?? 10_000;
  for (let waited = 0; waited < grace; waited += 50) {
    if (!groupExists(pgid)) return false;
    await sleep(50);
  }
  signal("SIGKILL");
  for (let i = 0; i < 200 && groupExists(pgid); i++) await sleep(50);
  return true;
}

/** True when nothing listens on host:port (a listener can be opened there now). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A free TCP port on `host`, chosen by the kernel. */
export function freeLoopbackPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One readiness probe: an HTTP GET answered with 2xx/3xx, or (path false) a TCP connection. */
export function probeOnce(
  host: string,
  port: number,
  path: string | false,
  timeoutMs = 2_000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host, port, path: path === false ? "/" : path, method: "GET", timeout: timeoutMs, agent: false },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(path === false || (status >= 200 && status < 400));
      },
    );
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
    req.end();
  });
}

/**
 * Waits until the process answers its readiness probe, it exits, `timeoutMs` passes or `signal`
 * aborts; polls every 250 ms. Returns `ready`, `exited` or `timeout`; throws AbortError on abort.
 */
export async function waitForReady(
  started: StartedProcess,
  probe: { host: string; port: number; path: string | false },
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<"ready" | "exited" | "timeout"> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new AbortError("Waiting for the serving process was aborted");
    if (started.exited()) return "exited";
    if (await probeOnce(probe.host, probe.port, probe.path)) return started.exited() ? "exited" : "ready";
    if (Date.now() >= until) return "timeout";
    await Promise.race([sleep(250), started.whenExited]);
  }
}

/** At most this many bytes of log go into an error. */
export const LOG_TAIL_BYTES = 4096;

/**
 * The last lines of a log file (at most `lines` lines and {@link LOG_TAIL_BYTES} bytes, read from
 * its last 64 KiB whatever its size), with secrets redacted: core's redaction plus every value in
 * `secrets` (values of env variables named like secrets). Never throws.
 */
export async function logTail(file: string, secrets: readonly string[] = [], lines = 20): Promise<string> {
  try {
    const fh = await open(file, "r");
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      // redact the whole window before cutting, so a secret cut by the window edge is still whole
      let text = buf.toString("utf8");
      for (const s of secrets) if (s.length >= 4) text = text.split(s).join("[REDACTED]");
      text = redactText(text);
      let tail = text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
      if (length < size) tail = tail.slice(1); // the first line of the window is cut
      let out = tail.slice(-lines).join("\n");
      if (Buffer.byteLength(out) > LOG_TAIL_BYTES)
        out = `…${Buffer.from(out)
          .subarray(-LOG_TAIL_BYTES)
          .toString("utf8")
          .replace(/^\uFFFD+/, "")}`;
      return out;
    } finally {
      await fh.close();
    }
  } catch {
    return "";
  }
}
