import type { CallOptions } from "@modeltrail/core";
import { type HttpClient, paginate, startCall } from "@modeltrail/core/internal";
import { allPages, appendArrays, MAX_PAGES } from "./all-pages.js";
import { assertDatabricksId, assertIdempotencyToken, assertPageSize } from "./argument-checks.js";
import {
  createJobResponseSchema,
  type Job,
  jobSchema,
  listJobsResponseSchema,
  type RunNowResponse,
  runNowResponseSchema,
} from "./schemas/api/job.js";
import type { ApiJobSettings } from "./schemas/api/job-settings-shape.js";

const BASE = "/api/2.2/jobs";

/** Guards against a server that keeps sending page tokens. */

/** Per-call options every Jobs API method accepts: core's (signal, timeout, deadline, retry, headers). */
export type { CallOptions };

/** Options of `jobs.list`. */
export interface ListJobsOptions extends CallOptions {
  /** Only jobs with exactly this name (Databricks compares case-insensitively). */
  name?: string | undefined;
  /** Include tasks and job clusters (the first 100 of each; use `jobs.get` for all). */
  expandTasks?: boolean | undefined;
  /** Page size, 1..100 (default 100). */
  limit?: number | undefined;
}

/** Options of `jobs.runNow`. */
export interface RunNowOptions extends CallOptions {
  /** Job-level parameter values for this run (`job_parameters`). */
  jobParameters?: Record<string, string> | undefined;
  /** Run only these task keys (`only`). */
  only?: string[] | undefined;
  /**
   * Up to 64 characters. Databricks returns the existing run instead of starting a second one for a
   * token it has seen, so a request with a token is retried safely.
   */
  idempotencyToken?: string | undefined;
  /** Queue the run when the job is at its concurrency limit (`queue.enabled`). */
  queue?: boolean | undefined;
  /** `performance_target` for serverless jobs (e.g. `PERFORMANCE_OPTIMIZED`, `STANDARD`). */
  performanceTarget?: string | undefined;
  /** Further request fields, sent as given. */
  extra?: Record<string, unknown> | undefined;
}

/** Options of `jobs.update`. */
export interface UpdateJobOptions extends CallOptions {
  /** Top-level settings to replace; arrays such as `tasks` are merged by key by Databricks. */
  newSettings?: Record<string, unknown> | undefined;
  /** Top-level fields (or `tasks/<task_key>`, `job_clusters/<key>`) to remove. */
  fieldsToRemove?: string[] | undefined;
}

/**
 * The Jobs API 2.2 `jobs/*` endpoints. Methods map one to one onto the REST API; request and
 * response bodies keep the API's snake_case field names. Every method throws the transport's errors
 * (ApiError subclasses such as NotFoundError, TimeoutError, AbortError, NetworkError) and
 * ValidationError when a response does not have the documented shape.
 */
export class JobsApi {
  /** Wraps the `databricks` HTTP client. */
  constructor(private readonly http: HttpClient) {}

  /** Creates a job from its settings (`POST jobs/create`) and returns its id. Not retried (not idempotent). */
  async create(settings: Record<string, unknown>, options: CallOptions = {}): Promise<number> {
    const res = await this.http.post(
      `${BASE}/create`,
      { json: settings, schema: createJobResponseSchema },
      options,
    );
    return res.job_id;
  }

  /** Replaces all settings of a job (`POST jobs/reset`). Retried on transient failures (idempotent). */
  async reset(jobId: number, newSettings: Record<string, unknown>, options: CallOptions = {}): Promise<void> {
    assertDatabricksId(jobId, "jobId");
    await this.http.post(
      `${BASE}/reset`,
      { json: { job_id: jobId, new_settings: newSettings }, retrySafe: true },
      options,
    );
  }

  /** Changes some settings of a job (`POST jobs/update`). Retried on transient failures (idempotent). */
  async update(jobId: number, options: UpdateJobOptions): Promise<void> {
    assertDatabricksId(jobId, "jobId");
    await this.http.post(
      `${BASE}/update`,
      {
        json: {
          job_id: jobId,
          ...(options.newSettings ? { new_settings: options.newSettings } : {}),
          ...(options.fieldsToRemove ? { fields_to_remove: options.fieldsToRemove } : {}),
        },
        retrySafe: true,
      },
      options,
    );
  }

  /** Fetches one page of a job (`GET jobs/get`); `jobs.get` merges all pages. */
  async getPage(jobId: number, pageToken?: string, options: CallOptions = {}): Promise<Job> {
    assertDatabricksId(jobId, "jobId");
    return this.http.get(
      `${BASE}/get`,
      { query: { job_id: jobId, page_token: pageToken }, schema: jobSchema },
      options,
    );
  }

  /**
   * Fetches a job with all its settings. In API 2.2 `jobs/get` returns at most 100 tasks, job
   * clusters, parameters and environments per page; this follows `next_page_token` and merges
   * them, so the result holds them all (and no `next_page_token`). Throws NotFoundError when the
   * job does not exist.
   */
  async get(jobId: number, options: CallOptions = {}): Promise<Job> {
    assertDatabricksId(jobId, "jobId");
    const call = startCall(options);
    const [first, ...rest] = await allPages((token) => this.getPage(jobId, token, call), call.signal);
    const settings: ApiJobSettings = { ...(first!.settings ?? {}) };
    for (const next of rest) {
      appendArrays(settings, next.settings ?? {}, ["tasks", "job_clusters", "parameters", "environments"]);
    }
    const { next_page_token: _ignored, ...job } = first!;
    return { ...job, settings };
  }

  /**
   * Lists jobs (`GET jobs/list`), following page tokens lazily. `name` filters by exact name.
   * `signal` also stops between pages; `deadlineMs` bounds the whole listing.
   */
  list(options: ListJobsOptions = {}): AsyncGenerator<Job, void, undefined> {
    assertPageSize(options.limit, "limit", 100);
    const call = startCall(options);
    return paginate(
      async (pageToken) => {
        const res = await this.http.get(
          `${BASE}/list`,
          {
            query: {
              name: options.name,
              expand_tasks: options.expandTasks,
              limit: options.limit ?? 100,
              page_token: pageToken,
            },
            schema: listJobsResponseSchema,
          },
          call,
        );
        return {
          items: res.jobs ?? [],
          nextPageToken: res.has_more === false ? undefined : res.next_page_token,
        };
      },
      { maxPages: MAX_PAGES, ...(options.signal ? { signal: options.signal } : {}) },
    );
  }

  /** Deletes a job (`POST jobs/delete`). Throws NotFoundError (or BadRequestError) when it does not exist. */
  async delete(jobId: number, options: CallOptions = {}): Promise<void> {
    assertDatabricksId(jobId, "jobId");
    await this.http.post(`${BASE}/delete`, { json: { job_id: jobId } }, options);
  }

  /**
   * Starts a run of a job (`POST jobs/run-now`) and returns its run id. With an idempotency token
   * the request is retried on transient failures: Databricks returns the same run for the same
   * token. Without one it is sent once.
   */
  async runNow(jobId: number, options: RunNowOptions = {}): Promise<RunNowResponse> {
    assertDatabricksId(jobId, "jobId");
    assertIdempotencyToken(options.idempotencyToken);
    return this.http.post(
      `${BASE}/run-now`,
      {
        json: {
          ...options.extra,
          job_id: jobId,
          ...(options.jobParameters ? { job_parameters: options.jobParameters } : {}),
          ...(options.only ? { only: options.only } : {}),
          ...(options.idempotencyToken ? { idempotency_token: options.idempotencyToken } : {}),
          ...(options.queue !== undefined ? { queue: { enabled: options.queue } } : {}),
          ...(options.performanceTarget ? { performance_target: options.performanceTarget } : {}),
        },
        retrySafe: options.idempotencyToken !== undefined && options.idempotencyToken !== "",
        schema: runNowResponseSchema,
      },
      options,
    );
  }
}
