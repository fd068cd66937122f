import { execFile } from "node:child_process";
import { arch, cpus, hostname, release, totalmem, type } from "node:os";
import { redactText, redactUrl } from "@modeltrail/core/internal";
import { z } from "zod";

/** The machine a local run ran on. */
export const localHostSchema = z.strictObject({
  hostname: z.string(),
  /** `type() release()`, e.g. `Linux 6.8.0-45-generic`. */
  os: z.string(),
  arch: z.string(),
  cpus: z.number().int().nonnegative(),
  cpuModel: z.string().optional(),
  memoryBytes: z.number().int().nonnegative(),
});

/** One installed Python distribution. */
export const localPackageSchema = z.strictObject({ name: z.string().min(1), version: z.string() });

/** The Python interpreter the tasks ran with, and what it had installed. */
export const localPythonSchema = z.strictObject({
  /** The interpreter as the runner was configured (`pythonPath`). */
  command: z.string(),
  /** `sys.executable`. */
  executable: z.string(),
  version: z.string(),
  /** `CPython`, `PyPy`, ... */
  implementation: z.string(),
  /** Every distribution the interpreter can import (`importlib.metadata`), by name. */
  packages: z.array(localPackageSchema),
});

/** The Node executable JS/TS tasks ran with. */
export const localNodeSchema = z.strictObject({ command: z.string(), version: z.string() });

/** The git checkout the tasks ran from (the runner's `cwd`), when it is one. */
export const localCheckoutSchema = z.strictObject({
  directory: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/),
  branch: z.string().optional(),
  /** True when tracked files had uncommitted changes. */
  dirty: z.boolean().optional(),
  /** `remote.origin.url`, credentials removed. */
  remoteUrl: z.string().optional(),
});

/**
 * The environment of a local run, captured once when the run starts: host, interpreters and their
 * packages, git checkout; `problems` says what could not be captured and why (a missing interpreter,
 * no git). Never holds environment variables.
 */
export const localRunEnvironmentSchema = z.strictObject({
  capturedAt: z.string(),
  host: localHostSchema,
  python: localPythonSchema.optional(),
  node: localNodeSchema.optional(),
  checkout: localCheckoutSchema.optional(),
  problems: z.array(z.string()),
});

/** The environment of a local run (see {@link localRunEnvironmentSchema}). */
export type LocalRunEnvironment = z.output<typeof localRunEnvironmentSchema>;

/** What to capture, and with what. */
export interface CaptureEnvironmentOptions {
  pythonPath: string;
  nodePath: string;
  cwd: string;
  /** The tasks' environment (PYTHONPATH etc. decide what Python can import). */
  env: Record<string, string | undefined>;
  /** Capture the Python interpreter (the job has Python tasks). */
  python: boolean;
  /** Capture the Node version (the job has JS/TS tasks). */
  node: boolean;
  /** Per command (default 60 000 ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const PYTHON_PROBE = [
  "import json, platform, sys",
  "from importlib import metadata",
  "seen = {}",
  "for d in metadata.distributions():",
  "    try:",
  "        name = d.metadata['Name']",
  "    except Exception:",
  "        name = None",
  "    if name and name.lower() not in seen:",
  "        seen[name.lower()] = {'name': name, 'version': d.version or ''}",
  "print(json.dumps({'executable': sys.executable, 'version': platform.python_version(),",
  "    'implementation': platform.python_implementation(),",
  "    'packages': sorted(seen.values(), key=lambda p: p['name'].lower())}))",
].join("\n");

const pythonProbeOutput = z.object({
  executable: z.string(),
  version: z.string(),
  implementation: z.string(),
  packages: z.array(localPackageSchema),
});

/** Most output a probe may print (a Python environment with thousands of packages fits easily). */
const MAX_PROBE_OUTPUT = 8 * 1024 * 1024;

/**
 * Captures the environment a local run's tasks run in: host facts (`node:os`), the Python
 * interpreter's version and installed packages (one `python -c` with the tasks' env and cwd), the
 * Node version, and the git checkout of `cwd` (commit, branch, dirty, origin without credentials).
 * Never throws: what cannot be captured is named in `problems`.
 */
export async function captureLocalEnvironment(
  options: CaptureEnvironmentOptions,
): Promise<LocalRunEnvironment> {
  const problems: string[] = [];
  const run = (command: string, args: string[], env?: Record<string, string | undefined>) =>
    runProbe(command, args, {
      cwd: options.cwd,
      env,
      timeoutMs: options.timeoutMs ?? 60_000,
      signal: options.signal,
    });
  const cpuList = cpus();
  const host = {
    hostname: hostname(),
    os: `${type()} ${release()}`,
    arch: arch(),
    cpus: cpuList.length,
    ...(cpuList[0]?.model ? { cpuModel: cpuList[0].model.trim() } : {}),
    memoryBytes: totalmem(),
  };
  const [python, node, checkout] = await Promise.all([
    options.python
      ? run(options.pythonPath, ["-c", PYTHON_PROBE], options.env).then(
          (out) => {
            const parsed = pythonProbeOutput.safeParse(safeJson(out));
            if (!parsed.success) {
              problems.push(`python: ${options.pythonPath} printed no readable package list`);
              return undefined;
            }
            return { command: options.pythonPath, ...parsed.data };
          },
          (err: Error) => {
            problems.push(`python: ${options.pythonPath} could not be run: ${err.message}`);
            return undefined;
          },
        )
      : undefined,
    options.node
      ? options.nodePath === process.execPath
        ? { command: options.nodePath, version: process.version }
        : run(options.nodePath, ["--version"]).then(
            (out) => ({ command: options.nodePath, version: out.trim() }),
            (err: Error) => {
              problems.push(`node: ${options.nodePath} could not be run: ${err.message}`);
              return undefined;
            },
          )
      : undefined,
    readCheckout(options.cwd, run, problems),
  ]);
  return {
    capturedAt: new Date().toISOString(),
    host,
    ...(python ? { python } : {}),
    ...(node ? { node } : {}),
    ...(checkout ? { checkout } : {}),
    problems: problems.map((p) => redactText(p)),
  };
}

type Probe = (command: string, args: string[]) => Promise<string>;

async function readCheckout(
  cwd: string,
  run: Probe,
  problems: string[],
): Promise<z.output<typeof localCheckoutSchema> | undefined> {
  let head: string;
  try {
    head = (await run("git", ["-C", cwd, "rev-parse", "HEAD"])).trim();
  } catch (err) {
    problems.push(`git: ${cwd} is not a git checkout, or git is missing (${(err as Error).message})`);
    return undefined;
  }
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head)) {
    problems.push(`git: rev-parse HEAD in ${cwd} printed no commit`);
    return undefined;
  }
  const optional = (args: string[]) =>
    run("git", ["-C", cwd, ...args]).then(
      (o) => o.trim(),
      () => undefined,
    );
  const [branch, status, remote] = await Promise.all([
    optional(["symbolic-ref", "--short", "-q", "HEAD"]),
    optional(["status", "--porcelain", "--untracked-files=no"]),
    optional(["config", "--get", "remote.origin.url"]),
  ]);
  return {
    directory: cwd,
    commit: head,
    ...(branch ? { branch } : {}),
    ...(status === undefined ? {} : { dirty: status !== "" }),
    ...(remote ? { remoteUrl: redactUrl(remote) } : {}),
  };
}

function runProbe(
  command: string,
  args: string[],
  o: {
    cwd: string;
    env?: Record<string, string | undefined> | undefined;
    timeoutMs: number;
    signal?: AbortSignal | undefined;
  },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: o.cwd,
        env: o.env
          ? (Object.fromEntries(
              Object.entries(o.env).filter(([, v]) => v !== undefined),
            ) as NodeJS.ProcessEnv)
          : process.env,
        timeout: o.timeoutMs,
        maxBuffer: MAX_PROBE_OUTPUT,
        windowsHide: true,
        encoding: "utf8",
        ...(o.signal ? { signal: o.signal } : {}),
      },
      (err, stdout, stderr) => {
        if (err) {
          const tail =
            String(stderr ?? "")
              .trim()
              .split("\n")
              .slice(-1)[0] ?? "";
          reject(new Error(`${err.message.split("\n")[0]}${tail ? ` (${tail.slice(0, 300)})` : ""}`));
        } else resolve(String(stdout));
      },
    );
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text.trim().split("\n").pop() ?? "");
  } catch {
    return undefined;
  }
}
