import { ValidationError } from "@modeltrail/core";
import { redactedExcerpt } from "@modeltrail/core/internal";
import { MAX_IDEMPOTENCY_TOKEN_LENGTH } from "./idempotency.js";

/**
 * Throws ValidationError unless `value` is a Databricks id (job id, run id, task run id): a positive
 * safe integer. NaN, negative, fractional and unsafe numbers (beyond 2^53 - 1, which JSON cannot carry
 * exactly: another job would be addressed), strings and missing values are refused before anything
 * is sent. `name` names the argument in the error (`jobId`, `runId`).
 */
export function assertDatabricksId(value: unknown, name: string): asserts value is number {
  const problem = idProblem(value);
  if (problem === undefined) return;
  throw new ValidationError(`Invalid Databricks ${name}: ${describe(value)}; nothing was sent`, {
    issues: [{ path: name, message: problem }],
    hint: "Pass the id as a number, e.g. the job_id or run_id Databricks returned",
  });
}

function idProblem(value: unknown): string | undefined {
  if (typeof value !== "number") return `must be a number, got ${value === null ? "null" : typeof value}`;
  if (Number.isNaN(value)) return "must be a number, got NaN";
  if (!Number.isFinite(value)) return "must be finite";
  if (!Number.isInteger(value)) return "must be an integer";
  if (value <= 0) return "must be positive";
  if (!Number.isSafeInteger(value))
    return "must be at most 2^53 - 1 (Number.MAX_SAFE_INTEGER); larger ids lose digits";
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(redactedExcerpt(value, 40));
  if (typeof value === "number" || typeof value === "bigint" || value === null || value === undefined)
    return String(value);
  return typeof value;
}

/**
 * Throws ValidationError unless `token` is an idempotency token Databricks accepts: a non-empty string
 * of at most {@link MAX_IDEMPOTENCY_TOKEN_LENGTH} (64) characters. Undefined (no token) is accepted.
 */
export function assertIdempotencyToken(token: unknown, name = "idempotencyToken"): void {
  if (token === undefined) return;
  let problem: string | undefined;
  if (typeof token !== "string") problem = `must be a string, got ${token === null ? "null" : typeof token}`;
  else if (token === "") problem = "must not be empty (leave it out to send none)";
  else if (token.length > MAX_IDEMPOTENCY_TOKEN_LENGTH)
    problem = `is ${token.length} characters long; Databricks accepts at most ${MAX_IDEMPOTENCY_TOKEN_LENGTH}`;
  if (problem === undefined) return;
  throw new ValidationError(`Invalid Databricks idempotency token; nothing was sent`, {
    issues: [{ path: name, message: problem }],
    hint: "Use a string of at most 64 characters, e.g. runIdempotencyToken(ctx, ...) (47 characters)",
  });
}

/**
 * Throws ValidationError unless `value` is undefined or an integer from 1 to `max` (a page size the
 * endpoint accepts: 100 for `jobs/list`, 25 for `jobs/runs/list`).
 */
export function assertPageSize(value: unknown, name: string, max: number): void {
  if (value === undefined) return;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= max) return;
  throw new ValidationError(`Invalid ${name} ${describe(value)}; nothing was sent`, {
    issues: [{ path: name, message: `must be an integer from 1 to ${max}` }],
  });
}

/** Throws ValidationError unless `value` is undefined or a time in ms since the epoch (a non-negative safe integer). */
export function assertEpochMs(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return;
  throw new ValidationError(`Invalid ${name} ${describe(value)}; nothing was sent`, {
    issues: [{ path: name, message: "must be milliseconds since the epoch (a non-negative integer)" }],
  });
}
