import { spawn } from "node:child_process";

/** What to run for one task attempt. */
export interface ProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Kill the process tree after this many ms (0 or undefined: no limit). */
  timeoutMs?: number | undefined;
  /** Kill the process tree when aborted. */
  signal?: AbortSignal | undefined;
  /** Bytes of stdout and of stderr kept (the tail), each. */
  maxOutputBytes: number;
  /** Delay between SIGTERM and SIGKILL when killing. */
  killGraceMs: number;
  /** Receives output as it arrives. Errors it throws are ignored. */
  onOutput?: ((stream: "stdout" | "stderr", chunk: string) => void) | undefined;
}

/** How a process ended. */
export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the process could not be started at all (missing interpreter, bad cwd). */
  spawnError?: Error;
  /** Epoch ms when the process started and ended. */
  startedAt: number;
  endedAt: number;
}

/** Keeps the last `limit` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

function killTree(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // The child leads its own process group (detached), so this reaches its children too.
    process.kill(process.platform === "win32" ? pid : -pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Runs one process in its own process group, capturing the tail of stdout and stderr, and kills the
 * whole group (SIGTERM, then SIGKILL after `killGraceMs`) on timeout or abort. When the main process
 * exits, stragglers left in its group are killed too, as Databricks does at the end of a task.
 * Never rejects: failures to start are reported in `spawnError`.
 */
export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const out = new TailBuffer(spec.maxOutputBytes);
    const err = new TailBuffer(spec.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let spawnError: Error | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const timers: NodeJS.Timeout[] = [];
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: process.platform !== "win32",
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    const kill = () => {
      killTree(child.pid, "SIGTERM");
      const t = setTimeout(() => killTree(child.pid, "SIGKILL"), spec.killGraceMs);
      t.unref();
      timers.push(t);
    };
    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener("abort", onAbort, { once: true });
    if (spec.timeoutMs && spec.timeoutMs > 0) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          kill();
        }, spec.timeoutMs),
      );
    }
    const feed = (buf: TailBuffer, stream: "stdout" | "stderr") => (chunk: Buffer) => {
      buf.push(chunk);
      try {
        spec.onOutput?.(stream, chunk.toString("utf8"));
      } catch {
        // a listener's error must not break the run
      }
    };
    child.stdout?.on("data", feed(out, "stdout"));
    child.stderr?.on("data", feed(err, "stderr"));
    child.on("error", (e) => {
      spawnError = e;
      if (child.pid === undefined) finish(null, null); // never started: no "close" may follow
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      killTree(child.pid, "SIGKILL");
    });
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      spec.signal?.removeEventListener("abort", onAbort);
      resolve({
        exitCode: exit?.code ?? code,
        signal: exit?.signal ?? signal,
        stdout: out.text(),
        stderr: err.text(),
        stdoutTruncated: out.truncated,
        stderrTruncated: err.truncated,
        timedOut,
        aborted,
        ...(spawnError === undefined ? {} : { spawnError }),
        startedAt,
        endedAt: Date.now(),
      });
    };
    child.on("close", finish);
  });
}
