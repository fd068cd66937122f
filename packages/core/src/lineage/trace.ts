import type { TraceHandle } from "./trace-handle.js";
import type { TraceReport } from "./trace-report.js";
import { type TraceOptions, walk } from "./walk/walk.js";

export type { TraceOptions } from "./walk/walk.js";

/**
 * Answers the five questions for a handle: which code, infrastructure, environment, artifacts and
 * data produced the model it names, for training and for serving. `handle` is a {@link TraceHandle}
 * or anything `parseTraceHandle` reads (a log line, `models:/churn/3`, `deployment/prod/churn`, an
 * image reference, a run id of either kind, a commit).
 *
 * Walks from the handle through the given resolvers: every object is fetched once, independent
 * look-ups run concurrently, every reference is followed (also ones that disagree, so the report
 * shows both). A handle that matches several things (a commit with several model versions) gives
 * several lineages, never a guess. What could not be reached is listed with the reason
 * (`unreachable`), so a partial setup gives a partial answer. `requests` counts the HTTP requests
 * sent (through `CallOptions.onRequest`, which the resolvers pass on to their clients).
 *
 * Throws ValidationError for a handle it cannot read or bad options, and AbortError when `signal`
 * aborts; a system that fails is reported in `unreachable`, not thrown.
 */
export async function trace(
  handle: TraceHandle | string | Record<string, unknown>,
  options: TraceOptions,
): Promise<TraceReport> {
  return (await walk(handle, options)).report();
}
