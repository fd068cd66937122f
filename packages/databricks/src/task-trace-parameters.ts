/**
 * The command-line flags every Python task receives so that it can trace itself, with the
 * Databricks dynamic value each one carries. `readJobContext(argv, env)` parses exactly these.
 */
export const TASK_TRACE_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  "job-id": "{{job.id}}",
  "job-run-id": "{{job.run_id}}",
  "task-run-id": "{{task.run_id}}",
  "task-key": "{{task.name}}",
  "git-sha": "{{job.parameters.git_sha}}",
});

type Json = Record<string, unknown>;

/**
 * Returns a copy of job settings in which every `spark_python_task` and `python_wheel_task`
 * receives the trace flags of `TASK_TRACE_FLAGS` (`--job-id={{job.id}}`, `--job-run-id=...`,
 * `--task-run-id=...`, `--task-key=...`, `--git-sha={{job.parameters.git_sha}}`), appended to
 * `parameters` (or added to a wheel's `named_parameters`) when the task does not pass that flag
 * already, including the task inside a `for_each_task`. Tasks of other types are left as they are. The input is not modified; the result is
 * deterministic, so applying it twice gives the same settings.
 */
export function withTaskTraceParameters<T extends Json>(settings: T): T {
  const tasks = settings.tasks;
  if (!Array.isArray(tasks)) return settings;
  return { ...settings, tasks: tasks.map((t) => withTraceOnTask(t)) };
}

function withTraceOnTask(task: unknown): unknown {
  if (task === null || typeof task !== "object") return task;
  const t = task as Json;
  const out: Json = { ...t };
  if (isObject(t.spark_python_task)) {
    out.spark_python_task = withFlags(t.spark_python_task, false);
  }
  if (isObject(t.python_wheel_task)) {
    out.python_wheel_task = withFlags(t.python_wheel_task, true);
  }
  // The task a for-each task runs for every input is a task too.
  if (isObject(t.for_each_task) && isObject(t.for_each_task.task)) {
    out.for_each_task = { ...t.for_each_task, task: withTraceOnTask(t.for_each_task.task) };
  }
  return out;
}

function withFlags(spec: Json, namedAllowed: boolean): Json {
  if (namedAllowed && isObject(spec.named_parameters)) {
    const named = { ...(spec.named_parameters as Record<string, string>) };
    for (const [flag, value] of Object.entries(TASK_TRACE_FLAGS)) {
      if (!(flag in named) && !(flag.replaceAll("-", "_") in named)) named[flag] = value;
    }
    return { ...spec, named_parameters: named };
  }
  const params = Array.isArray(spec.parameters) ? spec.parameters.map(String) : [];
  const added = Object.entries(TASK_TRACE_FLAGS)
    .filter(([flag]) => !hasFlag(params, flag))
    .map(([flag, value]) => `--${flag}=${value}`);
  if (added.length === 0 && Array.isArray(spec.parameters)) return spec;
  return { ...spec, parameters: [...params, ...added] };
}

/** True when `--flag`, `--flag=...` (or the underscore spelling) is already among the arguments. */
function hasFlag(params: string[], flag: string): boolean {
  const names = [`--${flag}`, `--${flag.replaceAll("-", "_")}`];
  return params.some((p) => names.some((n) => p === n || p.startsWith(`${n}=`)));
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
