import { join } from "node:path";
import { classifyRun, type JobSettings, LocalJobRunner, type Run } from "@modeltrail/databricks";
import { DEMO_DIR, JOB_RUNS_DIR, REPO_ROOT, VENV_PYTHON } from "../lib/paths.ts";
import { dim, heading, say, seconds, table } from "../lib/print.ts";

/** The stdout line train.py prints with the MLflow run id. */
const RUN_ID_LINE = /^MODELTRAIL_MODEL_MLFLOW_RUN_ID=([0-9a-f]{32})$/m;

/** Options of {@link runTrainingJob}. */
export interface TrainingJobOptions {
  /** The job settings (rendered template with the trace flags). */
  settings: JobSettings;
  /** The job id to report: the deployed Databricks job id, or a local one. */
  jobId: number;
  /** Job parameter `seed`. */
  seed: number;
  /** Tracking server the train task logs to (env MLFLOW_TRACKING_URI of the tasks). */
  trackingUri: string;
  /** MLflow experiment (job parameter `experiment`). */
  experiment: string;
  /** Id generator for run and task run ids; share the one that made `jobId` so that ids never collide. */
  newId?: (() => number) | undefined;
  /** Cancels the run (task processes are killed). */
  signal?: AbortSignal | undefined;
}

/** What a training job run produced. */
export interface TrainingJobResult {
  /** The finished run, in the shape of Databricks' `jobs/runs/get`. */
  run: Run;
  /** The MLflow run the train task logged the model to. */
  mlflowRunId: string;
}

/**
 * Step 2, the training job: runs the job definition on this machine with the LocalJobRunner, in the
 * MLflow virtualenv's Python, as Databricks would run it (dynamic values replaced by local ids, task
 * values passed from `prepare` to `train`), and reads the MLflow run id the train task printed.
 * Throws an Error naming the failed task (with its stderr tail) when the run does not succeed.
 */
export async function runTrainingJob(options: TrainingJobOptions): Promise<TrainingJobResult> {
  const lines = new Map<number, string>();
  const runner = new LocalJobRunner({
    cwd: REPO_ROOT, // python_file paths are relative to the repository, like `source: GIT` on Databricks
    pythonPath: VENV_PYTHON,
    maxConcurrency: 1,
    // a record of each run (its parameters, Python and packages, host, checkout): what trace() reads
    records: { dir: JOB_RUNS_DIR },
    ...(options.newId ? { newId: options.newId } : {}),
    env: {
      MLFLOW_TRACKING_URI: options.trackingUri,
      PYTHONUNBUFFERED: "1",
      PYTHONDONTWRITEBYTECODE: "1",
      GIT_PYTHON_REFRESH: "quiet",
      // the commit must come from the --git-sha flag (the job parameter), not from this shell
      GIT_SHA: undefined,
    },
    onOutput: ({ taskKey, taskRunId, stream, chunk }) => {
      // print whole lines only, prefixed with the task
      const text = (lines.get(taskRunId) ?? "") + chunk;
      const parts = text.split("\n");
      lines.set(taskRunId, parts.pop() ?? "");
      for (const line of parts)
        if (line.trim() !== "") say(dim(`[${taskKey}${stream === "stderr" ? " stderr" : ""}] ${line}`), 6);
    },
  });

  heading(
    `LocalJobRunner.run(settings, { jobId: ${options.jobId}, jobParameters: { seed: "${options.seed}", ... } })`,
  );
  const started = Date.now();
  const run = await runner.run(options.settings, {
    jobId: options.jobId,
    jobParameters: {
      seed: String(options.seed),
      data_dir: join(DEMO_DIR, "data"),
      experiment: options.experiment,
    },
    signal: options.signal,
    onEvent: (e) => {
      if (e.type === "task-state" && (e.state === "RUNNING" || e.state === "TERMINATED")) {
        say(
          `task ${e.taskKey} (task run ${e.taskRunId}): ${e.state}${e.resultState ? ` ${e.resultState}` : ""}`,
          4,
        );
      }
    },
  });
  const outcome = classifyRun(run);
  if (outcome?.kind !== "success") {
    // the tasks' output was printed as it came; the outcome names the failed tasks and why
    throw new Error(
      `The training job run ${run.run_id} did not succeed: ${outcome?.message ?? "unknown state"}`,
    );
  }

  const train = run.tasks?.find((t) => t.task_key === "train");
  const logs = train?.run_id === undefined ? "" : ((await runner.runs.getOutput(train.run_id)).logs ?? "");
  const mlflowRunId = RUN_ID_LINE.exec(logs)?.[1];
  if (!mlflowRunId)
    throw new Error(`The train task did not print MODELTRAIL_MODEL_MLFLOW_RUN_ID=<id>; its output:\n${logs}`);

  heading("the run, in the shape of Databricks' jobs/runs/get");
  table([
    ["job id", String(run.job_id)],
    ["run id", `${run.run_id}  ${dim("(DBR_RUN_ID: what {{job.run_id}} became)")}`],
    ...(run.tasks ?? []).map(
      (t) =>
        [
          `task ${t.task_key}`,
          `task run ${t.run_id}  ${t.state?.result_state ?? t.status?.state}  ${seconds((t.end_time ?? 0) - (t.start_time ?? 0))}`,
        ] as const,
    ),
    ["outcome", `${outcome.kind} in ${seconds(Date.now() - started)}`],
    ["MLflow run", mlflowRunId],
  ]);
  return { run, mlflowRunId };
}
