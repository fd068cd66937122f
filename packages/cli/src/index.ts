/**
 * @modeltrail/cli: the `modeltrail` command and the library modules it is built from, such as the
 * local deploy target that stands in for Kubernetes when there is no cluster, and `reproduce()`, which
 * re-runs a training run at its recorded commit and reports what differs (it needs the MLflow and
 * Databricks packages, so it cannot live in core).
 * @packageDocumentation
 */
export type { CliOutcome, CommandResult } from "./cli/cli-app.js";
export type { CliIo, CliStream } from "./cli/cli-io.js";
export type { ErrorReport } from "./cli/error-report.js";
export { EXIT_CODES, type ExitCode } from "./cli/exit-codes.js";
export { formatBytes, Output, type OutputOptions, type Progress } from "./cli/output.js";
export { runCli } from "./cli/run-cli.js";
export {
  type HostCommand,
  hostCommand,
  type InterpreterMap,
  mapEnvValue,
  mapImagePath,
} from "./local-target/container-command.js";
export {
  imageTrace,
  type LocalImageRef,
  layoutRunImageResolver,
  type OpenedImage,
  openLocalImage,
  parseLocalImageRef,
} from "./local-target/local-image.js";
export {
  LOCAL_STATE_SCHEMA,
  type LocalDeploymentState,
  type LocalRevisionState,
} from "./local-target/local-state.js";
export {
  LOCAL_NAMESPACE,
  LOCAL_PLATFORM,
  type LocalDeployOptions,
  type LocalDeployResult,
  LocalDeployTarget,
  type LocalDeployTargetOptions,
  type LocalRevision,
  type LocalRollbackOptions,
  type LocalRollbackResult,
  type LocalStatus,
} from "./local-target/local-target.js";
export { localTraceResolver } from "./local-target/local-trace-resolver.js";
export { ServingExitedError, type ServingLog, ServingNotReadyError } from "./local-target/serving-errors.js";
export { type ProcessHandle, stopProcessGroup } from "./local-target/serving-process.js";
export * from "./reproduce/index.js";
export {
  type CleanResult,
  cleanModeltrailHome,
  DEFAULT_MODELTRAIL_HOME,
  ensureModeltrailHome,
  MODELTRAIL_HOME_ENV,
  MODELTRAIL_HOME_MARKER,
  modeltrailHome,
} from "./state/modeltrail-home.js";
export { VERSION } from "./version.js";
