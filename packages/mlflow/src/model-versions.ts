import type { HttpClient } from "@modeltrail/core/internal";
import { type CallOptions, filterLiteral, MLFLOW_API, type PageOptions } from "./api-path.js";
import { validateRegistryTags } from "./model-registry.js";
import { pagedList } from "./paged-list.js";
import { recordToTags } from "./schemas/common.js";
import {
  downloadUriResponse,
  type ModelVersion,
  modelVersionResponse,
  searchModelVersionsResponse,
} from "./schemas/registry.js";
import { validateTags } from "./validation.js";

/** Options of `modelVersions.create`. */
export interface CreateModelVersionOptions extends CallOptions {
  /** Registered model name. */
  name: string;
  /** Where the model's files are: a concrete artifact URI (`mlflow-artifacts:/1/<run>/artifacts/model`). */
  source: string;
  /** The run that produced the model. */
  runId?: string | undefined;
  /** Model version tags. */
  tags?: Record<string, string> | undefined;
  /** Link to the run in a tracking UI. */
  runLink?: string | undefined;
  description?: string | undefined;
  /** MLflow 3 logged model id, if any. */
  modelId?: string | undefined;
}

/** Options of `modelVersions.search`. */
export interface SearchModelVersionsOptions extends PageOptions {
  /** MLflow filter: `name = 'm'`, `run_id = '...'`, `tags.GIT_SHA = '...'`, `source_path = '...'`. */
  filter?: string | undefined;
  /** Sort keys, e.g. `["version_number DESC"]`. */
  orderBy?: string[] | undefined;
}

/** Model versions of the model registry (`/mlflow/model-versions/*`). */
export class ModelVersions {
  constructor(private readonly http: HttpClient) {}

  /**
   * Creates a model version. Not retried automatically: a create is not idempotent. Use
   * `client.registerModel` for an idempotent, traceable registration.
   */
  async create(options: CreateModelVersionOptions): Promise<ModelVersion> {
    validateRegistryTags(options.tags, "model version");
    const res = await this.http.post(
      `${MLFLOW_API}/model-versions/create`,
      {
        json: {
          name: options.name,
          source: options.source,
          ...(options.runId ? { run_id: options.runId } : {}),
          ...(options.tags ? { tags: recordToTags(options.tags) } : {}),
          ...(options.runLink ? { run_link: options.runLink } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.modelId ? { model_id: options.modelId } : {}),
        },
        schema: modelVersionResponse,
      },
      options,
    );
    return res.model_version;
  }

  /** Gets a model version. Throws NotFoundError. */
  async get(name: string, version: string | number, options: CallOptions = {}): Promise<ModelVersion> {
    const res = await this.http.get(
      `${MLFLOW_API}/model-versions/get`,
      { query: { name, version: String(version) }, schema: modelVersionResponse },
      options,
    );
    return res.model_version;
  }

  /** Iterates over the model versions matching a filter, page by page. */
  search(options: SearchModelVersionsOptions = {}): AsyncGenerator<ModelVersion, void, undefined> {
    return pagedList(
      this.http,
      {
        method: "GET",
        path: `${MLFLOW_API}/model-versions/search`,
        params: { filter: options.filter, max_results: options.pageSize ?? 1000, order_by: options.orderBy },
        schema: searchModelVersionsResponse,
        items: (page) => page.model_versions,
      },
      options,
    );
  }

  /** Iterates over the versions of one registered model. */
  listForModel(name: string, options: PageOptions = {}): AsyncGenerator<ModelVersion, void, undefined> {
    return this.search({ ...options, filter: `name = ${filterLiteral(name)}` });
  }

  /** Updates the description of a model version. */
  async updateDescription(
    name: string,
    version: string | number,
    description: string,
    options: CallOptions = {},
  ): Promise<ModelVersion> {
    const res = await this.http.patch(
      `${MLFLOW_API}/model-versions/update`,
      {
        json: { name, version: String(version), description },
        retrySafe: true,
        schema: modelVersionResponse,
      },
      options,
    );
    return res.model_version;
  }

  /** Sets a tag on a model version. */
  async setTag(
    name: string,
    version: string | number,
    key: string,
    value: string,
    options: CallOptions = {},
  ): Promise<void> {
    validateTags([{ key, value }], "model version");
    await this.http.post(
      `${MLFLOW_API}/model-versions/set-tag`,
      { json: { name, version: String(version), key, value }, retrySafe: true },
      options,
    );
  }

  /** Deletes a tag of a model version. */
  async deleteTag(
    name: string,
    version: string | number,
    key: string,
    options: CallOptions = {},
  ): Promise<void> {
    await this.http.delete(
      `${MLFLOW_API}/model-versions/delete-tag`,
      { json: { name, version: String(version), key } },
      options,
    );
  }

  /** Deletes a model version. */
  async delete(name: string, version: string | number, options: CallOptions = {}): Promise<void> {
    await this.http.delete(
      `${MLFLOW_API}/model-versions/delete`,
      { json: { name, version: String(version) } },
      options,
    );
  }

  /**
   * Moves a version to a stage (`None`, `Staging`, `Production`, `Archived`), optionally archiving
   * the versions that were in it. For users of MLflow's deprecated stage workflow; prefer aliases.
   */
  async transitionStage(
    name: string,
    version: string | number,
    stage: string,
    options: CallOptions & { archiveExistingVersions?: boolean } = {},
  ): Promise<ModelVersion> {
    const res = await this.http.post(
      `${MLFLOW_API}/model-versions/transition-stage`,
      {
        json: {
          name,
          version: String(version),
          stage,
          archive_existing_versions: options.archiveExistingVersions ?? false,
        },
        retrySafe: true,
        schema: modelVersionResponse,
      },
      options,
    );
    return res.model_version;
  }

  /** The concrete URI of a model version's files (e.g. `mlflow-artifacts:/1/<run>/artifacts/model`). */
  async getDownloadUri(name: string, version: string | number, options: CallOptions = {}): Promise<string> {
    const res = await this.http.get(
      `${MLFLOW_API}/model-versions/get-download-uri`,
      { query: { name, version: String(version) }, schema: downloadUriResponse },
      options,
    );
    return res.artifact_uri;
  }
}
