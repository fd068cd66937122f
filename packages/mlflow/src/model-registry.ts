import { BadRequestError, NotFoundError } from "@modeltrail/core";
import type { HttpClient } from "@modeltrail/core/internal";
import { type CallOptions, MLFLOW_API, type PageOptions } from "./api-path.js";
import { pagedList } from "./paged-list.js";
import { recordToTags } from "./schemas/common.js";
import {
  latestVersionsResponse,
  type ModelVersion,
  modelVersionResponse,
  type RegisteredModel,
  registeredModelResponse,
  searchRegisteredModelsResponse,
} from "./schemas/registry.js";
import { validateTags } from "./validation.js";

/** Options of `registeredModels.create`. */
export interface CreateRegisteredModelOptions extends CallOptions {
  description?: string | undefined;
  tags?: Record<string, string> | undefined;
}

/** Options of `registeredModels.search`. */
export interface SearchRegisteredModelsOptions extends PageOptions {
  /** MLflow filter, e.g. `name LIKE 'fraud-%'` or `tags.team = 'risk'`. */
  filter?: string | undefined;
  /** Sort keys, e.g. `["name ASC"]`. */
  orderBy?: string[] | undefined;
}

/**
 * Validates the tags of a registered model or model version with the rules MLflow applies to every
 * tag (see `validateTags`: key characters, normalized path, ≤ 250 characters; string values ≤ 100 000
 * characters). Throws ValidationError listing every bad tag; nothing is sent.
 */
export function validateRegistryTags(
  tags: Record<string, string> | undefined,
  subject: "registered model" | "model version",
): void {
  validateTags(tags, subject);
}

/** Registered models of the model registry (`/mlflow/registered-models/*`), aliases included. */
export class RegisteredModels {
  constructor(private readonly http: HttpClient) {}

  /** Creates a registered model. Throws ConflictError when the name exists (MLflow sends it as HTTP 400). */
  async create(name: string, options: CreateRegisteredModelOptions = {}): Promise<RegisteredModel> {
    validateRegistryTags(options.tags, "registered model");
    const res = await this.http.post(
      `${MLFLOW_API}/registered-models/create`,
      {
        json: {
          name,
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.tags ? { tags: recordToTags(options.tags) } : {}),
        },
        schema: registeredModelResponse,
      },
      options,
    );
    return res.registered_model;
  }

  /** Gets a registered model (with its latest versions per stage and aliases). Throws NotFoundError. */
  async get(name: string, options: CallOptions = {}): Promise<RegisteredModel> {
    const res = await this.http.get(
      `${MLFLOW_API}/registered-models/get`,
      { query: { name }, schema: registeredModelResponse },
      options,
    );
    return res.registered_model;
  }

  /** Updates the description of a registered model. */
  async updateDescription(
    name: string,
    description: string,
    options: CallOptions = {},
  ): Promise<RegisteredModel> {
    const res = await this.http.patch(
      `${MLFLOW_API}/registered-models/update`,
      { json: { name, description }, retrySafe: true, schema: registeredModelResponse },
      options,
    );
    return res.registered_model;
  }

  /** Deletes a registered model and all its versions. Throws NotFoundError when it does not exist. */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.http.delete(`${MLFLOW_API}/registered-models/delete`, { json: { name } }, options);
  }

  /** Iterates over the registered models matching a filter, page by page. */
  search(options: SearchRegisteredModelsOptions = {}): AsyncGenerator<RegisteredModel, void, undefined> {
    return pagedList(
      this.http,
      {
        method: "GET",
        path: `${MLFLOW_API}/registered-models/search`,
        params: { filter: options.filter, max_results: options.pageSize ?? 1000, order_by: options.orderBy },
        schema: searchRegisteredModelsResponse,
        items: (page) => page.registered_models,
      },
      options,
    );
  }

  /** Sets a tag on a registered model. */
  async setTag(name: string, key: string, value: string, options: CallOptions = {}): Promise<void> {
    validateTags([{ key, value }], "registered model");
    await this.http.post(
      `${MLFLOW_API}/registered-models/set-tag`,
      { json: { name, key, value }, retrySafe: true },
      options,
    );
  }

  /** Deletes a tag of a registered model. */
  async deleteTag(name: string, key: string, options: CallOptions = {}): Promise<void> {
    await this.http.delete(`${MLFLOW_API}/registered-models/delete-tag`, { json: { name, key } }, options);
  }

  /** Points an alias (`champion`, `prod`...) at a version, moving it if it pointed elsewhere. */
  async setAlias(name: string, alias: string, version: string, options: CallOptions = {}): Promise<void> {
    await this.http.post(
      `${MLFLOW_API}/registered-models/alias`,
      { json: { name, alias, version }, retrySafe: true },
      options,
    );
  }

  /**
   * Gets the version an alias points at. Throws NotFoundError when the model or the alias does not
   * exist (MLflow reports a missing alias as INVALID_PARAMETER_VALUE; it is mapped to not-found).
   */
  async getVersionByAlias(name: string, alias: string, options: CallOptions = {}): Promise<ModelVersion> {
    try {
      const res = await this.http.get(
        `${MLFLOW_API}/registered-models/alias`,
        { query: { name, alias }, schema: modelVersionResponse },
        options,
      );
      return res.model_version;
    } catch (err) {
      if (err instanceof BadRequestError && /alias .* not found/i.test(err.serviceMessage ?? "")) {
        throw new NotFoundError({
          service: err.service,
          status: err.status,
          method: err.method,
          url: err.url,
          serviceCode: err.serviceCode,
          serviceMessage: err.serviceMessage,
          requestId: err.requestId,
          hint: `Set the alias with setAlias("${name}", "${alias}", version) or use another alias`,
          cause: err,
        });
      }
      throw err;
    }
  }

  /** Deletes an alias. */
  async deleteAlias(name: string, alias: string, options: CallOptions = {}): Promise<void> {
    await this.http.delete(`${MLFLOW_API}/registered-models/alias`, { json: { name, alias } }, options);
  }

  /**
   * The latest version in each stage (or only in the given stages: `None`, `Staging`, `Production`,
   * `Archived`). For users of the deprecated stage workflow; prefer aliases.
   */
  async getLatestVersions(
    name: string,
    stages?: string[],
    options: CallOptions = {},
  ): Promise<ModelVersion[]> {
    const res = await this.http.get(
      `${MLFLOW_API}/registered-models/get-latest-versions`,
      { query: { name, stages }, schema: latestVersionsResponse },
      options,
    );
    return res.model_versions;
  }
}
