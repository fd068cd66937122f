import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

/** A server process started by a test setup, in its own process group. */
export interface LocalProcess {
  pid: number | undefined;
  /** Why it exited, once it has. */
  exited(): string | undefined;
  /** SIGTERM to the group, SIGKILL after 10 s; bounded. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines of its log. */
  logTail(lines?: number): string;
}

/** Starts `command` detached (own process group) with stdout and stderr appended to `logFile`. */
export function startLocalProcess(
  command: string,
  args: string[],
  options: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv },
): LocalProcess {
  const fd = openSync(options.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      detached: true,
      stdio: ["ignore", fd, fd],
      env: options.env ?? process.env,
    });
  } finally {
    closeSync(fd);
  }
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  child.on("error", (err) => {
    exited = `failed to start: ${err.message}`;
  });
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    exited: () => exited,
    stop: () => {
      stopping ??= (async () => {
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
        for (let i = 0; i < 100 && exited === undefined; i++) await new Promise((r) => setTimeout(r, 100));
        signalGroup("SIGKILL");
        for (let i = 0; i < 20 && exited === undefined; i++) await new Promise((r) => setTimeout(r, 100));
      })();
      return stopping;
    },
    logTail: (lines = 40) => {
      try {
        return readFileSync(options.logFile, "utf8").split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
  };
}

/** Polls `ready` every 200 ms until it is true, the process exits, or `timeoutMs` passes (then throws with the log tail). */
export async function waitUntilReady(
  name: string,
  proc: LocalProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const exited = proc.exited();
    if (exited !== undefined) {
      throw new Error(`${name} ${exited} before it was ready. Log tail:\n${proc.logTail()}`);
    }
    if (await ready()) return;
    if (Date.now() > deadline) {
      const tail = proc.logTail();
      await proc.stop();
      throw new Error(`${name} was not ready within ${timeoutMs} ms. Log tail:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
