import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleepTimer } from "node:timers/promises";
import {
  type DynamicValueContext,
  findDynamicValueReferences,
  substituteDynamicValues,
} from "../dynamic-values.js";
import type { JobSettings, JobTask } from "../job-settings/job-settings-schema.js";
import type { Run, RunTask } from "../schemas/api/run.js";
import type { LocalRunEvent, LocalRunOutput } from "./local-run-types.js";
import { runProcess } from "./process-runner.js";
import { decideRunIf, dependencyOutcome, evaluateCondition } from "./run-if.js";
import { buildTaskCommand, type TaskCommandOptions } from "./task-command.js";

/** Resolved configuration a run needs (filled in by `LocalJobRunner`). */
export interface LocalRunConfig extends TaskCommandOptions {
  env: Record<string, string | undefined>;
  maxConcurrency: number;
  maxOutputBytes: number;
  killGraceMs: number;
  maxRetriesCap: number;
  workspace: { id?: number | string; url?: string } | undefined;
  newId: () => number;
  onOutput:
    | ((chunk: {
        runId: number;
        taskKey: string;
        taskRunId: number;
        stream: "stdout" | "stderr";
        chunk: string;
      }) => void)
    | undefined;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Environment variable naming the JSON file a task may write its task values to (see the package README). */
export const TASK_VALUES_FILE_ENV = "MODELTRAIL_TASK_VALUES_FILE";

interface TaskState {
  spec: JobTask;
  runId: number;
  attempt: number;
  life: string;
  status: string;
  result: string | undefined;
  message: string;
  code: string | undefined;
  type: string | undefined;
  start: number;
  end: number;
  setup: number;
  exec: number;
  cleanup: number;
  started: boolean;
  finished: boolean;
  outcome: "true" | "false" | undefined;
  resolved: Record<string, unknown>;
  values: Record<string, unknown>;
  output: LocalRunOutput;
  controller: AbortController;
}

const SUCCESSFUL = new Set(["SUCCESS", "EXCLUDED", "DISABLED"]);
const FAILURES = new Set(["FAILED", "TIMEDOUT", "CANCELED", "UPSTREAM_FAILED", "UPSTREAM_CANCELED"]);

/**
 * One run of a job on this machine, started by `LocalJobRunner.start`. It reports its state in the
 * shape of `jobs/runs/get` ({@link LocalJobRun.snapshot}), emits state changes (listeners, and
 * {@link LocalJobRun.events} as an async iterator), and can be cancelled.
 */
export class LocalJobRun {
  /** The run id (numeric, like Databricks). */
  readonly runId: number;
  /** The job id reported for this run. */
  readonly jobId: number;
  private readonly tasks: TaskState[];
  private readonly byKey: Map<string, TaskState>;
  private readonly history: LocalRunEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(e: LocalRunEvent) => void>();
  private readonly startTime = Date.now();
  private readonly parameters: Record<string, string>;
  private readonly runName: string;
  private endTime = 0;
  private running = 0;
  private runStatus = "PENDING";
  private stopReason: "canceled" | "timedout" | undefined;
  private finalized = false;
  private resultState: string | undefined;
  private termination: { code: string; type: string; message: string } | undefined;
  private jobTimer: NodeJS.Timeout | undefined;
  private readonly done: Promise<Run>;
  private resolveDone!: (run: Run) => void;

  /** @internal Use `LocalJobRunner.start`. */
  constructor(
    private readonly settings: JobSettings,
    private readonly config: LocalRunConfig,
    init: { jobId: number; runName: string; parameters: Record<string, string> },
  ) {
    this.runId = config.newId();
    this.runName = init.runName;
    this.jobId = init.jobId;
    this.parameters = init.parameters;
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    this.tasks = (settings.tasks ?? []).map((spec) => ({
      spec,
      runId: config.newId(),
      attempt: 0,
      life: "BLOCKED",
      status: "BLOCKED",
      result: undefined,
      message: "",
      code: undefined,
      type: undefined,
      start: 0,
      end: 0,
      setup: 0,
      exec: 0,
      cleanup: 0,
      started: false,
      finished: false,
      outcome: undefined,
      resolved: {},
      values: {},
      output: {},
      controller: new AbortController(),
    }));
    this.byKey = new Map(this.tasks.map((t) => [t.spec.task_key, t]));
  }

  /** @internal Starts scheduling; called once by the runner. */
  begin(): void {
    this.setRunStatus("RUNNING");
    const timeout = this.settings.timeout_seconds ?? 0;
    if (timeout > 0) {
      this.jobTimer = setTimeout(() => this.stop("timedout"), timeout * 1000);
    }
    this.schedule();
  }

  /** Adds a listener for state changes; returns a function that removes it. */
  on(listener: (event: LocalRunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Iterates over every state change of the run, from its start (earlier events are replayed), and
   * ends when the run has finished.
   */
  async *events(): AsyncGenerator<LocalRunEvent> {
    let i = 0;
    for (;;) {
      while (i < this.history.length) yield this.history[i++]!;
      if (this.finalized) return;
      await new Promise<void>((r) => this.waiters.add(r));
    }
  }

  /** Waits for the run to finish and returns its final state. Never rejects. */
  wait(): Promise<Run> {
    return this.done;
  }

  /** True once every task has finished and the run has its result. */
  get isFinished(): boolean {
    return this.finalized;
  }

  /**
   * Cancels the run, like `runs/cancel`: running tasks are killed (process tree), tasks that have not
   * started are marked CANCELED; the run ends CANCELED. Resolves with the final run.
   */
  cancel(): Promise<Run> {
    this.stop("canceled");
    return this.done;
  }

  /** The run now, in the shape of `jobs/runs/get`. */
  snapshot(): Run {
    const now = Date.now();
    const run: Run = {
      job_id: this.jobId,
      run_id: this.runId,
      run_name: this.runName,
      number_in_job: this.runId,
      original_attempt_run_id: this.runId,
      attempt_number: 0,
      state: {
        life_cycle_state: this.finalized
          ? "TERMINATED"
          : this.runStatus === "TERMINATING"
            ? "TERMINATING"
            : "RUNNING",
        ...(this.resultState === undefined ? {} : { result_state: this.resultState }),
        state_message: this.termination?.message ?? "",
        user_cancelled_or_timedout: this.stopReason !== undefined,
      },
      status: {
        state: this.runStatus,
        ...(this.termination === undefined ? {} : { termination_details: { ...this.termination } }),
      },
      start_time: this.startTime,
      end_time: this.endTime,
      setup_duration: 0,
      execution_duration: 0,
      cleanup_duration: 0,
      run_duration: (this.endTime || now) - this.startTime,
      trigger: "ONE_TIME",
      run_type: "JOB_RUN",
      format: "MULTI_TASK",
      run_page_url: `local://jobs/${this.jobId}/runs/${this.runId}`,
      creator_user_name: process.env.USER ?? "local",
      job_parameters: (this.settings.parameters ?? []).map((p) => ({
        name: p.name,
        default: p.default,
        value: this.parameters[p.name] ?? p.default,
      })),
      tasks: this.tasks.map((t) => this.taskSnapshot(t, now)),
    };
    return run;
  }

  /** @internal The output of one task run of this run, or undefined for an unknown task run id. */
  outputOf(taskRunId: number): LocalRunOutput | undefined {
    const t = this.tasks.find((x) => x.runId === taskRunId);
    if (!t) return undefined;
    const metadata = { ...this.snapshot(), run_id: t.runId, tasks: [this.taskSnapshot(t, Date.now())] };
    return { ...t.output, metadata };
  }

  /** @internal Task run ids of this run (all attempts). */
  ownsTaskRun(taskRunId: number): boolean {
    return this.tasks.some((t) => t.runId === taskRunId);
  }

  private taskSnapshot(t: TaskState, now: number): RunTask {
    const typeField = Object.keys(t.spec).find((k) => k.endsWith("_task"));
    const spec = t.spec as Record<string, unknown>;
    const task: RunTask = {
      task_key: t.spec.task_key,
      run_id: t.runId,
      attempt_number: t.attempt,
      state: {
        life_cycle_state: t.life,
        ...(t.result === undefined ? {} : { result_state: t.result }),
        state_message: t.message,
        user_cancelled_or_timedout: t.result === "CANCELED" || t.result === "TIMEDOUT",
      },
      status: {
        state: t.status,
        ...(t.code === undefined
          ? {}
          : { termination_details: { code: t.code, type: t.type ?? "SUCCESS", message: t.message } }),
      },
      start_time: t.start,
      end_time: t.end,
      setup_duration: t.setup,
      execution_duration: t.exec,
      cleanup_duration: t.cleanup,
      run_duration: t.start === 0 ? 0 : (t.end || now) - t.start,
      run_page_url: `local://jobs/${this.jobId}/runs/${t.runId}`,
      ...(t.spec.depends_on ? { depends_on: t.spec.depends_on } : {}),
      ...(t.spec.run_if ? { run_if: t.spec.run_if } : {}),
      ...(t.spec.description ? { description: t.spec.description } : {}),
    };
    if (typeField) {
      const resolved = { ...(spec[typeField] as object), ...t.resolved };
      (task as Record<string, unknown>)[typeField] =
        t.outcome === undefined ? resolved : { ...resolved, outcome: t.outcome };
    }
    return task;
  }

  private emit(event: LocalRunEvent): void {
    this.history.push(event);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // listeners cannot break the run
      }
    }
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  private setRunStatus(state: string): void {
    const previous = this.runStatus;
    this.runStatus = state;
    if (previous === state && this.history.length > 0) return;
    this.emit({
      type: "run-state",
      runId: this.runId,
      state,
      previousState: this.history.length === 0 ? undefined : previous,
      message: this.termination?.message,
      run: this.snapshot(),
    });
  }

  private setTask(t: TaskState, status: string, life: string): void {
    const previous = t.status;
    t.status = status;
    t.life = life;
    this.emit({
      type: "task-state",
      runId: this.runId,
      taskKey: t.spec.task_key,
      taskRunId: t.runId,
      state: status,
      previousState: previous,
      resultState: t.result,
    });
  }

  private finishTask(
    t: TaskState,
    result: string,
    message: string,
    code: string,
    type: string,
    life = "TERMINATED",
  ): void {
    t.result = result;
    t.message = message;
    t.code = code;
    t.type = type;
    t.finished = true;
    if (t.start === 0) t.start = Date.now();
    t.end = Date.now();
    this.setTask(t, "TERMINATED", life);
  }

  private stop(reason: "canceled" | "timedout"): void {
    if (this.finalized || this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.setRunStatus("TERMINATING");
    for (const t of this.tasks) {
      if (t.started) t.controller.abort();
      else if (!t.finished) {
        const why = reason === "canceled" ? "The run was canceled" : "The run reached its timeout";
        this.finishTask(
          t,
          "CANCELED",
          `${why} before this task started`,
          reason === "canceled" ? "USER_CANCELED" : "CANCELED",
          "SUCCESS",
        );
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.finalized) return;
    let changed = true;
    while (changed) {
      changed = false;
      for (const t of this.tasks) {
        if (t.started || t.finished || this.stopReason !== undefined) continue;
        const deps = (t.spec.depends_on ?? []).map((d) => ({ d, up: this.byKey.get(d.task_key) }));
        if (!deps.every(({ up }) => up?.finished)) continue;
        if (t.spec.disabled) {
          this.finishTask(t, "DISABLED", "The task is disabled", "DISABLED", "SUCCESS", "SKIPPED");
          changed = true;
          continue;
        }
        const outcomes = deps.map(({ d, up }) => dependencyOutcome(up?.result, d.outcome, up?.outcome));
        const decision = decideRunIf(t.spec.run_if, outcomes);
        if (decision === undefined) {
          this.finishTask(
            t,
            "FAILED",
            `run_if ${t.spec.run_if} is not supported by LocalJobRunner`,
            "INVALID_RUN_CONFIGURATION",
            "CLIENT_ERROR",
          );
          changed = true;
        } else if (!decision.run) {
          const message =
            decision.resultState === "UPSTREAM_FAILED"
              ? "Upstream task(s) failed"
              : decision.resultState === "UPSTREAM_CANCELED"
                ? "Upstream task(s) were canceled"
                : `The run_if condition ${t.spec.run_if ?? "ALL_SUCCESS"} was not met`;
          const type = decision.resultState === "EXCLUDED" ? "SUCCESS" : "CLIENT_ERROR";
          this.finishTask(t, decision.resultState, message, "SKIPPED", type, "SKIPPED");
          changed = true;
        } else if (this.running < this.config.maxConcurrency) {
          this.startTask(t);
        } else if (t.status !== "PENDING") {
          this.setTask(t, "PENDING", "PENDING");
        }
      }
    }
    if (this.tasks.every((t) => t.finished)) this.finalize();
  }

  private startTask(t: TaskState): void {
    t.started = true;
    this.running++;
    void this.runAttempts(t)
      .catch((err: unknown) => {
        if (!t.finished) {
          this.finishTask(
            t,
            "FAILED",
            `Internal error of the local runner: ${(err as Error).message}`,
            "INTERNAL_ERROR",
            "INTERNAL_ERROR",
          );
        }
      })
      .finally(() => {
        this.running--;
        this.schedule();
      });
  }

  private dynamicContext(t: TaskState): DynamicValueContext {
    const tasks: NonNullable<DynamicValueContext["tasks"]> = {};
    for (const o of this.tasks) {
      tasks[o.spec.task_key] = {
        runId: o.runId,
        ...(o.result === undefined ? {} : { resultState: o.result }),
        ...(o.finished && o.result !== "SUCCESS" && o.code ? { errorCode: o.code } : {}),
        ...(o.started ? { executionCount: o.attempt + 1 } : {}),
        values: o.values,
      };
    }
    return {
      job: {
        id: this.jobId,
        name: this.settings.name ?? "Untitled",
        runId: this.runId,
        repairCount: 0,
        startTime: new Date(this.startTime),
        trigger: { type: "ONE_TIME" },
        parameters: this.parameters,
      },
      task: { name: t.spec.task_key, runId: t.runId, executionCount: t.attempt + 1 },
      tasks,
      ...(this.config.workspace ? { workspace: this.config.workspace } : {}),
    };
  }

  /** Substitutes dynamic values in the fields of the task type that carry parameters. */
  private resolveTask(t: TaskState, unresolved: Set<string>): JobTask {
    const ctx = this.dynamicContext(t);
    const sub = (s: string) => {
      const out = substituteDynamicValues(s, ctx);
      for (const r of findDynamicValueReferences(out)) unresolved.add(r.text);
      return out;
    };
    const spec = { ...t.spec };
    const resolved: Record<string, unknown> = {};
    if (spec.spark_python_task) {
      const sp = spec.spark_python_task;
      spec.spark_python_task = {
        ...sp,
        python_file: sub(sp.python_file),
        ...(sp.parameters ? { parameters: sp.parameters.map(sub) } : {}),
      };
      if (sp.parameters) resolved.parameters = spec.spark_python_task.parameters;
    }
    if (spec.python_wheel_task) {
      const w = spec.python_wheel_task;
      spec.python_wheel_task = {
        ...w,
        ...(w.parameters ? { parameters: w.parameters.map(sub) } : {}),
        ...(w.named_parameters
          ? {
              named_parameters: Object.fromEntries(
                Object.entries(w.named_parameters).map(([k, v]) => [k, sub(v)]),
              ),
            }
          : {}),
      };
      if (w.parameters) resolved.parameters = spec.python_wheel_task.parameters;
      if (w.named_parameters) resolved.named_parameters = spec.python_wheel_task.named_parameters;
    }
    if (spec.condition_task) {
      const c = spec.condition_task;
      spec.condition_task = { ...c, left: sub(c.left), right: sub(c.right) };
      resolved.left = spec.condition_task.left;
      resolved.right = spec.condition_task.right;
    }
    t.resolved = resolved;
    return spec;
  }

  private async runAttempts(t: TaskState): Promise<void> {
    const maxRetries = Math.min(
      t.spec.max_retries === -1 ? this.config.maxRetriesCap : (t.spec.max_retries ?? 0),
      this.config.maxRetriesCap,
    );
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        t.runId = this.config.newId();
        t.attempt = attempt;
        t.result = undefined;
        t.code = undefined;
      }
      await this.runAttempt(t);
      const retryable =
        t.result === "FAILED" || (t.result === "TIMEDOUT" && t.spec.retry_on_timeout === true);
      if (
        !retryable ||
        attempt >= maxRetries ||
        this.stopReason !== undefined ||
        t.code === "INVALID_RUN_CONFIGURATION"
      ) {
        t.finished = true;
        this.setTask(t, "TERMINATED", "TERMINATED");
        return;
      }
      this.setTask(t, "WAITING", "WAITING_FOR_RETRY");
      try {
        await this.config.sleep(t.spec.min_retry_interval_millis ?? 0, t.controller.signal);
      } catch {
        // aborted while waiting: the loop ends at the stop check after the next attempt is skipped
      }
      if (this.stopReason !== undefined) {
        t.result = "CANCELED";
        t.code = this.stopReason === "canceled" ? "USER_CANCELED" : "CANCELED";
        t.message = "The run stopped while the task waited for a retry";
        t.finished = true;
        t.end = Date.now();
        this.setTask(t, "TERMINATED", "TERMINATED");
        return;
      }
    }
  }

  /** Runs one attempt and records its result on `t` (without marking the task finished). */
  private async runAttempt(t: TaskState): Promise<void> {
    const setupStart = Date.now();
    t.start = setupStart;
    t.end = 0;
    t.message = "";
    this.setTask(t, "RUNNING", "RUNNING");
    const unresolved = new Set<string>();
    const spec = this.resolveTask(t, unresolved);
    const record = (result: string, message: string, code: string, type: string) => {
      t.result = result;
      t.message = message;
      t.code = code;
      t.type = type;
      t.end = Date.now();
    };
    t.output = unresolved.size > 0 ? { unresolved_references: [...unresolved] } : {};

    if (spec.condition_task) {
      const c = spec.condition_task;
      const value = evaluateCondition(c.op, c.left, c.right);
      t.setup = Date.now() - setupStart;
      if (value === undefined) {
        record(
          "FAILED",
          `condition_task operator ${c.op} is not supported`,
          "INVALID_RUN_CONFIGURATION",
          "CLIENT_ERROR",
        );
        return;
      }
      t.outcome = value ? "true" : "false";
      record("SUCCESS", "", "SUCCESS", "SUCCESS");
      return;
    }

    const command = buildTaskCommand(spec, this.config);
    if (command.kind === "unsupported") {
      t.setup = Date.now() - setupStart;
      record("FAILED", command.message, "INVALID_RUN_CONFIGURATION", "CLIENT_ERROR");
      t.output = { ...t.output, error: command.message };
      return;
    }
    const valuesFile = join(tmpdir(), `modeltrail-task-values-${t.runId}.json`);
    await rm(valuesFile, { force: true });
    t.setup = Date.now() - setupStart;
    const timeoutSeconds = t.spec.timeout_seconds ?? 0;
    const result = await runProcess({
      command: command.command,
      args: command.args,
      cwd: this.config.cwd,
      env: { ...this.config.env, [TASK_VALUES_FILE_ENV]: valuesFile },
      timeoutMs: timeoutSeconds * 1000,
      signal: t.controller.signal,
      maxOutputBytes: this.config.maxOutputBytes,
      killGraceMs: this.config.killGraceMs,
      onOutput: (stream, chunk) =>
        this.config.onOutput?.({
          runId: this.runId,
          taskKey: t.spec.task_key,
          taskRunId: t.runId,
          stream,
          chunk,
        }),
    });
    t.exec = result.endedAt - result.startedAt;
    const cleanupStart = Date.now();
    t.output = {
      ...t.output,
      logs: result.stdout,
      logs_truncated: result.stdoutTruncated,
      stdout: result.stdout,
      stderr: result.stderr,
      stderr_truncated: result.stderrTruncated,
    };
    const lastLine = result.stderr.trim().split("\n").filter(Boolean).at(-1);
    if (result.spawnError) {
      const msg = `Could not start ${command.command}: ${result.spawnError.message}`;
      record("FAILED", msg, "RUN_EXECUTION_ERROR", "CLIENT_ERROR");
      t.output = { ...t.output, error: msg };
    } else if (result.aborted) {
      if (this.stopReason === "timedout") {
        record(
          "TIMEDOUT",
          `The run exceeded its timeout of ${this.settings.timeout_seconds} seconds`,
          "CANCELED",
          "CLIENT_ERROR",
        );
      } else {
        record("CANCELED", "The run was canceled", "USER_CANCELED", "SUCCESS");
      }
    } else if (result.timedOut) {
      record(
        "TIMEDOUT",
        `The task exceeded its timeout of ${timeoutSeconds} seconds and was stopped`,
        "CANCELED",
        "CLIENT_ERROR",
      );
    } else if (result.exitCode === 0) {
      t.values = await readTaskValues(valuesFile);
      record("SUCCESS", "", "SUCCESS", "SUCCESS");
    } else {
      const how =
        result.exitCode === null ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      const msg = `${command.description} ${how}${lastLine ? `: ${lastLine}` : ""}`;
      record("FAILED", msg, "RUN_EXECUTION_ERROR", "CLIENT_ERROR");
      t.output = { ...t.output, error: lastLine ?? msg, error_trace: result.stderr };
    }
    await rm(valuesFile, { force: true });
    t.cleanup = Date.now() - cleanupStart;
  }

  private finalize(): void {
    if (this.finalized) return;
    if (this.jobTimer) clearTimeout(this.jobTimer);
    const failed = this.tasks.filter((t) => FAILURES.has(t.result ?? ""));
    if (this.stopReason === "canceled") {
      this.resultState = "CANCELED";
      this.termination = { code: "USER_CANCELED", type: "SUCCESS", message: "The run was canceled" };
    } else if (this.stopReason === "timedout") {
      this.resultState = "TIMEDOUT";
      this.termination = {
        code: "CANCELED",
        type: "CLIENT_ERROR",
        message: `The run exceeded the job's timeout of ${this.settings.timeout_seconds} seconds`,
      };
    } else if (failed.length === 0) {
      this.resultState = "SUCCESS";
      this.termination = { code: "SUCCESS", type: "SUCCESS", message: "" };
    } else {
      const upstream = new Set(this.tasks.flatMap((t) => (t.spec.depends_on ?? []).map((d) => d.task_key)));
      const leaves = this.tasks.filter((t) => !upstream.has(t.spec.task_key));
      const list = failed.map((t) => `${t.spec.task_key} (${t.result})`).join(", ");
      if (leaves.every((t) => SUCCESSFUL.has(t.result ?? ""))) {
        this.resultState = "SUCCESS_WITH_FAILURES";
        this.termination = {
          code: "SUCCESS_WITH_FAILURES",
          type: "SUCCESS",
          message: `Some tasks failed: ${list}`,
        };
      } else {
        this.resultState = "FAILED";
        this.termination = {
          code: "RUN_EXECUTION_ERROR",
          type: "CLIENT_ERROR",
          message: `Task(s) did not succeed: ${list}`,
        };
      }
    }
    this.endTime = Date.now();
    this.finalized = true;
    this.setRunStatus("TERMINATED");
    for (const w of this.waiters) w();
    this.waiters.clear();
    this.resolveDone(this.snapshot());
  }
}

async function readTaskValues(file: string): Promise<Record<string, unknown>> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as unknown;
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Default wait between retries: an abortable timer. */
export function defaultRetrySleep(ms: number, signal: AbortSignal): Promise<void> {
  return sleepTimer(ms, undefined, { signal });
}
