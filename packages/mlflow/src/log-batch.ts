import { ValidationError, type ValidationIssue } from "@modeltrail/core";
import { type HttpClient, startCall } from "@modeltrail/core/internal";
import { type CallOptions, MLFLOW_API } from "./api-path.js";
import { checkKey, checkLength, checkTag, MLFLOW_LIMITS } from "./validation.js";

/** One metric value to log. */
export interface MetricInput {
  key: string;
  /** A number; NaN and ±Infinity are sent as MLflow's JSON strings. */
  value: number;
  /** Milliseconds since the epoch (default: now). */
  timestamp?: number | undefined;
  /** Training step (default 0). */
  step?: number | undefined;
}

/** What `logBatch` writes to a run. */
export interface LogBatchInput {
  metrics?: ReadonlyArray<MetricInput> | undefined;
  /** Params (immutable once logged); values are converted to strings. */
  params?:
    | Record<string, string | number | boolean>
    | ReadonlyArray<{ key: string; value: string }>
    | undefined;
  /** Run tags (later values win). */
  tags?: Record<string, string> | ReadonlyArray<{ key: string; value: string }> | undefined;
}

/** The wire form of one log-batch request (without `run_id`). */
export interface LogBatchChunk {
  metrics: Array<{ key: string; value: number | string; timestamp: number; step: number }>;
  params: Array<{ key: string; value: string }>;
  tags: Array<{ key: string; value: string }>;
}

/** Limits used to split batches; defaults to the server's (`MLFLOW_LIMITS`). */
export interface LogBatchLimits {
  metrics: number;
  params: number;
  tags: number;
  total: number;
  /** Largest request body in bytes. */
  bytes: number;
}

/** The default split limits: MLflow's 1000 metrics / 100 params / 100 tags / 1000 items / ~1 MB per call. */
export const DEFAULT_LOG_BATCH_LIMITS: Readonly<LogBatchLimits> = Object.freeze({
  metrics: MLFLOW_LIMITS.metricsPerBatch,
  params: MLFLOW_LIMITS.paramsPerBatch,
  tags: MLFLOW_LIMITS.tagsPerBatch,
  total: MLFLOW_LIMITS.entitiesPerBatch,
  // keep a margin under the server's 1 MB for run_id and JSON framing
  bytes: MLFLOW_LIMITS.batchRequestBytes - 10_000,
});

function pairs(
  input: Record<string, unknown> | ReadonlyArray<{ key: string; value: unknown }> | undefined,
): Array<{ key: string; value: unknown }> {
  if (!input) return [];
  if (Array.isArray(input)) return input.map((p) => ({ key: p.key, value: p.value }));
  return Object.entries(input).map(([key, value]) => ({ key, value }));
}

function wireNumber(value: number): number | string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  return value;
}

/**
 * Validates a batch against MLflow's rules (key characters and length, param value ≤ 6000 and tag
 * value ≤ 8000 characters, numeric metric values, integer timestamps and steps, no param logged twice
 * with different values) and converts it to the wire form. Throws ValidationError listing every
 * problem; nothing has been sent when it throws.
 */
export function prepareLogBatch(input: LogBatchInput, now: number = Date.now()): LogBatchChunk {
  const issues: ValidationIssue[] = [];
  const metrics: LogBatchChunk["metrics"] = [];
  (input.metrics ?? []).forEach((m, i) => {
    const path = `metrics[${i}]`;
    checkKey(m?.key, `${path}.key`, issues);
    if (typeof m?.value !== "number")
      issues.push({ path: `${path}.value`, message: "value must be a number" });
    const timestamp = m?.timestamp ?? now;
    const step = m?.step ?? 0;
    if (!Number.isSafeInteger(timestamp))
      issues.push({
        path: `${path}.timestamp`,
        message: "timestamp must be an integer (ms since the epoch)",
      });
    if (!Number.isSafeInteger(step))
      issues.push({ path: `${path}.step`, message: "step must be an integer" });
    metrics.push({ key: m?.key, value: wireNumber(m?.value), timestamp, step });
  });

  const params: LogBatchChunk["params"] = [];
  const seenParams = new Map<string, string>();
  pairs(input.params).forEach((p, i) => {
    const path = `params[${i}]`;
    checkKey(p.key, `${path}.key`, issues);
    if (p.value === undefined || p.value === null || typeof p.value === "object") {
      issues.push({ path: `${path}.value`, message: "value must be a string, number or boolean" });
      return;
    }
    const value = String(p.value);
    checkLength(value, MLFLOW_LIMITS.paramValueLength, `${path}.value`, issues);
    const previous = seenParams.get(p.key);
    if (previous !== undefined) {
      if (previous !== value)
        issues.push({
          path: `${path}.key`,
          message: `param "${p.key}" is given twice with different values`,
        });
      return; // the same value twice: send it once
    }
    seenParams.set(p.key, value);
    params.push({ key: p.key, value });
  });

  const tags: LogBatchChunk["tags"] = [];
  pairs(input.tags).forEach((t, i) => {
    const before = issues.length;
    checkTag(t.key, t.value, `tags[${i}]`, issues, "run");
    if (issues.length === before) tags.push({ key: t.key, value: t.value as string });
  });

  if (issues.length > 0) {
    throw new ValidationError("Invalid MLflow log-batch input; nothing was logged", {
      issues,
      hint: "Fix the listed keys or values",
    });
  }
  return { metrics, params, tags };
}

const utf8 = new TextEncoder();
function bytesOf(item: unknown): number {
  return utf8.encode(JSON.stringify(item)).length + 1;
}

/**
 * Splits a prepared batch into requests within the server's limits (count per kind, total count and
 * body size). Params go first, then tags, then metrics, keeping the order within each kind so that a
 * later tag value still wins.
 */
export function splitLogBatch(
  batch: LogBatchChunk,
  limits: LogBatchLimits = DEFAULT_LOG_BATCH_LIMITS,
): LogBatchChunk[] {
  const chunks: LogBatchChunk[] = [];
  let current: LogBatchChunk = { metrics: [], params: [], tags: [] };
  let bytes = 0;
  const count = () => current.metrics.length + current.params.length + current.tags.length;
  const flush = () => {
    if (count() > 0) chunks.push(current);
    current = { metrics: [], params: [], tags: [] };
    bytes = 0;
  };
  const add = <K extends keyof LogBatchChunk>(kind: K, item: LogBatchChunk[K][number], max: number) => {
    const size = bytesOf(item);
    if (
      current[kind].length >= max ||
      count() >= limits.total ||
      (count() > 0 && bytes + size > limits.bytes)
    )
      flush();
    (current[kind] as Array<LogBatchChunk[K][number]>).push(item);
    bytes += size;
  };
  for (const p of batch.params) add("params", p, limits.params);
  for (const t of batch.tags) add("tags", t, limits.tags);
  for (const m of batch.metrics) add("metrics", m, limits.metrics);
  flush();
  return chunks;
}

/** Options of `logBatch`. */
export interface LogBatchOptions extends CallOptions {
  /** Split limits (tests, servers with other limits). */
  limits?: LogBatchLimits | undefined;
}

/**
 * Logs metrics, params and tags to a run: validates everything first (ValidationError, nothing sent),
 * then sends as many log-batch requests as the server's limits require, in order. Each request is
 * retried on transient failures (re-logging the same values is harmless). Throws ApiError subclasses
 * for server errors; requests sent before a failure stay logged.
 */
export async function logBatch(
  http: HttpClient,
  runId: string,
  input: LogBatchInput,
  options: LogBatchOptions = {},
): Promise<{ requests: number }> {
  const chunks = splitLogBatch(prepareLogBatch(input), options.limits);
  const call = startCall(options);
  for (const chunk of chunks) {
    await http.post(
      `${MLFLOW_API}/runs/log-batch`,
      { json: { run_id: runId, ...chunk }, retrySafe: true },
      call,
    );
  }
  return { requests: chunks.length };
}
