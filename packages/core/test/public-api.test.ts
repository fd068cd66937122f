import { describe, expect, it } from "vitest";
import * as pub from "../src/index.js";
import * as internal from "../src/internal.js";

/**
 * The runtime names of `@modeltrail/core`, the semver-governed entry. A name added here is a promise to
 * users: add it only when a user calls or names it (see "Public API" in the README, and update its
 * table); building blocks for modeltrail's own packages go to `src/internal.ts`.
 */
const PUBLIC_NAMES = [
  "AbortError",
  "ApiError",
  "BadRequestError",
  "ConfigError",
  "ConflictError",
  "DEFAULT_CONVENTIONS",
  "DEFAULT_DETECTION_SOURCES",
  "DeployRefusedError",
  "ForbiddenError",
  "ModelTrailError",
  "NetworkError",
  "NotFoundError",
  "RateLimitError",
  "ResponseTooLargeError",
  "ServerError",
  "TRACE_REPORT_SCHEMA_VERSION",
  "TRACE_SCHEMA_VERSION",
  "TimeoutError",
  "TraceContext",
  "UnauthorizedError",
  "VERIFY_CHECK_IDS",
  "VERSION",
  "ValidationError",
  "azureClientSecretCredential",
  "azureCredentialFromEnv",
  "basicAuth",
  "bearerToken",
  "classifyRunId",
  "createTraceContext",
  "currentTraceContext",
  "databricksOAuthM2M",
  "defineConventions",
  "deployPolicy",
  "detectFromContainerEnv",
  "detectTraceContext",
  "encodeBaggage",
  "fromAnnotations",
  "fromBaggage",
  "fromEnv",
  "fromMlflowTags",
  "isModelTrailError",
  "isTraceContext",
  "oauth2ClientCredentials",
  "parseJobArgs",
  "parseTraceContext",
  "parseTraceHandle",
  "parseTraceReport",
  "resolveDatabricksAuth",
  "runIdOf",
  "runWithTraceContext",
  "toAnnotations",
  "toBaggage",
  "toEnv",
  "toK8sLabels",
  "toLogFields",
  "toMlflowTags",
  "toOtelAttributes",
  "toOtelResourceAttributes",
  "OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH",
  "trace",
  "verify",
];

describe("the public / internal split of @modeltrail/core", () => {
  it("exports exactly the listed public names", () => {
    expect(Object.keys(pub).sort()).toEqual([...PUBLIC_NAMES].sort());
  });

  it("keeps the transport and other building blocks out of the public entry", () => {
    for (const name of ["HttpClient", "paginate", "createApiError", "registerSecret", "redactText"]) {
      expect(pub).not.toHaveProperty(name);
      expect(internal).toHaveProperty(name);
    }
  });

  it("exports no name from both entries", () => {
    expect(Object.keys(internal).filter((name) => name in pub)).toEqual([]);
  });
});
