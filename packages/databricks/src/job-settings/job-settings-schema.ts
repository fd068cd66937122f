import { z } from "zod";

/**
 * zod schema of Databricks Jobs API 2.2 job settings (the body of `jobs/create`, `new_settings` of
 * `jobs/reset`, `settings` of `jobs/get`). Known fields are typed; every object keeps unknown fields
 * (future API additions pass through untouched) and enum-like fields accept any string, so a newer API
 * never breaks parsing. Cross-field rules (unique task keys, dependencies, clusters, ...) live in
 * `validateJobSettings`.
 */

/** A string enum that also accepts values added to the API later. */
function openEnum<const T extends readonly string[]>(_values: T) {
  return z.string() as unknown as z.ZodType<T[number] | (string & {})>;
}

const stringMap = z.record(z.string(), z.string());
const strings = z.array(z.string());

/** Task types this package knows. A task must have exactly one of these (or a newer `*_task` field). */
export const KNOWN_TASK_TYPES = [
  "notebook_task",
  "spark_python_task",
  "python_wheel_task",
  "spark_jar_task",
  "spark_submit_task",
  "run_job_task",
  "condition_task",
  "sql_task",
  "pipeline_task",
  "dbt_task",
  "for_each_task",
  "clean_rooms_notebook_task",
  "dashboard_task",
  "power_bi_task",
  "gen_ai_compute_task",
  "dbt_cloud_task",
] as const;

/** `run_if` conditions of a task. */
export const RUN_IF_CONDITIONS = [
  "ALL_SUCCESS",
  "AT_LEAST_ONE_SUCCESS",
  "NONE_FAILED",
  "ALL_DONE",
  "AT_LEAST_ONE_FAILED",
  "ALL_FAILED",
] as const;

/** A `run_if` condition. */
export type RunIf = (typeof RUN_IF_CONDITIONS)[number];

const source = openEnum(["WORKSPACE", "GIT"] as const);

/** `spark_python_task`: a Python file run with parameters as argv. */
export const SparkPythonTaskSchema = z.looseObject({
  python_file: z.string().min(1),
  parameters: strings.optional(),
  source: source.optional(),
});

/** `python_wheel_task`: an entry point of an installed Python package. */
export const PythonWheelTaskSchema = z.looseObject({
  package_name: z.string().min(1),
  entry_point: z.string().min(1),
  parameters: strings.optional(),
  named_parameters: stringMap.optional(),
});

/** `notebook_task`. */
export const NotebookTaskSchema = z.looseObject({
  notebook_path: z.string().min(1),
  base_parameters: stringMap.optional(),
  source: source.optional(),
  warehouse_id: z.string().optional(),
});

/** `spark_jar_task`. */
export const SparkJarTaskSchema = z.looseObject({
  main_class_name: z.string().min(1),
  parameters: strings.optional(),
  jar_uri: z.string().optional(),
});

/** `spark_submit_task`. */
export const SparkSubmitTaskSchema = z.looseObject({ parameters: strings.optional() });

/** `run_job_task`: triggers another job. */
export const RunJobTaskSchema = z.looseObject({
  job_id: z.union([z.number().int(), z.string().regex(/^\d+$/)]),
  job_parameters: stringMap.optional(),
});

/** `condition_task`: compares two strings (after dynamic value substitution). */
export const ConditionTaskSchema = z.looseObject({
  op: openEnum([
    "EQUAL_TO",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN",
    "LESS_THAN_OR_EQUAL",
    "NOT_EQUAL",
  ] as const),
  left: z.string(),
  right: z.string(),
});

/** `sql_task`. */
export const SqlTaskSchema = z.looseObject({
  warehouse_id: z.string().min(1),
  parameters: stringMap.optional(),
  query: z.looseObject({ query_id: z.string() }).optional(),
  file: z.looseObject({ path: z.string(), source: source.optional() }).optional(),
  dashboard: z.looseObject({ dashboard_id: z.string() }).optional(),
  alert: z.looseObject({ alert_id: z.string() }).optional(),
});

/** `pipeline_task`. */
export const PipelineTaskSchema = z.looseObject({
  pipeline_id: z.string().min(1),
  full_refresh: z.boolean().optional(),
});

/** `dbt_task`. */
export const DbtTaskSchema = z.looseObject({ commands: strings.min(1) });

/** A library to install on the task's cluster. */
export const LibrarySchema = z.looseObject({
  whl: z.string().optional(),
  jar: z.string().optional(),
  requirements: z.string().optional(),
  pypi: z.looseObject({ package: z.string(), repo: z.string().optional() }).optional(),
  maven: z.looseObject({ coordinates: z.string() }).optional(),
});

const notifications = z.looseObject({
  on_start: strings.optional(),
  on_success: strings.optional(),
  on_failure: strings.optional(),
  on_duration_warning_threshold_exceeded: strings.optional(),
  no_alert_for_skipped_runs: z.boolean().optional(),
});

const cluster = z.looseObject({
  spark_version: z.string().optional(),
  node_type_id: z.string().optional(),
  num_workers: z.number().int().nonnegative().optional(),
  autoscale: z.looseObject({ min_workers: z.number().int(), max_workers: z.number().int() }).optional(),
  spark_conf: stringMap.optional(),
  spark_env_vars: stringMap.optional(),
  custom_tags: stringMap.optional(),
  data_security_mode: z.string().optional(),
});

const taskKey = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\w-]+$/, "task_key may contain only letters, digits, '_' and '-'");

const taskFields = {
  task_key: taskKey,
  description: z.string().optional(),
  depends_on: z.array(z.looseObject({ task_key: z.string(), outcome: z.string().optional() })).optional(),
  run_if: openEnum(RUN_IF_CONDITIONS).optional(),
  existing_cluster_id: z.string().optional(),
  new_cluster: cluster.optional(),
  job_cluster_key: z.string().optional(),
  environment_key: z.string().optional(),
  libraries: z.array(LibrarySchema).optional(),
  timeout_seconds: z.number().int().nonnegative().optional(),
  max_retries: z.number().int().min(-1).optional(),
  min_retry_interval_millis: z.number().int().nonnegative().optional(),
  retry_on_timeout: z.boolean().optional(),
  disabled: z.boolean().optional(),
  email_notifications: notifications.optional(),
  notification_settings: z.looseObject({}).optional(),
  webhook_notifications: z.looseObject({}).optional(),
  health: z.looseObject({}).optional(),
  notebook_task: NotebookTaskSchema.optional(),
  spark_python_task: SparkPythonTaskSchema.optional(),
  python_wheel_task: PythonWheelTaskSchema.optional(),
  spark_jar_task: SparkJarTaskSchema.optional(),
  spark_submit_task: SparkSubmitTaskSchema.optional(),
  run_job_task: RunJobTaskSchema.optional(),
  condition_task: ConditionTaskSchema.optional(),
  sql_task: SqlTaskSchema.optional(),
  pipeline_task: PipelineTaskSchema.optional(),
  dbt_task: DbtTaskSchema.optional(),
};

/** The task inside a `for_each_task` (same shape as a job task). */
const NestedTaskSchema = z.looseObject(taskFields);

/** One task of a job. */
export const TaskSchema = z.looseObject({
  ...taskFields,
  for_each_task: z
    .looseObject({ inputs: z.string(), task: NestedTaskSchema, concurrency: z.number().int().optional() })
    .optional(),
});

/** Databricks Jobs API 2.2 job settings. */
export const JobSettingsSchema = z.looseObject({
  name: z.string().max(4096).optional(),
  description: z.string().optional(),
  tasks: z.array(TaskSchema).optional(),
  job_clusters: z
    .array(z.looseObject({ job_cluster_key: z.string().min(1), new_cluster: cluster }))
    .optional(),
  environments: z
    .array(
      z.looseObject({
        environment_key: z.string().min(1),
        spec: z
          .looseObject({
            client: z.string().optional(),
            environment_version: z.string().optional(),
            dependencies: strings.optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  parameters: z.array(z.looseObject({ name: z.string().min(1), default: z.string() })).optional(),
  tags: stringMap.optional(),
  git_source: z
    .looseObject({
      git_url: z.string().min(1),
      git_provider: z.string().min(1),
      git_branch: z.string().optional(),
      git_tag: z.string().optional(),
      git_commit: z.string().optional(),
    })
    .optional(),
  schedule: z
    .looseObject({
      quartz_cron_expression: z.string().min(1),
      timezone_id: z.string().min(1),
      pause_status: openEnum(["PAUSED", "UNPAUSED"] as const).optional(),
    })
    .optional(),
  trigger: z.looseObject({ pause_status: z.string().optional() }).optional(),
  continuous: z.looseObject({ pause_status: z.string().optional() }).optional(),
  timeout_seconds: z.number().int().nonnegative().optional(),
  max_concurrent_runs: z.number().int().nonnegative().optional(),
  email_notifications: notifications.optional(),
  webhook_notifications: z.looseObject({}).optional(),
  notification_settings: z.looseObject({}).optional(),
  health: z.looseObject({}).optional(),
  format: openEnum(["SINGLE_TASK", "MULTI_TASK"] as const).optional(),
  queue: z.looseObject({ enabled: z.boolean() }).optional(),
  run_as: z
    .looseObject({ user_name: z.string().optional(), service_principal_name: z.string().optional() })
    .optional(),
  edit_mode: openEnum(["UI_LOCKED", "EDITABLE"] as const).optional(),
  budget_policy_id: z.string().optional(),
  performance_target: z.string().optional(),
});

/** Job settings as parsed by {@link JobSettingsSchema}. */
export type JobSettings = z.infer<typeof JobSettingsSchema>;
/** One task of {@link JobSettings}. */
export type JobTask = z.infer<typeof TaskSchema>;
