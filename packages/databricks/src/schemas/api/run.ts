import { z } from "zod";

/**
 * Enum-like strings: the documented values are listed for editors, but any other string is
 * accepted, so that a value Databricks adds later does not break parsing.
 */
function openEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.union([z.enum(values), z.string()]);
}

/** `status.state` of a run or task run (Jobs API 2.2). */
export const runLifecycleStateV2Schema = openEnum([
  "BLOCKED",
  "PENDING",
  "QUEUED",
  "RUNNING",
  "TERMINATING",
  "TERMINATED",
  "WAITING",
]);

/** The legacy `state.life_cycle_state`. */
export const runLifeCycleStateSchema = openEnum([
  "QUEUED",
  "PENDING",
  "RUNNING",
  "TERMINATING",
  "TERMINATED",
  "SKIPPED",
  "INTERNAL_ERROR",
  "BLOCKED",
  "WAITING_FOR_RETRY",
]);

/** The legacy `state.result_state`. */
export const runResultStateSchema = openEnum([
  "SUCCESS",
  "SUCCESS_WITH_FAILURES",
  "FAILED",
  "TIMEDOUT",
  "CANCELED",
  "EXCLUDED",
  "MAXIMUM_CONCURRENT_RUNS_REACHED",
  "UPSTREAM_CANCELED",
  "UPSTREAM_FAILED",
  "DISABLED",
]);

/** `status.termination_details.code`. */
export const terminationCodeSchema = openEnum([
  "SUCCESS",
  "SUCCESS_WITH_FAILURES",
  "USER_CANCELED",
  "CANCELED",
  "SKIPPED",
  "DISABLED",
  "INTERNAL_ERROR",
  "DRIVER_ERROR",
  "CLUSTER_ERROR",
  "REPOSITORY_CHECKOUT_FAILED",
  "INVALID_CLUSTER_REQUEST",
  "WORKSPACE_RUN_LIMIT_EXCEEDED",
  "FEATURE_DISABLED",
  "CLUSTER_REQUEST_LIMIT_EXCEEDED",
  "STORAGE_ACCESS_ERROR",
  "RUN_EXECUTION_ERROR",
  "UNAUTHORIZED_ERROR",
  "LIBRARY_INSTALLATION_ERROR",
  "MAX_CONCURRENT_RUNS_EXCEEDED",
  "MAX_SPARK_CONTEXTS_EXCEEDED",
  "RESOURCE_NOT_FOUND",
  "INVALID_RUN_CONFIGURATION",
  "CLOUD_FAILURE",
  "MAX_JOB_QUEUE_SIZE_EXCEEDED",
  "BUDGET_POLICY_LIMIT_EXCEEDED",
  "BREAKING_CHANGE",
  "CLUSTER_TERMINATED_BY_USER",
]);

/** `status.termination_details.type`. */
export const terminationTypeSchema = openEnum(["SUCCESS", "INTERNAL_ERROR", "CLIENT_ERROR", "CLOUD_FAILURE"]);

/** The legacy `state` object of a run or task run. */
export const runStateSchema = z.looseObject({
  life_cycle_state: runLifeCycleStateSchema.optional(),
  result_state: runResultStateSchema.optional(),
  state_message: z.string().optional(),
  user_cancelled_or_timedout: z.boolean().optional(),
  queue_reason: z.string().optional(),
});

/** The `status` object of a run or task run (Jobs API 2.2). */
export const runStatusSchema = z.looseObject({
  state: runLifecycleStateV2Schema.optional(),
  termination_details: z
    .looseObject({
      code: terminationCodeSchema.optional(),
      type: terminationTypeSchema.optional(),
      message: z.string().optional(),
    })
    .optional(),
  queue_details: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
});

/** One task run inside a run. */
export const runTaskSchema = z.looseObject({
  task_key: z.string(),
  run_id: z.number().optional(),
  state: runStateSchema.optional(),
  status: runStatusSchema.optional(),
  attempt_number: z.number().optional(),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  run_page_url: z.string().optional(),
  depends_on: z.array(z.looseObject({ task_key: z.string() })).optional(),
});

/** A job run as returned by `jobs/runs/get` (one page) and `jobs/runs/list`. */
export const runSchema = z.looseObject({
  run_id: z.number(),
  job_id: z.number().optional(),
  run_name: z.string().optional(),
  number_in_job: z.number().optional(),
  original_attempt_run_id: z.number().optional(),
  creator_user_name: z.string().optional(),
  state: runStateSchema.optional(),
  status: runStatusSchema.optional(),
  tasks: z.array(runTaskSchema).optional(),
  job_clusters: z.array(z.looseObject({ job_cluster_key: z.string() })).optional(),
  job_parameters: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        default: z.string().optional(),
        value: z.string().optional(),
      }),
    )
    .optional(),
  repair_history: z.array(z.looseObject({})).optional(),
  iterations: z.array(runTaskSchema).optional(),
  start_time: z.number().optional(),
  end_time: z.number().optional(),
  run_duration: z.number().optional(),
  run_page_url: z.string().optional(),
  run_type: z.string().optional(),
  trigger: z.string().optional(),
  attempt_number: z.number().optional(),
  has_more: z.boolean().optional(),
  next_page_token: z.string().optional(),
});

/** A Databricks job run (unknown fields kept). */
export type Run = z.infer<typeof runSchema>;
/** A task run inside a job run. */
export type RunTask = z.infer<typeof runTaskSchema>;

/** The response of `jobs/runs/list`. */
export const listRunsResponseSchema = z.looseObject({
  runs: z.array(runSchema).optional(),
  has_more: z.boolean().optional(),
  next_page_token: z.string().optional(),
  prev_page_token: z.string().optional(),
});

/** The response of `jobs/runs/submit`. */
export const submitRunResponseSchema = z.looseObject({ run_id: z.number() });
