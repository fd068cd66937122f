import type { DynamicValueContext } from "../dynamic-values.js";
import type { JobSettings } from "../job-settings/job-settings-schema.js";
import type { Run } from "../schemas/api/run.js";
import type { LocalRunConfig } from "./local-run-config.js";
import { localRunResult } from "./local-run-result.js";
import { scheduleDecision } from "./local-run-schedule.js";
import { runSnapshot, taskSnapshot } from "./local-run-snapshot.js";
import type { LocalRunEvent, LocalRunOutput } from "./local-run-types.js";
import { type AttemptHost, runTaskAttempts } from "./local-task-attempts.js";
import { newTaskState, type TaskState } from "./local-task-state.js";

/**
 * One run of a job on this machine, started by `LocalJobRunner.start`. It reports its state in the
 * shape of `jobs/runs/get` ({@link LocalJobRun.snapshot}), emits state changes (listeners, and
 * {@link LocalJobRun.events} as an async iterator), and can be cancelled.
 *
 * The run holds the state and the events; deciding what a task does next is `scheduleDecision`
 * (local-run-schedule.ts), running its attempts is `runTaskAttempts` (local-task-attempts.ts), the
 * `jobs/runs/get` shape is `runSnapshot` (local-run-snapshot.ts) and the final result
 * `localRunResult` (local-run-result.ts).
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
  private readonly attemptHost: AttemptHost;
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
    this.tasks = (settings.tasks ?? []).map((spec) => newTaskState(spec, config.newId()));
    this.byKey = new Map(this.tasks.map((t) => [t.spec.task_key, t]));
    this.attemptHost = {
      runId: this.runId,
      settings,
      config,
      stopReason: () => this.stopReason,
      dynamicContext: (t) => this.dynamicContext(t),
      setTask: (t, status, life) => this.setTask(t, status, life),
    };
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
    return runSnapshot({
      jobId: this.jobId,
      runId: this.runId,
      runName: this.runName,
      settings: this.settings,
      parameters: this.parameters,
      startTime: this.startTime,
      endTime: this.endTime,
      runStatus: this.runStatus,
      finalized: this.finalized,
      resultState: this.resultState,
      termination: this.termination,
      stopReason: this.stopReason,
      tasks: this.tasks,
    });
  }

  /** @internal The output of one task run of this run, or undefined for an unknown task run id. */
  outputOf(taskRunId: number): LocalRunOutput | undefined {
    const t = this.tasks.find((x) => x.runId === taskRunId);
    if (!t) return undefined;
    const metadata = {
      ...this.snapshot(),
      run_id: t.runId,
      tasks: [taskSnapshot(t, this.jobId, Date.now())],
    };
    return { ...t.output, metadata };
  }

  /** @internal Task run ids of this run (all attempts). */
  ownsTaskRun(taskRunId: number): boolean {
    return this.tasks.some((t) => t.runId === taskRunId);
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

  /** Starts, skips or queues every task that can move, until nothing changes; finalizes when all finished. */
  private schedule(): void {
    if (this.finalized) return;
    let changed = true;
    while (changed) {
      changed = false;
      for (const t of this.tasks) {
        if (t.started || t.finished || this.stopReason !== undefined) continue;
        const decision = scheduleDecision(t, this.byKey);
        if (decision.kind === "wait") continue;
        if (decision.kind === "finish") {
          const { result, message, code, type, life } = decision;
          this.finishTask(t, result, message, code, type, life);
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
    void runTaskAttempts(t, this.attemptHost)
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

  private finalize(): void {
    if (this.finalized) return;
    if (this.jobTimer) clearTimeout(this.jobTimer);
    const { resultState, termination } = localRunResult(
      this.tasks,
      this.stopReason,
      this.settings.timeout_seconds,
    );
    this.resultState = resultState;
    this.termination = termination;
    this.endTime = Date.now();
    this.finalized = true;
    this.setRunStatus("TERMINATED");
    for (const w of this.waiters) w();
    this.waiters.clear();
    this.resolveDone(this.snapshot());
  }
}
