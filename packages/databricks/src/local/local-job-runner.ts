import { availableParallelism } from "node:os";
import { ConfigError, ValidationError } from "@modeltrail/core";
import { createApiError } from "@modeltrail/core/internal";
import { validateJobSettings } from "../job-settings/validate-job-settings.js";
import type { Run } from "../schemas/api/run.js";
import { createLocalIdGenerator } from "./local-ids.js";
import { LocalJobRun } from "./local-job-run.js";
import { defaultRetrySleep, type LocalRunConfig } from "./local-run-config.js";
import { captureLocalEnvironment, type LocalRunEnvironment } from "./local-run-environment.js";
import { LOCAL_RUN_RECORD_KIND, type LocalRunRecord, writeLocalRunRecord } from "./local-run-record.js";
import type { LocalJobRunnerOptions, LocalRunOptions, LocalRunOutput } from "./local-run-types.js";
import { buildTaskCommand } from "./task-command.js";

/** The subset of `RunsApi` a local runner offers, with the same signatures. */
export interface LocalRunsApi {
  /** Like `jobs/runs/get`: the run in its current state. Rejects with NotFoundError for an unknown run id. */
  get(runId: number, options?: { signal?: AbortSignal }): Promise<Run>;
  /** Like `jobs/runs/get-output` for a task run id. Rejects with NotFoundError for an unknown task run id. */
  getOutput(taskRunId: number, options?: { signal?: AbortSignal }): Promise<LocalRunOutput>;
  /** Like `jobs/runs/cancel`: requests cancellation and resolves without waiting for it. Rejects with NotFoundError for an unknown run id. */
  cancel(runId: number, options?: { signal?: AbortSignal }): Promise<void>;
}

function notFound(what: string, id: number): Error {
  return createApiError({
    service: "databricks-local",
    status: 404,
    method: "GET",
    url: `local://jobs/runs/${id}`,
    serviceCode: "RESOURCE_DOES_NOT_EXIST",
    serviceMessage: `${what} ${id} does not exist in this LocalJobRunner`,
  });
}

/**
 * Runs Databricks job definitions on this machine, for development and tests:
 *
 * - `spark_python_task` as `python3 <python_file> ...parameters` (a `.js`/`.mjs`/`.cjs`/`.ts` file runs
 *   with Node instead: a local-only convenience for JS/TS task scripts), `python_wheel_task` through
 *   the package's entry point, `condition_task` evaluated in-process; other task types fail with
 *   INVALID_RUN_CONFIGURATION.
 * - Tasks run in dependency order (`depends_on`), independent ones concurrently up to `maxConcurrency`;
 *   `run_if` (ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED, ALL_DONE, AT_LEAST_ONE_FAILED,
 *   ALL_FAILED), condition outcomes, `disabled`, retries (`max_retries`, `min_retry_interval_millis`,
 *   `retry_on_timeout`), task `timeout_seconds` and the job's `timeout_seconds` (the process tree is
 *   killed) behave as on Databricks: downstream of a failure is UPSTREAM_FAILED and not run.
 * - Dynamic value references in parameters are substituted with local values: numeric job, run and
 *   task run ids, the job parameters (defaults merged with `jobParameters`), start time, task values.
 *   A task sets task values by writing a JSON object to the file named by env
 *   `MODELTRAIL_TASK_VALUES_FILE`; later tasks read them with `{{tasks.<key>.values.<name>}}`.
 * - Results have the shape of `jobs/runs/get` (`state`, `status.termination_details`, per-task run ids
 *   and timings), and {@link LocalJobRunner.runs} offers `get` / `getOutput` / `cancel` with the
 *   signatures of `RunsApi`, so code written against a Databricks run (e.g. `waitForRun`,
 *   `classifyRun`) works unchanged.
 */
export class LocalJobRunner {
  private readonly config: LocalRunConfig;
  private readonly registry = new Map<number, LocalJobRun>();
  private readonly recordsOption: { dir: string | undefined } | undefined;
  private readonly environments = new Map<number, Promise<LocalRunEnvironment>>();
  private readonly writes = new Map<number, Promise<string | undefined>>();

  /** Same-signature stand-ins for `RunsApi.get`, `getOutput` and `cancel`. */
  readonly runs: LocalRunsApi;

  constructor(options: LocalJobRunnerOptions = {}) {
    const base = options.inheritEnv === false ? {} : { ...process.env };
    this.config = {
      pythonPath: options.pythonPath ?? process.env.MODELTRAIL_PYTHON ?? "python3",
      nodePath: options.nodePath ?? process.execPath,
      cwd: options.cwd ?? process.cwd(),
      resolvePath: options.resolvePath,
      env: { ...base, ...(options.env ?? {}) },
      maxConcurrency: Math.max(1, options.maxConcurrency ?? Math.min(4, availableParallelism())),
      maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
      killGraceMs: options.killGraceMs ?? 2000,
      maxRetriesCap: options.maxRetriesCap ?? 10,
      workspace: options.workspace,
      newId: options.newId ?? createLocalIdGenerator(),
      onOutput: options.onOutput,
      sleep: options.sleep ?? defaultRetrySleep,
    };
    const records = options.records;
    if (records !== undefined && typeof records !== "boolean") {
      if (typeof records?.dir !== "string" || records.dir.trim() === "")
        throw new ValidationError("Invalid LocalJobRunner options", {
          issues: [
            {
              path: "records.dir",
              message: "must be a directory path (or pass records: true to keep records in memory)",
            },
          ],
        });
    }
    this.recordsOption =
      records === true
        ? { dir: undefined }
        : records && typeof records === "object"
          ? { dir: records.dir }
          : undefined;
    this.runs = {
      get: async (runId) => this.find(runId).snapshot(),
      getOutput: async (taskRunId) => {
        for (const run of this.registry.values()) {
          const out = run.outputOf(taskRunId);
          if (out) return out;
        }
        throw notFound("Task run", taskRunId);
      },
      cancel: async (runId) => {
        void this.find(runId).cancel();
      },
    };
  }

  /**
   * Validates `settings` (see `validateJobSettings`) and starts a run; returns at once with the run's
   * handle. Throws ValidationError for invalid settings or a job parameter override that the job does
   * not define.
   */
  start(settings: unknown, options: LocalRunOptions = {}): LocalJobRun {
    const job = validateJobSettings(settings);
    const defaults = Object.fromEntries((job.parameters ?? []).map((p) => [p.name, p.default]));
    const unknown = Object.keys(options.jobParameters ?? {}).filter((k) => !(k in defaults));
    if (unknown.length > 0) {
      throw new ValidationError("Unknown job parameters", {
        issues: unknown.map((k) => ({
          path: `jobParameters.${k}`,
          message: `the job defines no parameter "${k}" (defined: ${Object.keys(defaults).join(", ") || "none"})`,
        })),
      });
    }
    const run = new LocalJobRun(job, this.config, {
      jobId: options.jobId ?? this.config.newId(),
      runName: options.runName ?? job.name ?? "Untitled",
      parameters: { ...defaults, ...(options.jobParameters ?? {}) },
    });
    this.registry.set(run.runId, run);
    if (this.recordsOption) this.keepRecord(run, job);
    if (options.onEvent) run.on(options.onEvent);
    if (options.signal) {
      const { signal } = options;
      if (signal.aborted) queueMicrotask(() => void run.cancel());
      else {
        const onAbort = () => void run.cancel();
        signal.addEventListener("abort", onAbort, { once: true });
        void run.wait().then(() => signal.removeEventListener("abort", onAbort));
      }
    }
    run.begin();
    return run;
  }

  /**
   * Starts a run and waits for it to finish (and, with `records: { dir }`, for its record file);
   * resolves with the final run (it does not reject for failed tasks). Throws like {@link start};
   * rejects with ConfigError when the run record cannot be written.
   */
  async run(settings: unknown, options: LocalRunOptions = {}): Promise<Run> {
    const run = this.start(settings, options);
    const final = await run.wait();
    await this.writes.get(run.runId);
    return final;
  }

  /**
   * The record of a run for `trace()`: the run now (in the shape of `jobs/runs/get`) and the
   * environment its tasks run in (waits for its capture, which starts with the run). Throws
   * NotFoundError for an unknown run id, ConfigError when the runner keeps no records.
   */
  async record(runId: number): Promise<LocalRunRecord> {
    const run = this.find(runId);
    const environment = this.environments.get(runId);
    if (!environment)
      throw new ConfigError("This LocalJobRunner keeps no run records", {
        hint: "Create it with records: true (in memory) or records: { dir } (also as files)",
      });
    const env = await environment;
    return { kind: LOCAL_RUN_RECORD_KIND, schemaVersion: 1, run: run.snapshot(), environment: env };
  }

  /**
   * Waits until the record files of every run started so far are written (`records: { dir }`).
   * Rejects with the ConfigError of the first one that could not be written.
   */
  async flushRecords(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  /** Captures the environment of a run while it starts and, with a record dir, writes its record when it ends. */
  private keepRecord(run: LocalJobRun, job: ReturnType<typeof validateJobSettings>): void {
    let python = false;
    let node = false;
    for (const t of job.tasks ?? []) {
      const cmd = buildTaskCommand(t, this.config);
      if (cmd.kind !== "process") continue;
      if (cmd.command === this.config.nodePath && t.spark_python_task) node = true;
      else python = true;
    }
    const environment = captureLocalEnvironment({
      pythonPath: this.config.pythonPath,
      nodePath: this.config.nodePath,
      cwd: this.config.cwd,
      env: this.config.env,
      python,
      node,
    });
    this.environments.set(run.runId, environment);
    const dir = this.recordsOption?.dir;
    if (dir === undefined) return;
    const written = Promise.all([environment, run.wait()]).then(([env, final]) =>
      writeLocalRunRecord(dir, {
        kind: LOCAL_RUN_RECORD_KIND,
        schemaVersion: 1,
        run: final,
        environment: env,
      }),
    );
    written.catch(() => undefined); // surfaced by run() and flushRecords(), never unhandled
    this.writes.set(run.runId, written);
  }

  /** The run with this id. Throws NotFoundError for an unknown id. */
  find(runId: number): LocalJobRun {
    const run = this.registry.get(runId);
    if (!run) throw notFound("Run", runId);
    return run;
  }
}
