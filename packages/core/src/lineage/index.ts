export {
  type DeployPolicy,
  type DeployPolicyOptions,
  DeployRefusedError,
  deployPolicy,
} from "./deploy-gate.js";
export { parseTraceReport } from "./parse-trace-report.js";
export { type TraceOptions, trace } from "./trace.js";
export type {
  TraceEdge,
  TraceEdgeRelation,
  TraceGraph,
  TraceNode,
  TraceNodeKind,
  TraceNodeState,
} from "./trace-graph.js";
export {
  type ParseTraceHandleOptions,
  parseTraceHandle,
  type TraceHandle,
  type TraceHandleKind,
  type TraceHandleOf,
} from "./trace-handle.js";
export {
  type ReportArtifactFile,
  type ReportArtifacts,
  type ReportCode,
  type ReportData,
  type ReportDataset,
  type ReportProvenance,
  type ReportServingEnvironment,
  type ReportServingInfrastructure,
  type ReportServingNode,
  type ReportServingRevision,
  type ReportTrainingEnvironment,
  type ReportTrainingInfrastructure,
  TRACE_REPORT_SCHEMA_VERSION,
  type TraceLineage,
  type TraceReport,
  type TraceRequests,
  type Unreachable,
  type UnreachableReason,
} from "./trace-report.js";
export type {
  TracedMap,
  TracedValue,
  TraceFact,
  TraceScalar,
  TraceSource,
  TraceSystem,
} from "./trace-source.js";
export { type VerifyOptions, verify } from "./verify.js";
export type { ArtifactCheckMode } from "./verify-checks.js";
export {
  VERIFY_CHECK_IDS,
  type VerifyCheck,
  type VerifyCheckId,
  type VerifyStatus,
  type VerifySummary,
  type VerifyValue,
} from "./verify-result.js";
export type { VerifyResult } from "./verify-types.js";
