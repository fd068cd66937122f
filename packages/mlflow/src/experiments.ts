import { NotFoundError } from "@modeltrail/core";
import { type HttpClient, startCall } from "@modeltrail/core/internal";
import { type CallOptions, MLFLOW_API, type PageOptions } from "./api-path.js";
import { pagedList } from "./paged-list.js";
import {
  createExperimentResponse,
  type Experiment,
  getExperimentResponse,
  searchExperimentsResponse,
} from "./schemas/tracking.js";
import { validateTags } from "./validation.js";

/** Options of `experiments.create`. */
export interface CreateExperimentOptions extends CallOptions {
  /** Where the experiment's run artifacts go (default: the server's choice). */
  artifactLocation?: string | undefined;
  /** Experiment tags. */
  tags?: Record<string, string> | undefined;
}

/** Options of `experiments.search`. */
export interface SearchExperimentsOptions extends PageOptions {
  /** MLflow filter, e.g. `name LIKE 'team-%'` or `tags.owner = 'ml'`. */
  filter?: string | undefined;
  /** Sort keys, e.g. `["last_update_time DESC"]`. */
  orderBy?: string[] | undefined;
  /** ACTIVE_ONLY (default), DELETED_ONLY or ALL. */
  viewType?: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL" | undefined;
}

/** Experiments of the tracking server (`/mlflow/experiments/*`). */
export class Experiments {
  constructor(private readonly http: HttpClient) {}

  /** Gets an experiment by id. Throws NotFoundError when it does not exist. */
  async get(experimentId: string, options: CallOptions = {}): Promise<Experiment> {
    const res = await this.http.get(
      `${MLFLOW_API}/experiments/get`,
      { query: { experiment_id: experimentId }, schema: getExperimentResponse },
      options,
    );
    return res.experiment;
  }

  /** Gets an experiment by name. Throws NotFoundError when it does not exist. */
  async getByName(name: string, options: CallOptions = {}): Promise<Experiment> {
    const res = await this.http.get(
      `${MLFLOW_API}/experiments/get-by-name`,
      { query: { experiment_name: name }, schema: getExperimentResponse },
      options,
    );
    return res.experiment;
  }

  /** Gets an experiment by name, or undefined when there is none. */
  async findByName(name: string, options: CallOptions = {}): Promise<Experiment | undefined> {
    try {
      return await this.getByName(name, options);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Creates an experiment and returns its id. Not retried automatically (a create is not
   * idempotent); use `getOrCreate` for that. Throws ValidationError for invalid tags (nothing is
   * sent), ConflictError when the name is taken.
   */
  async create(name: string, options: CreateExperimentOptions = {}): Promise<string> {
    const tags = validateTags(options.tags, "experiment");
    const res = await this.http.post(
      `${MLFLOW_API}/experiments/create`,
      {
        json: {
          name,
          ...(options.artifactLocation ? { artifact_location: options.artifactLocation } : {}),
          ...(tags.length > 0 ? { tags } : {}),
        },
        schema: createExperimentResponse,
      },
      options,
    );
    return res.experiment_id;
  }

  /**
   * Returns the id of the experiment with this name, creating it when missing. Safe to retry and
   * to race with other creators: a conflict or a lost create response is resolved by looking the
   * name up again.
   */
  async getOrCreate(name: string, options: CreateExperimentOptions = {}): Promise<string> {
    validateTags(options.tags, "experiment");
    const call = startCall(options);
    const existing = await this.findByName(name, call);
    if (existing) return existing.experiment_id;
    try {
      return await this.create(name, { ...options, ...call });
    } catch (err) {
      // a concurrent creator (ConflictError) or a lost response may have created it
      const again = await this.findByName(name, call).catch(() => undefined);
      if (again) return again.experiment_id;
      throw err;
    }
  }

  /** Iterates over the experiments matching a filter, page by page. */
  search(options: SearchExperimentsOptions = {}): AsyncGenerator<Experiment, void, undefined> {
    return pagedList(
      this.http,
      {
        method: "POST",
        path: `${MLFLOW_API}/experiments/search`,
        params: {
          max_results: options.pageSize ?? 1000,
          filter: options.filter || undefined,
          order_by: options.orderBy?.length ? options.orderBy : undefined,
          view_type: options.viewType || undefined,
        },
        schema: searchExperimentsResponse,
        items: (page) => page.experiments,
      },
      options,
    );
  }

  /** Marks an experiment deleted. */
  async delete(experimentId: string, options: CallOptions = {}): Promise<void> {
    await this.http.post(
      `${MLFLOW_API}/experiments/delete`,
      { json: { experiment_id: experimentId }, retrySafe: true },
      options,
    );
  }
}
