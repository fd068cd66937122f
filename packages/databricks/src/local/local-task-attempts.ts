import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type DynamicValueContext,
  findDynamicValueReferences,
  substituteDynamicValues,
} from "../dynamic-values.js";
import type { JobSettings, JobTask } from "../job-settings/job-settings-schema.js";
import type { LocalRunConfig } from "./local-run-config.js";
import type { TaskState } from "./local-task-state.js";
import { runProcess } from "./process-runner.js";
import { evaluateCondition } from "./run-if.js";
import { buildTaskCommand } from "./task-command.js";

/** Environment variable naming the JSON file a task may write its task values to (see the package README). */
export const TASK_VALUES_FILE_ENV = "MODELTRAIL_TASK_VALUES_FILE";

/** What running a task's attempts needs from its run. */
export interface AttemptHost {
  /** The job run id. */
  readonly runId: number;
  readonly settings: JobSettings;
  readonly config: LocalRunConfig;
  /** Why the run is stopping, if it is. */
  stopReason(): "canceled" | "timedout" | undefined;
  /** The dynamic values (`{{job.run_id}}`, `{{tasks.x.values.y}}`...) a task sees now. */
  dynamicContext(t: TaskState): DynamicValueContext;
  /** Records and reports a task state change. */
  setTask(t: TaskState, status: string, life: string): void;
}

/**
 * Runs a task until it succeeds or has used its retries (`max_retries`, capped by the runner;
 * `retry_on_timeout`; `min_retry_interval_millis` between attempts; each attempt with a new task run
 * id), then marks it finished. A stop of the run ends the retries.
 */
export async function runTaskAttempts(t: TaskState, host: AttemptHost): Promise<void> {
  const cap = host.config.maxRetriesCap;
  const maxRetries = Math.min(t.spec.max_retries === -1 ? cap : (t.spec.max_retries ?? 0), cap);
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      t.runId = host.config.newId();
      t.attempt = attempt;
      t.result = undefined;
      t.code = undefined;
    }
    await runTaskAttempt(t, host);
    const retryable = t.result === "FAILED" || (t.result === "TIMEDOUT" && t.spec.retry_on_timeout === true);
    if (
      !retryable ||
      attempt >= maxRetries ||
      host.stopReason() !== undefined ||
      t.code === "INVALID_RUN_CONFIGURATION"
    ) {
      t.finished = true;
      host.setTask(t, "TERMINATED", "TERMINATED");
      return;
    }
    host.setTask(t, "WAITING", "WAITING_FOR_RETRY");
    try {
      await host.config.sleep(t.spec.min_retry_interval_millis ?? 0, t.controller.signal);
    } catch {
      // aborted while waiting: the loop ends at the stop check after the next attempt is skipped
    }
    const stopReason = host.stopReason();
    if (stopReason !== undefined) {
      t.result = "CANCELED";
      t.code = stopReason === "canceled" ? "USER_CANCELED" : "CANCELED";
      t.message = "The run stopped while the task waited for a retry";
      t.finished = true;
      t.end = Date.now();
      host.setTask(t, "TERMINATED", "TERMINATED");
      return;
    }
  }
}

/** Runs one attempt and records its result on `t` (without marking the task finished). */
async function runTaskAttempt(t: TaskState, host: AttemptHost): Promise<void> {
  const setupStart = Date.now();
  t.start = setupStart;
  t.end = 0;
  t.message = "";
  host.setTask(t, "RUNNING", "RUNNING");
  const unresolved = new Set<string>();
  const spec = resolveTask(t, host.dynamicContext(t), unresolved);
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

  const command = buildTaskCommand(spec, host.config);
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
    cwd: host.config.cwd,
    env: { ...host.config.env, [TASK_VALUES_FILE_ENV]: valuesFile },
    timeoutMs: timeoutSeconds * 1000,
    signal: t.controller.signal,
    maxOutputBytes: host.config.maxOutputBytes,
    killGraceMs: host.config.killGraceMs,
    onOutput: (stream, chunk) =>
      host.config.onOutput?.({
        runId: host.runId,
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
    if (host.stopReason() === "timedout") {
      record(
        "TIMEDOUT",
        `The run exceeded its timeout of ${host.settings.timeout_seconds} seconds`,
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

/**
 * Substitutes dynamic values in the fields of the task type that carry parameters, records the
 * resolved fields on `t.resolved`, and adds every reference left unresolved to `unresolved`.
 */
function resolveTask(t: TaskState, ctx: DynamicValueContext, unresolved: Set<string>): JobTask {
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

/** The task values a task wrote to its values file: a JSON object, else none. */
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
