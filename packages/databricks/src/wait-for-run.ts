import { setTimeout as sleepTimer } from "node:timers/promises";
import { AbortError, type CallOptions, TimeoutError } from "@modeltrail/core";
import { pickCallOptions } from "@modeltrail/core/internal";
import { assertDatabricksId } from "./argument-checks.js";
import { classifyRun, type RunOutcome, runLifecycleState } from "./run-outcome.js";
import type { Run } from "./schemas/api/run.js";

/** A change observed while waiting for a run. */
export type RunProgressEvent =
  | {
      type: "run-state";
      runId: number;
      /** The new lifecycle state (`status.state`, or the legacy `life_cycle_state`). */
      state: string;
      /** The state seen before, undefined on the first poll. */
      previousState: string | undefined;
      /** The state or queue message Databricks gave, if any. */
      message: string | undefined;
      run: Run;
    }
  | {
      type: "task-state";
      runId: number;
      taskKey: string;
      taskRunId: number | undefined;
      state: string;
      previousState: string | undefined;
      /** The legacy result state once the task has finished (`SUCCESS`, `FAILED`...). */
      resultState: string | undefined;
    }
  | { type: "cancel-requested"; runId: number; reason: "abort" | "timeout" };

/**
 * What `waitForRun` needs: `runs.get` and `runs.cancel`. A `DatabricksClient` has them, and so does a
 * `LocalJobRunner`, so the same waiting code works for local runs.
 */
export interface RunsSource {
  runs: {
    get(runId: number, options?: CallOptions): Promise<Run>;
    cancel(runId: number, options?: CallOptions): Promise<void>;
  };
}

/**
 * Options of `waitForRun`: the per-call options, where `deadlineMs` bounds the whole wait and the
 * others (`timeoutMs` of one attempt, `retry`, `headers`, `maxResponseBytes`) apply to every poll,
 * plus how to poll and what to do at the deadline.
 */
export interface WaitForRunOptions extends CallOptions {
  /** Stop waiting after this many ms (default: wait as long as the run takes). */
  deadlineMs?: number | undefined;
  /** What to do when `deadlineMs` passes: throw TimeoutError (default) or return a `timedout` outcome with `stillRunning: true`. */
  onTimeout?: "throw" | "return" | undefined;
  /** Cancel the run (`runs/cancel`) when `deadlineMs` passes (default false). */
  cancelOnTimeout?: boolean | undefined;
  /** Stops waiting; the promise rejects with AbortError. */
  signal?: AbortSignal | undefined;
  /** Cancel the run when `signal` aborts (default false): the run is cancelled, then AbortError is thrown. */
  cancelOnAbort?: boolean | undefined;
  /** First delay between polls in ms (default 1 000). */
  pollIntervalMs?: number | undefined;
  /** Longest delay between polls in ms (default 20 000). */
  maxPollIntervalMs?: number | undefined;
  /** Factor the delay grows by after each poll without a state change (default 1.5). */
  backoffFactor?: number | undefined;
  /** Receives run and task state changes. Errors it throws are ignored. */
  onProgress?: ((event: RunProgressEvent) => void) | undefined;
  /** Replaces the wait between polls (tests). Must reject when `signal` aborts. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Clock in ms (tests; default `Date.now`). */
  clock?: (() => number) | undefined;
}

/**
 * Polls `jobs/runs/get` (through `client.runs.get`; a `LocalJobRunner` works too) until the run has finished and returns how it ended: `success`, `failed`,
 * `canceled`, `timedout` (the run hit its own timeout) or `skipped` (see `classifyRun`). The delay
 * between polls starts at `pollIntervalMs` and grows by `backoffFactor` up to `maxPollIntervalMs`;
 * it drops back to the start after any state change. Reports run and task state changes to
 * `onProgress`. A failed run is an outcome, not an exception.
 *
 * Throws TimeoutError when `deadlineMs` passes (unless `onTimeout: "return"`), AbortError when
 * `signal` aborts (after cancelling the run with `cancelOnAbort`), and whatever `runs.get` throws
 * (NotFoundError for an unknown run; transient errors are retried by the transport).
 */
export async function waitForRun(
  client: RunsSource,
  runId: number,
  options: WaitForRunOptions = {},
): Promise<RunOutcome> {
  assertDatabricksId(runId, "runId");
  const clock = options.clock ?? Date.now;
  const sleep =
    options.sleep ?? ((ms: number, signal?: AbortSignal) => sleepTimer(ms, undefined, { signal }));
  const initial = Math.max(1, options.pollIntervalMs ?? 1_000);
  const maxDelay = Math.max(initial, options.maxPollIntervalMs ?? 20_000);
  const factor = Math.max(1, options.backoffFactor ?? 1.5);
  const started = clock();
  const deadline = options.deadlineMs !== undefined ? started + options.deadlineMs : undefined;
  // Every poll gets the caller's per-call options; its deadline is the time the wait has left.
  const pollOptions = (): CallOptions => ({
    ...pickCallOptions(options),
    deadlineMs: deadline === undefined ? undefined : Math.max(1, deadline - clock()),
  });
  const emit = (event: RunProgressEvent) => {
    try {
      options.onProgress?.(event);
    } catch {
      // a failing progress callback must not stop the wait
    }
  };

  let runState: string | undefined;
  const taskStates = new Map<string, string>();
  let delay = initial;
  let last: Run | undefined;

  const onAbort = async (): Promise<never> => {
    if (options.cancelOnAbort) {
      emit({ type: "cancel-requested", runId, reason: "abort" });
      await cancelQuietly(client, runId, options);
    }
    throw new AbortError(
      `Stopped waiting for Databricks run ${runId}${options.cancelOnAbort ? "; cancellation was requested" : ""}`,
      {
        cause: options.signal?.reason,
      },
    );
  };

  // Bounded: each iteration either returns, throws, or sleeps at least `initial` ms of the caller's clock.
  for (;;) {
    if (options.signal?.aborted) return onAbort();
    let run: Run;
    try {
      run = await client.runs.get(runId, pollOptions());
    } catch (err) {
      if (options.signal?.aborted) return onAbort();
      throw err;
    }
    last = run;
    let changed = false;
    const state = runLifecycleState(run);
    if (state !== runState) {
      changed = true;
      emit({
        type: "run-state",
        runId,
        state,
        previousState: runState,
        message: run.status?.queue_details?.message || run.state?.state_message || undefined,
        run,
      });
      runState = state;
    }
    for (const task of run.tasks ?? []) {
      const taskState = runLifecycleState(task);
      const key = `${task.task_key}#${task.run_id ?? ""}`;
      const before = taskStates.get(key);
      if (taskState !== before) {
        changed = true;
        taskStates.set(key, taskState);
        emit({
          type: "task-state",
          runId,
          taskKey: task.task_key,
          taskRunId: task.run_id,
          state: taskState,
          previousState: before,
          resultState: task.state?.result_state,
        });
      }
    }
    const outcome = classifyRun(run);
    if (outcome) return outcome;

    delay = changed ? initial : Math.min(maxDelay, Math.ceil(delay * factor));
    const now = clock();
    if (deadline !== undefined && now >= deadline) return onWaitTimeout(client, runId, last, options, emit);
    const wait = deadline !== undefined ? Math.min(delay, Math.max(1, deadline - now)) : delay;
    try {
      await sleep(wait, options.signal);
    } catch (err) {
      if (options.signal?.aborted) return onAbort();
      throw err;
    }
    if (deadline !== undefined && clock() >= deadline) {
      // One last look, so that a run that finished during the final sleep is reported as finished.
      const finalRun = await client.runs.get(runId, { ...pollOptions(), deadlineMs: undefined });
      const finalOutcome = classifyRun(finalRun);
      if (finalOutcome) return finalOutcome;
      return onWaitTimeout(client, runId, finalRun, options, emit);
    }
  }
}

async function onWaitTimeout(
  client: RunsSource,
  runId: number,
  run: Run,
  options: WaitForRunOptions,
  emit: (event: RunProgressEvent) => void,
): Promise<RunOutcome> {
  const ms = options.deadlineMs ?? 0;
  if (options.cancelOnTimeout) {
    emit({ type: "cancel-requested", runId, reason: "timeout" });
    await cancelQuietly(client, runId, options);
  }
  const state = runLifecycleState(run);
  const message = `Stopped waiting for Databricks run ${runId} after ${ms} ms; it was still ${state}${options.cancelOnTimeout ? " (cancellation requested)" : ""}`;
  if (options.onTimeout === "return") {
    return { kind: "timedout", run, message, code: undefined, failedTasks: [], stillRunning: true };
  }
  throw new TimeoutError(message, ms, {
    hint: "Raise deadlineMs, or open the run page to see why it takes longer",
  });
}

async function cancelQuietly(client: RunsSource, runId: number, options: CallOptions): Promise<void> {
  try {
    await client.runs.cancel(runId, {
      ...pickCallOptions(options),
      signal: AbortSignal.timeout(30_000),
      deadlineMs: undefined,
    });
  } catch {
    // best effort: the caller is told through the AbortError/TimeoutError message
  }
}
