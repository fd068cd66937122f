import { ValidationError } from "../errors/validation-error.js";
import { zodIssuesToValidationIssues } from "../trace/validation-issues.js";
import { TRACE_REPORT_SCHEMA_VERSION, type TraceReport, traceReportSchema } from "./trace-report.js";

/**
 * Reads a TraceReport back from JSON (a string or a parsed object), as `JSON.stringify(report)`
 * wrote it. Throws ValidationError for invalid JSON, a missing or newer `schemaVersion` (upgrade
 * modeltrail to read it) or any field that does not match the schema, naming each one.
 */
export function parseTraceReport(json: unknown): TraceReport {
  let value = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch {
      throw new ValidationError("Invalid TraceReport: not valid JSON", {
        issues: [{ path: "(root)", message: "expected a JSON object as written by JSON.stringify(report)" }],
      });
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError("Invalid TraceReport", {
      issues: [{ path: "(root)", message: "must be an object" }],
    });
  }
  const version = (value as Record<string, unknown>).schemaVersion;
  if (typeof version === "number" && Number.isInteger(version) && version > TRACE_REPORT_SCHEMA_VERSION) {
    throw new ValidationError(
      `TraceReport has schemaVersion ${version}, but this release of modeltrail reads only schemaVersion ${TRACE_REPORT_SCHEMA_VERSION}: upgrade modeltrail (@modeltrail/core) to read it`,
      { issues: [{ path: "schemaVersion", message: `unsupported version ${version}` }] },
    );
  }
  const parsed = traceReportSchema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError("Invalid TraceReport", {
      issues: zodIssuesToValidationIssues(parsed.error.issues),
    });
  }
  return parsed.data;
}
