/**
 * @modeltrail/core/internal: the building blocks modeltrail's own packages share and users do not
 * need: the HTTP transport and its helpers, the mapping of responses and low-level failures onto the
 * error hierarchy, pagination, secret registration and redaction, codec and detection internals,
 * and the pieces of Databricks and Azure auth that the service packages reuse.
 *
 * For modeltrail packages only: anything here may change or go in any release, without a semver
 * promise. Users import from `@modeltrail/core`.
 * @packageDocumentation
 */

// Auth internals: endpoints, scopes, the settings table, config-file parsing and the Azure pieces
// behind the public credential providers and resolveDatabricksAuth.
export {
  AZURE_PUBLIC_AUTHORITY_HOST,
  azureScopeFor,
  azureTokenEndpoint,
} from "./auth/azure-client-secret.js";
export {
  AZURE_DATABRICKS_LOGIN_PATH,
  type DiscoverAzureTenantIdOptions,
  discoverAzureTenantId,
} from "./auth/azure-tenant-discovery.js";
export {
  AZURE_DATABRICKS_WORKSPACE_API_VERSION,
  type AzureWorkspaceHostOptions,
  azureWorkspaceHost,
  checkAzureWorkspaceResourceId,
} from "./auth/azure-workspace-host.js";
export { azureAuthorityHostForWorkspace, normalizeDatabricksHost } from "./auth/databricks-auth.js";
export {
  DATABRICKS_AUTH_METHODS,
  DATABRICKS_AUTH_TYPES,
  DATABRICKS_FAMILY_LABELS,
  DATABRICKS_SETTINGS,
  type DatabricksAuthFamily,
  type DatabricksSetting,
  type DatabricksSettingName,
  UNSUPPORTED_DATABRICKS_AUTH_TYPES,
} from "./auth/databricks-auth-settings.js";
export {
  AZURE_DATABRICKS_RESOURCE_ID,
  type DatabricksAzureServicePrincipalOptions,
  databricksAzureServicePrincipal,
} from "./auth/databricks-azure-service-principal.js";
export {
  DATABRICKS_SETTINGS_SECTION,
  type DatabricksConfigEntry,
  type DatabricksConfigFile,
  MAX_DATABRICKS_CONFIG_BYTES,
  parseDatabricksConfig,
  readDatabricksConfig,
} from "./auth/databricks-config-file.js";
export {
  AZURE_ENVIRONMENTS,
  type AzureEnvironment,
  azureEnvironmentOfHost,
  databricksCloudOfHost,
  isDatabricksAccountsHost,
  parseAzureEnvironment,
  parseDatabricksCloud,
} from "./auth/databricks-environment.js";
export {
  DATABRICKS_OIDC_METADATA_PATH,
  databricksAccountOidcMetadataPath,
  discoverDatabricksTokenEndpoint,
} from "./auth/databricks-oauth-m2m.js";
export { defaultRefreshWindowMs } from "./auth/oauth2-client-credentials.js";

// Codec internals: value encodings the codecs use and sibling packages reuse.
export { decodeBaggageValue, encodeBaggageValue } from "./codecs/baggage.js";
export { isValidLabelValue, MAX_LABEL_VALUE_LENGTH, sanitizeLabelValue } from "./codecs/k8s-labels.js";
export { splitImageRef } from "./codecs/otel.js";

// Detection internals: the individual sources and the helpers they are built from.
export { detectAzurePipelines } from "./detect/ci/azure-pipelines.js";
export { detectBuildkite } from "./detect/ci/buildkite.js";
export { CI_DETECTORS, type CiDetector, detectFromCi } from "./detect/ci/ci-source.js";
export { detectCircleCi } from "./detect/ci/circleci.js";
export { detectGitHubActions } from "./detect/ci/github-actions.js";
export { detectGitLabCi } from "./detect/ci/gitlab-ci.js";
export { detectJenkins } from "./detect/ci/jenkins.js";
export { detectFromDatabricks } from "./detect/databricks-source.js";
export { DEFAULT_GIT_TIMEOUT_MS, runGit } from "./detect/git-runner.js";
export { detectFromGit } from "./detect/git-source.js";
export { mergeDetected } from "./detect/merge-detected.js";
export { cleanRepoUrl } from "./detect/repo-url.js";
export { detectRuntime } from "./detect/runtime-source.js";

// Error internals: building ApiErrors from responses and AbortErrors from signals, the cross-realm
// brand, issue paths.
export { abortErrorFor, throwIfAborted } from "./errors/abort-error.js";
export { apiErrorKindForStatus, createApiError } from "./errors/api-error.js";
export { fileSystemErrorFor } from "./errors/file-system-error.js";
export { MODELTRAIL_ERROR_BRAND } from "./errors/model-trail-error.js";
export { formatIssuePath } from "./errors/validation-error.js";

// The HTTP transport.
export { CALL_OPTION_KEYS, pickCallOptions, startCall } from "./http/call-options.js";
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  defaultApiError,
  HttpClient,
  type HttpClientTestHooks,
  type JsonCall,
  type JsonRequestOptions,
  MAX_RESPONSE_BYTES_LIMIT,
  type ReadRangeOptions,
} from "./http/http-client.js";
export { type Page, type PaginateOptions, paginate } from "./http/paginate.js";
export { parseRetryAfter } from "./http/retry-after.js";
export {
  backoffDelay,
  DEFAULT_RETRY,
  isIdempotentMethod,
  isRetryableNetworkCode,
} from "./http/retry-policy.js";
export {
  readRangeOverSocket,
  SOCKET_RANGE_BUFFER_BYTES,
  type SocketRangeOutcome,
  type SocketRangeRequest,
} from "./http/socket-range.js";
export { lowLevelCode, toTransportError } from "./http/transport-errors.js";
export type {
  ErrorResponseInfo,
  HttpClientOptions,
  HttpResponse,
  QueryValue,
  RequestOptions,
} from "./http/types.js";
export { loadUndiciParts, type UndiciParts } from "./http/undici-parts.js";
export { userAgent } from "./http/user-agent.js";
// Lineage internals: the zod schemas behind TraceReport, TraceHandle and the verify checks, and the
// closed lists of node kinds, edge relations, systems and reasons (renderers and exporters use them).
export {
  TRACE_EDGE_RELATIONS,
  TRACE_NODE_KINDS,
  TRACE_NODE_STATES,
  traceEdgeSchema,
  traceGraphSchema,
  traceNodeSchema,
} from "./lineage/trace-graph.js";
export { traceHandleSchema } from "./lineage/trace-handle.js";
export {
  reportArtifactFileSchema,
  reportArtifactsSchema,
  reportCodeSchema,
  reportDataSchema,
  reportDatasetSchema,
  reportProvenanceSchema,
  reportServingEnvironmentSchema,
  reportServingInfrastructureSchema,
  reportServingNodeSchema,
  reportServingRevisionSchema,
  reportTrainingEnvironmentSchema,
  reportTrainingInfrastructureSchema,
  traceLineageSchema,
  traceReportSchema,
  traceRequestsSchema,
  UNREACHABLE_REASONS,
  unreachableSchema,
} from "./lineage/trace-report.js";
export {
  TRACE_SYSTEMS,
  tracedMapSchema,
  tracedValueSchema,
  traceFactSchema,
  traceScalarSchema,
  traceSourceSchema,
} from "./lineage/trace-source.js";
export {
  VERIFY_STATUSES,
  verifyCheckSchema,
  verifySummarySchema,
  verifyValueSchema,
} from "./lineage/verify-result.js";
// Secret registration and redaction.
export {
  isSecretHeader,
  REDACTION_MARKER,
  redactedExcerpt,
  redactHeaders,
  redactText,
  redactUrl,
  redactValue,
  registerSecret,
  registerSecretHeaderValue,
} from "./redact.js";
// The Node version check the transport makes at the first request.
export { assertSupportedNode, isNodeVersionAtLeast, REQUIRED_NODE_VERSION } from "./runtime/node-version.js";
// Trace internals: schema limits and zod schemas, convention helpers.
export { ANNOTATION_PREFIX, isValidK8sKey, SCALAR_FIELDS } from "./trace/conventions.js";
export {
  ciSectionSchema,
  codeSectionSchema,
  datasetRefSchema,
  deploymentSectionSchema,
  environmentSectionSchema,
  imageSectionSchema,
  JOB_PLATFORMS,
  jobSectionSchema,
  KNOWN_CI_PROVIDERS,
  MAX_TRACE_ENTRIES,
  MAX_TRACE_VALUE_LENGTH,
  modelSectionSchema,
  TRACE_KEY_PATTERN,
  traceContextInputSchema,
  traceContextSchema,
} from "./trace/schema.js";
export { stripUrlCredentials } from "./trace/strip-url-credentials.js";
export { assertReadableVersion } from "./trace/trace-context.js";
