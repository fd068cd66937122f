export { detectFromContainerEnv } from "./container-source.js";
export {
  DEFAULT_DETECTION_SOURCES,
  type DetectionResult,
  type DetectTraceContextOptions,
  detectTraceContext,
} from "./detect-trace-context.js";
export { type JobArgs, parseJobArgs } from "./job-args.js";
export type { FieldSources } from "./merge-detected.js";
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
