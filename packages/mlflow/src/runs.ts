import type { HttpClient } from "@modeltrail/core/internal";
import { type CallOptions, MLFLOW_API, type PageOptions } from "./api-path.js";
import { type LogBatchInput, type LogBatchOptions, logBatch } from "./log-batch.js";
import { type DatasetInputSpec, logInputs } from "./log-inputs.js";
import { pagedList } from "./paged-list.js";
import {
  type Metric,
  metricHistoryResponse,
  type Run,
  type RunInfo,
  runResponse,
  searchRunsResponse,
  updateRunResponse,
} from "./schemas/tracking.js";
import { validateTags } from "./validation.js";

/** Terminal and non-terminal run states. */
export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

/** Options of `runs.create`. */
export interface CreateRunOptions extends CallOptions {
  /** Experiment id (default `"0"`, the Default experiment). */
  experimentId?: string | undefined;
  /** Display name. */
  runName?: string | undefined;
  /** Start time in ms (default: now). */
  startTime?: number | undefined;
  /** Initial tags. */
  tags?: Record<string, string> | undefined;
  /** User id recorded on the run. */
  userId?: string | undefined;
}

/** Options of `runs.update`. */
export interface UpdateRunOptions extends CallOptions {
  status?: RunStatus | undefined;
  /** End time in ms (default: now when `status` is terminal). */
  endTime?: number | undefined;
  runName?: string | undefined;
}

/** Options of `runs.search`. */
export interface SearchRunsOptions extends PageOptions {
  /** Experiments to search (required by MLflow). */
  experimentIds: string[];
  /** MLflow filter, e.g. `tags.GIT_SHA = 'abc' and metrics.rmse < 1`. */
  filter?: string | undefined;
  /** Sort keys, e.g. `["attributes.start_time DESC"]`. */
  orderBy?: string[] | undefined;
  /** ACTIVE_ONLY (default), DELETED_ONLY or ALL. */
  viewType?: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL" | undefined;
}

/** Runs of the tracking server (`/mlflow/runs/*`, metric history). */
export class Runs {
  constructor(private readonly http: HttpClient) {}

  /** Creates a run. Not retried automatically (each call makes a new run). */
  async create(options: CreateRunOptions = {}): Promise<Run> {
    const tags = validateTags(options.tags, "run");
    const res = await this.http.post(
      `${MLFLOW_API}/runs/create`,
      {
        json: {
          experiment_id: options.experimentId ?? "0",
          start_time: options.startTime ?? Date.now(),
          ...(options.runName ? { run_name: options.runName } : {}),
          ...(options.userId ? { user_id: options.userId } : {}),
          ...(tags.length > 0 ? { tags } : {}),
        },
        schema: runResponse,
      },
      options,
    );
    return res.run;
  }

  /** Gets a run with its metrics (latest values), params, tags and inputs. Throws NotFoundError. */
  async get(runId: string, options: CallOptions = {}): Promise<Run> {
    const res = await this.http.get(
      `${MLFLOW_API}/runs/get`,
      { query: { run_id: runId }, schema: runResponse },
      options,
    );
    return res.run;
  }

  /** Updates a run's status, end time or name and returns the new info. */
  async update(runId: string, options: UpdateRunOptions): Promise<RunInfo | undefined> {
    const terminal =
      options.status === "FINISHED" || options.status === "FAILED" || options.status === "KILLED";
    const endTime = options.endTime ?? (terminal ? Date.now() : undefined);
    const res = await this.http.post(
      `${MLFLOW_API}/runs/update`,
      {
        json: {
          run_id: runId,
          ...(options.status ? { status: options.status } : {}),
          ...(endTime !== undefined ? { end_time: endTime } : {}),
          ...(options.runName ? { run_name: options.runName } : {}),
        },
        retrySafe: true,
        schema: updateRunResponse,
      },
      options,
    );
    return res.run_info;
  }

  /** Marks a run deleted. */
  async delete(runId: string, options: CallOptions = {}): Promise<void> {
    await this.http.post(`${MLFLOW_API}/runs/delete`, { json: { run_id: runId }, retrySafe: true }, options);
  }

  /** Iterates over the runs matching a filter, in the requested order, page by page. */
  search(options: SearchRunsOptions): AsyncGenerator<Run, void, undefined> {
    return pagedList(
      this.http,
      {
        method: "POST",
        path: `${MLFLOW_API}/runs/search`,
        params: {
          experiment_ids: options.experimentIds,
          max_results: options.pageSize ?? 1000,
          filter: options.filter || undefined,
          order_by: options.orderBy?.length ? options.orderBy : undefined,
          run_view_type: options.viewType || undefined,
        },
        schema: searchRunsResponse,
        items: (page) => page.runs,
      },
      options,
    );
  }

  /** Sets a run tag (validated first: ValidationError, nothing sent). */
  async setTag(runId: string, key: string, value: string, options: CallOptions = {}): Promise<void> {
    validateTags([{ key, value }], "run");
    await this.http.post(
      `${MLFLOW_API}/runs/set-tag`,
      { json: { run_id: runId, key, value }, retrySafe: true },
      options,
    );
  }

  /** Deletes a run tag. Throws NotFoundError when the tag does not exist. */
  async deleteTag(runId: string, key: string, options: CallOptions = {}): Promise<void> {
    await this.http.post(
      `${MLFLOW_API}/runs/delete-tag`,
      { json: { run_id: runId, key }, retrySafe: true },
      options,
    );
  }

  /** Logs metrics, params and tags, split to the server's limits; see `logBatch`. */
  logBatch(
    runId: string,
    input: LogBatchInput,
    options: LogBatchOptions = {},
  ): Promise<{ requests: number }> {
    return logBatch(this.http, runId, input, options);
  }

  /** Records datasets the run used; see `logInputs`. */
  logInputs(
    runId: string,
    datasets: ReadonlyArray<DatasetInputSpec>,
    options: CallOptions = {},
  ): Promise<void> {
    return logInputs(this.http, runId, datasets, options);
  }

  /** Iterates over every logged value of one metric of a run. */
  metricHistory(
    runId: string,
    metricKey: string,
    options: PageOptions = {},
  ): AsyncGenerator<Metric, void, undefined> {
    return pagedList(
      this.http,
      {
        method: "GET",
        path: `${MLFLOW_API}/metrics/get-history`,
        params: { run_id: runId, metric_key: metricKey, max_results: options.pageSize },
        schema: metricHistoryResponse,
        items: (page) => page.metrics,
      },
      options,
    );
  }
}
