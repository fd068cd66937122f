import type { RunOutput } from "../schemas/api/run-output.js";
import type { RunProgressEvent } from "../wait-for-run.js";

/**
 * A state change of a local run: `waitForRun`'s progress events (`run-state`, `task-state`), so one
 * progress handler serves Databricks and local runs.
 */
export type LocalRunEvent = Exclude<RunProgressEvent, { type: "cancel-requested" }>;

/** A chunk of output of a running task. */
export interface LocalTaskOutputChunk {
  runId: number;
  taskKey: string;
  taskRunId: number;
  stream: "stdout" | "stderr";
  chunk: string;
}

/** The output of one local task run, shaped like `jobs/runs/get-output` plus the raw streams. */
export type LocalRunOutput = RunOutput & {
  /** The captured tail of stdout (also in `logs`). */
  stdout?: string;
  /** The captured tail of stderr. */
  stderr?: string;
  /** True when stderr was longer than the runner keeps. */
  stderr_truncated?: boolean;
  /** Dynamic value references the runner could not resolve for this task (left as written). */
  unresolved_references?: string[];
};

/** Configuration of a `LocalJobRunner`. */
export interface LocalJobRunnerOptions {
  /** Python interpreter (default: env `MODELTRAIL_PYTHON`, else `python3`). */
  pythonPath?: string;
  /** Node executable for JS/TS task files (default: the running Node, `process.execPath`). */
  nodePath?: string;
  /** Directory that relative `python_file` paths are resolved against and tasks run in (default `process.cwd()`). */
  cwd?: string;
  /** Extra environment variables for every task (e.g. `PYTHONPATH`); `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Start from this process's environment (default true). */
  inheritEnv?: boolean;
  /** Tasks running at the same time (default: available parallelism, at most 4). */
  maxConcurrency?: number;
  /** Bytes of stdout and of stderr kept per task run, each (the tail; default 1 MiB). */
  maxOutputBytes?: number;
  /** Delay between SIGTERM and SIGKILL when a task is killed (default 2 000 ms). */
  killGraceMs?: number;
  /** Upper bound on retries of one task, also for `max_retries: -1` (default 10). */
  maxRetriesCap?: number;
  /** Maps a `python_file` to a local path (default: relative paths against `cwd`; remote paths fail). */
  resolvePath?: (path: string, taskKey: string) => string;
  /** Values for `{{workspace.id}}` and `{{workspace.url}}` (default: left unresolved). */
  workspace?: { id?: number | string; url?: string };
  /** Id generator (default: {@link createLocalIdGenerator}). */
  newId?: () => number;
  /** Receives task output as it arrives. Errors it throws are ignored. */
  onOutput?: (chunk: LocalTaskOutputChunk) => void;
  /** Delay before a retry, replacing `min_retry_interval_millis` waits (tests). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Keep a run record of every run, for `trace()` (`localJobTraceResolver`): the run as
   * `jobs/runs/get` returns it plus the environment its tasks ran in (host, the Python interpreter's
   * version and installed packages, the Node version, the git checkout of `cwd`), captured once per
   * run while it starts. `true` keeps records in memory ({@link LocalJobRunner.record});
   * `{ dir }` also writes `<dir>/<run id>.json` when the run ends (temp file + rename), for a later
   * process to trace. Default: no records (nothing captured).
   */
  records?: boolean | { dir: string };
}

/** Options of one local run. */
export interface LocalRunOptions {
  /** The job id to report (default: a generated numeric id). */
  jobId?: number;
  /** Job parameter values, overriding the defaults of `parameters` (names must be defined there). */
  jobParameters?: Record<string, string>;
  /** Cancels the run when aborted (like `runs/cancel`). */
  signal?: AbortSignal;
  /** Receives every state change. Errors it throws are ignored. */
  onEvent?: (event: LocalRunEvent) => void;
  /** Name of the run (default: the job name). */
  runName?: string;
}
