export {
  DatabricksClient,
  type DatabricksClientFromEnvOptions,
  type DatabricksClientOptions,
  normalizeDatabricksHost,
} from "./client.js";
export type { DeployContext } from "./deploy-context.js";
export {
  DEPLOY_TAGS,
  type DeployJobOptions,
  type DeployJobResult,
  deployJob,
  GIT_SHA_PARAMETER,
} from "./deploy-job.js";
export {
  DATABRICKS_TRANSIENT_MESSAGES,
  type DatabricksErrorBody,
  isTransientDatabricksMessage,
  mapDatabricksError,
  parseDatabricksErrorBody,
} from "./errors.js";
export {
  MAX_IDEMPOTENCY_TOKEN_LENGTH,
  type RunTokenInput,
  runIdempotencyToken,
} from "./idempotency.js";
export {
  type CallOptions,
  JobsApi,
  type ListJobsOptions,
  type RunNowOptions,
  type UpdateJobOptions,
} from "./jobs-api.js";
export { type RunJobOptions, type RunJobResult, runJob } from "./run-job.js";
export {
  classifyRun,
  type FailedTask,
  isRunTerminal,
  type RunOutcome,
  type RunOutcomeKind,
  runLifecycleState,
} from "./run-outcome.js";
export { type GetRunOptions, type ListRunsOptions, RunsApi, type SubmitRunOptions } from "./runs-api.js";
export {
  createJobResponseSchema,
  type Job,
  jobSchema,
  listJobsResponseSchema,
  type RunNowResponse,
  runNowResponseSchema,
} from "./schemas/api/job.js";
export { type ApiJobSettings, apiJobSettingsSchema } from "./schemas/api/job-settings-shape.js";
export {
  listRunsResponseSchema,
  type Run,
  type RunTask,
  runSchema,
  runStateSchema,
  runStatusSchema,
  runTaskSchema,
  submitRunResponseSchema,
} from "./schemas/api/run.js";
export { type RunOutput, runOutputSchema } from "./schemas/api/run-output.js";
export { diffJobSettings } from "./settings-diff.js";
export { TASK_TRACE_FLAGS, withTaskTraceParameters } from "./task-trace-parameters.js";
export { type RunProgressEvent, type WaitForRunOptions, waitForRun } from "./wait-for-run.js";
