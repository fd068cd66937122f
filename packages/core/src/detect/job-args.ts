import { ValidationError, type ValidationIssue } from "../errors/validation-error.js";
import { stripUrlCredentials } from "../trace/strip-url-credentials.js";

/** What a Databricks job task was told about itself through its parameters. */
export interface JobArgs {
  /** Databricks job id (`{{job.id}}`). */
  jobId?: string;
  /** Id of the job run (`{{job.run_id}}`). */
  runId?: string;
  /** Id of the task run (`{{task.run_id}}`). */
  taskRunId?: string;
  /** Task key (`{{task.name}}`). */
  taskKey?: string;
  /** Commit the job was deployed from (rendered into the job definition by CI). */
  gitSha?: string;
  /** Workspace URL (`{{workspace.url}}`), credentials stripped. */
  workspaceUrl?: string;
  /** Keys whose value was an unresolved dynamic reference such as `{{job.id}}` (treated as absent). */
  unresolved: string[];
}

type JobArgKey = Exclude<keyof JobArgs, "unresolved">;

/** Recognised parameter names (normalised: lower case, `-` as `_`, no leading dashes). */
const KEYS: Readonly<Record<string, JobArgKey>> = {
  job_id: "jobId",
  job_run_id: "runId",
  task_run_id: "taskRunId",
  task_key: "taskKey",
  git_sha: "gitSha",
  workspace_url: "workspaceUrl",
};

const ID_KEYS = new Set<JobArgKey>(["jobId", "runId", "taskRunId"]);

/**
 * Parses the task parameters through which a Databricks job tells a task who it is. The contract:
 *
 * | parameter | meaning | typical value in the job definition |
 * |---|---|---|
 * | `--job-id` | job id | `{{job.id}}` |
 * | `--job-run-id` | job run id | `{{job.run_id}}` |
 * | `--task-run-id` | task run id | `{{task.run_id}}` |
 * | `--task-key` | task key | `{{task.name}}` |
 * | `--git-sha` | commit the job was deployed from | rendered by CI |
 * | `--workspace-url` | workspace URL | `{{workspace.url}}` |
 *
 * Each may be written `--job-id 123`, `--job-id=123`, or `job_id=123` / `job-id=123` (the
 * `key=value` form used for positional task parameters); names are case-insensitive and `-`/`_`
 * are interchangeable. Other arguments are ignored, so the parameters can sit among the script's
 * own. When a name appears twice the last value wins. Blank values are absent. A value that still
 * contains a dynamic reference (`{{job.id}}`, `job_{{job.run_id}}`: the script was started outside
 * Databricks, which substitutes them) is absent too, and its key is listed in `unresolved`.
 *
 * Throws `ValidationError` when an id is not a decimal number, `--git-sha` is not a 40-digit hex
 * SHA, or a `--flag` has no value.
 */
export function parseJobArgs(argv: readonly string[]): JobArgs {
  const values = new Map<JobArgKey, string>();
  const unresolved = new Set<JobArgKey>();
  const issues: ValidationIssue[] = [];

  const take = (key: JobArgKey, raw: string) => {
    const value = raw.trim();
    values.delete(key);
    unresolved.delete(key);
    if (value === "") return;
    if (/\{\{.*\}\}/s.test(value)) unresolved.add(key);
    else values.set(key, value);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const isFlag = arg.startsWith("--");
    const body = isFlag ? arg.slice(2) : arg;
    const eq = body.indexOf("=");
    const name = normalise(eq < 0 ? body : body.slice(0, eq));
    const key = KEYS[name];
    if (key === undefined) continue;
    if (eq >= 0) {
      take(key, body.slice(eq + 1));
    } else if (isFlag) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        issues.push({ path: arg, message: "expects a value (e.g. `--job-id 123` or `--job-id=123`)" });
        continue;
      }
      take(key, next);
      i++;
    }
  }

  const out: JobArgs = { unresolved: [...unresolved] };
  for (const [key, value] of values) {
    if (ID_KEYS.has(key) && !/^\d+$/.test(value)) {
      issues.push({ path: flagName(key), message: `must be a numeric Databricks id, got "${value}"` });
    } else if (key === "gitSha") {
      if (/^[0-9a-f]{40}$/i.test(value)) out.gitSha = value.toLowerCase();
      else
        issues.push({
          path: flagName(key),
          message: `must be a full 40-hex-digit commit SHA, got "${value}"`,
        });
    } else if (key === "workspaceUrl") {
      out.workspaceUrl = stripUrlCredentials(value).replace(/\/+$/, "");
    } else {
      out[key] = value;
    }
  }
  if (issues.length > 0) throw new ValidationError("Invalid Databricks job task parameters", { issues });
  return out;
}

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/-/g, "_");
}

function flagName(key: JobArgKey): string {
  const entry = Object.entries(KEYS).find(([, k]) => k === key);
  return `--${(entry?.[0] ?? key).replace(/_/g, "-")}`;
}
