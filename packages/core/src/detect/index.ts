export { detectAzurePipelines } from "./ci/azure-pipelines.js";
export { detectBuildkite } from "./ci/buildkite.js";
export { CI_DETECTORS, type CiDetector, detectFromCi } from "./ci/ci-source.js";
export { detectCircleCi } from "./ci/circleci.js";
export { detectGitHubActions } from "./ci/github-actions.js";
export { detectGitLabCi } from "./ci/gitlab-ci.js";
export { detectJenkins } from "./ci/jenkins.js";
export { detectFromContainerEnv } from "./container-source.js";
export { detectFromDatabricks } from "./databricks-source.js";
export {
  DEFAULT_DETECTION_SOURCES,
  type DetectionResult,
  type DetectTraceContextOptions,
  detectTraceContext,
} from "./detect-trace-context.js";
export { DEFAULT_GIT_TIMEOUT_MS, runGit } from "./git-runner.js";
export { detectFromGit } from "./git-source.js";
export { type JobArgs, parseJobArgs } from "./job-args.js";
export { type FieldSources, mergeDetected } from "./merge-detected.js";
export { cleanRepoUrl } from "./repo-url.js";
export { detectRuntime } from "./runtime-source.js";
export type {
  DetectEnv,
  DetectedCi,
  DetectedCode,
  DetectedContext,
  DetectedJob,
  DetectInputs,
  DetectionSource,
  DetectionSourceName,
  GitRunner,
  GitRunResult,
  ReadTextFile,
  SourceResult,
  TraceFieldPath,
} from "./types.js";
