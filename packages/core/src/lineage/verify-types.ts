import type { TraceReport } from "./trace-report.js";
import type { VerifyCheck, VerifySummary } from "./verify-result.js";

/**
 * The answer of `verify()`: `ok` is false when any check failed (or, with `strict`, could not be
 * decided), which a CI gate turns into a non-zero exit (the CLI exits with 3). `checks` and
 * `summary` are also in `report` (`report.checks`, `report.summary`), so the report alone can be
 * stored, rendered and read back.
 */
export interface VerifyResult {
  ok: boolean;
  /** True when unknown checks counted as failures. */
  strict: boolean;
  summary: VerifySummary;
  checks: VerifyCheck[];
  report: TraceReport;
}
