import { type HttpClient, paginate, startCall } from "@modeltrail/core/internal";
import { allPages, appendArrays, MAX_PAGES } from "./all-pages.js";
import {
  assertDatabricksId,
  assertEpochMs,
  assertIdempotencyToken,
  assertPageSize,
} from "./argument-checks.js";
import type { CallOptions } from "./jobs-api.js";
import { listRunsResponseSchema, type Run, runSchema, submitRunResponseSchema } from "./schemas/api/run.js";
import { type RunOutput, runOutputSchema } from "./schemas/api/run-output.js";

const BASE = "/api/2.2/jobs/runs";

/** Options of `runs.get`. */
export interface GetRunOptions extends CallOptions {
  /** Include the repair history (`include_history`). */
  includeHistory?: boolean | undefined;
  /** Include resolved parameter values (`include_resolved_values`). */
  includeResolvedValues?: boolean | undefined;
}

/** Options of `runs.list`. */
export interface ListRunsOptions extends CallOptions {
  /** Only runs of this job. */
  jobId?: number | undefined;
  /** Only active runs (queued, pending, running, terminating). */
  activeOnly?: boolean | undefined;
  /** Only completed runs. */
  completedOnly?: boolean | undefined;
  /** `JOB_RUN`, `WORKFLOW_RUN` or `SUBMIT_RUN`. */
  runType?: string | undefined;
  /** Include task runs. */
  expandTasks?: boolean | undefined;
  /** Runs started at or after this time (ms since the epoch). */
  startTimeFrom?: number | undefined;
  /** Runs started at or before this time (ms since the epoch). */
  startTimeTo?: number | undefined;
  /** Page size, 1..25 (default 25). */
  limit?: number | undefined;
}

/** Options of `runs.submit`. */
export interface SubmitRunOptions extends CallOptions {
  /** Makes the submit safe to retry: Databricks returns the existing run for a token it has seen. */
  idempotencyToken?: string | undefined;
}

/**
 * The Jobs API 2.2 `jobs/runs/*` endpoints. Request and response bodies keep the API's snake_case
 * field names. Every method throws the transport's errors (ApiError subclasses such as
 * NotFoundError, TimeoutError, AbortError, NetworkError) and ValidationError for a response that
 * does not have the documented shape.
 */
export class RunsApi {
  /** Wraps the `databricks` HTTP client. */
  constructor(private readonly http: HttpClient) {}

  /**
   * Submits a one-time run (`POST jobs/runs/submit`) without creating a job and returns its run id.
   * Retried on transient failures only with an idempotency token.
   */
  async submit(request: Record<string, unknown>, options: SubmitRunOptions = {}): Promise<number> {
    assertIdempotencyToken(options.idempotencyToken);
    assertIdempotencyToken(request.idempotency_token, "request.idempotency_token");
    const res = await this.http.post(
      `${BASE}/submit`,
      {
        json: {
          ...request,
          ...(options.idempotencyToken ? { idempotency_token: options.idempotencyToken } : {}),
        },
        retrySafe: Boolean(options.idempotencyToken ?? request.idempotency_token),
        schema: submitRunResponseSchema,
      },
      options,
    );
    return res.run_id;
  }

  /** Fetches one page of a run (`GET jobs/runs/get`); `runs.get` merges all pages. */
  async getPage(runId: number, pageToken?: string, options: GetRunOptions = {}): Promise<Run> {
    assertDatabricksId(runId, "runId");
    return this.http.get(
      `${BASE}/get`,
      {
        query: {
          run_id: runId,
          include_history: options.includeHistory,
          include_resolved_values: options.includeResolvedValues,
          page_token: pageToken,
        },
        schema: runSchema,
      },
      options,
    );
  }

  /**
   * Fetches a run with all its task runs. In API 2.2 `jobs/runs/get` returns at most 100 tasks
   * (or for-each iterations) per page; this follows `next_page_token` and merges tasks (or
   * iterations), job clusters, job parameters and repair history, like the official SDKs. Throws
   * NotFoundError when the run does not exist.
   */
  async get(runId: number, options: GetRunOptions = {}): Promise<Run> {
    assertDatabricksId(runId, "runId");
    const call = startCall(options);
    const [first, ...rest] = await allPages(
      (token) => this.getPage(runId, token, { ...options, ...call }),
      call.signal,
    );
    const merged: Run = { ...first! };
    const arrays = (first!.iterations?.length ?? 0) > 0 ? "iterations" : "tasks";
    for (const next of rest)
      appendArrays(merged, next, [arrays, "job_clusters", "job_parameters", "repair_history"]);
    delete merged.next_page_token;
    return merged;
  }

  /**
   * Fetches the output of a task run (`GET jobs/runs/get-output`): notebook result, logs, error and
   * error trace. Pass a task run id (a run's `tasks[].run_id`), not a multi-task job run id.
   */
  async getOutput(runId: number, options: CallOptions = {}): Promise<RunOutput> {
    assertDatabricksId(runId, "runId");
    return this.http.get(
      `${BASE}/get-output`,
      { query: { run_id: runId }, schema: runOutputSchema },
      options,
    );
  }

  /** Requests cancellation of a run (`POST jobs/runs/cancel`); returns before the run has stopped. */
  async cancel(runId: number, options: CallOptions = {}): Promise<void> {
    assertDatabricksId(runId, "runId");
    await this.http.post(`${BASE}/cancel`, { json: { run_id: runId }, retrySafe: true }, options);
  }

  /** Lists runs, newest first (`GET jobs/runs/list`), following page tokens lazily. */
  list(options: ListRunsOptions = {}): AsyncGenerator<Run, void, undefined> {
    if (options.jobId !== undefined) assertDatabricksId(options.jobId, "jobId");
    assertPageSize(options.limit, "limit", 25);
    assertEpochMs(options.startTimeFrom, "startTimeFrom");
    assertEpochMs(options.startTimeTo, "startTimeTo");
    const call = startCall(options);
    return paginate(
      async (pageToken) => {
        const res = await this.http.get(
          `${BASE}/list`,
          {
            query: {
              job_id: options.jobId,
              active_only: options.activeOnly,
              completed_only: options.completedOnly,
              run_type: options.runType,
              expand_tasks: options.expandTasks,
              start_time_from: options.startTimeFrom,
              start_time_to: options.startTimeTo,
              limit: options.limit ?? 25,
              page_token: pageToken,
            },
            schema: listRunsResponseSchema,
          },
          call,
        );
        return {
          items: res.runs ?? [],
          nextPageToken: res.has_more === false ? undefined : res.next_page_token,
        };
      },
      { maxPages: MAX_PAGES, ...(options.signal ? { signal: options.signal } : {}) },
    );
  }
}
