import { ValidationError } from "../errors/validation-error.js";
import { defined, envValue } from "./env-values.js";
import { parseJobArgs } from "./job-args.js";
import type { DetectedJob, DetectInputs, SourceResult } from "./types.js";

/** Env variables read by {@link detectFromDatabricks}, mapped to the job parameter they stand for. */
const ENV_PARAMS: ReadonlyArray<[string, string]> = [
  ["DATABRICKS_JOB_ID", "job_id"],
  ["DATABRICKS_JOB_RUN_ID", "job_run_id"],
  ["DATABRICKS_TASK_RUN_ID", "task_run_id"],
  ["DATABRICKS_TASK_KEY", "task_key"],
];

/**
 * A Databricks job task. It knows it runs on Databricks when `DATABRICKS_RUNTIME_VERSION` is set
 * (Databricks sets it on every cluster); then `job.platform` is `databricks`, otherwise `local`.
 *
 * The ids come from the task parameters in `argv` (see {@link parseJobArgs} for the contract:
 * `--job-id {{job.id}} --job-run-id {{job.run_id}} --task-run-id {{task.run_id}} --task-key
 * {{task.name}} --git-sha <sha> --workspace-url {{workspace.url}}`), and, for those not given there,
 * from the env variables `DATABRICKS_JOB_ID`, `DATABRICKS_JOB_RUN_ID`, `DATABRICKS_TASK_RUN_ID`,
 * `DATABRICKS_TASK_KEY` (e.g. set through the cluster's `spark_env_vars`). `--git-sha` supplies
 * `code.gitSha`; on Databricks `GIT_SHA` from the env does too (off Databricks `GIT_SHA` is left to
 * the container source). Unresolved references such as a literal `{{job.id}}` (the script started
 * outside Databricks) are treated as absent.
 *
 * Returns undefined when not on Databricks and no job parameter is present. Throws
 * `ValidationError` for malformed ids or SHA (from argv or env).
 */
export function detectFromDatabricks(inputs: Pick<DetectInputs, "env" | "argv">): SourceResult | undefined {
  const { env } = inputs;
  const onDatabricks = envValue(env, "DATABRICKS_RUNTIME_VERSION") !== undefined;
  const fromArgs = parseJobArgs(inputs.argv);

  const envArgs: string[] = [];
  for (const [name, param] of ENV_PARAMS) {
    const value = envValue(env, name);
    if (value !== undefined) envArgs.push(`${param}=${value}`);
  }
  const gitShaEnv = onDatabricks ? envValue(env, "GIT_SHA") : undefined;
  if (gitShaEnv !== undefined) envArgs.push(`git_sha=${gitShaEnv}`);
  const fromEnv = parseEnvArgs(envArgs);

  const job: DetectedJob = defined({
    jobId: fromArgs.jobId ?? fromEnv.jobId,
    runId: fromArgs.runId ?? fromEnv.runId,
    taskRunId: fromArgs.taskRunId ?? fromEnv.taskRunId,
    taskKey: fromArgs.taskKey ?? fromEnv.taskKey,
    workspaceUrl: fromArgs.workspaceUrl,
  });
  const gitSha = fromArgs.gitSha ?? fromEnv.gitSha;
  if (!onDatabricks && Object.keys(job).length === 0 && gitSha === undefined) return undefined;

  job.platform = onDatabricks ? "databricks" : "local";
  return {
    source: "databricks",
    context: gitSha === undefined ? { job } : { job, code: { gitSha } },
  };
}

/** Parses env-derived parameters, reporting problems under the env variable names. */
function parseEnvArgs(envArgs: string[]): ReturnType<typeof parseJobArgs> {
  try {
    return parseJobArgs(envArgs);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const names: Record<string, string> = { "--git-sha": "GIT_SHA" };
    for (const [name, param] of ENV_PARAMS) names[`--${param.replace(/_/g, "-")}`] = name;
    throw new ValidationError("Invalid Databricks job variables in the environment", {
      issues: err.issues.map((i) => ({ path: names[i.path] ?? i.path, message: i.message })),
    });
  }
}
