import { BadRequestError, type CallOptions, NotFoundError } from "@modeltrail/core";
import type { HttpClient } from "@modeltrail/core/internal";
import { filterLiteral, MLFLOW_API, type PageOptions } from "../api-path.js";
import { pagedList } from "../paged-list.js";
import { recordToTags } from "../schemas/common.js";
import { downloadUriResponse, type ModelVersion, type RegisteredModel } from "../schemas/registry.js";
import { noStagesInUnityCatalog, splitUcModelName, toUcTagKeys, validateUcTags } from "./uc-rules.js";
import {
  type UcModelVersion,
  type UcTemporaryCredentials,
  ucModelVersionResponse,
  ucRegisteredModelResponse,
  ucSearchModelVersionsResponse,
  ucSearchRegisteredModelsResponse,
  ucTemporaryCredentialsResponse,
} from "./uc-schemas.js";

/** The route of MLflow's Unity Catalog registry API on a Databricks workspace. */
export const UC_API = `${MLFLOW_API}/unity-catalog`;

/** Access a temporary credential grants to a model version's storage location. */
export type UcOperation = "MODEL_VERSION_OPERATION_READ" | "MODEL_VERSION_OPERATION_READ_WRITE";

/** Options of `UnityCatalogRegistry.createModelVersion`. */
export interface CreateUcModelVersionOptions extends CallOptions {
  name: string;
  /** Where the model's files are now (a run's artifact location); UC copies them into its own storage. */
  source: string;
  runId?: string | undefined;
  description?: string | undefined;
  /** Tags, checked against Unity Catalog's rules before sending. */
  tags?: Record<string, string> | undefined;
  modelId?: string | undefined;
}

/**
 * MLflow's Unity Catalog model registry on a Databricks workspace
 * (`/api/2.0/mlflow/unity-catalog/...`, databricks_uc_registry_service.proto): registered models and
 * model versions with three-level names `catalog.schema.model`, tags checked against UC's rules,
 * aliases, temporary credentials of a version's storage location and finalize. UC has no stages:
 * the stage methods throw ValidationError saying to use aliases. Every method throws ValidationError
 * for a name that is not three-level, and the transport's ApiError subclasses.
 */
export class UnityCatalogRegistry {
  constructor(private readonly http: HttpClient) {}

  /** Creates a registered model. Throws ConflictError when it exists. */
  async createRegisteredModel(
    name: string,
    options: CallOptions & { description?: string; tags?: Record<string, string> } = {},
  ): Promise<RegisteredModel> {
    splitUcModelName(name);
    validateUcTags(options.tags, "registered model");
    const { description, tags } = options;
    const res = await this.http.post(
      `${UC_API}/registered-models/create`,
      {
        json: {
          name,
          ...(description !== undefined ? { description } : {}),
          ...(tags ? { tags: recordToTags(tags) } : {}),
        },
        schema: ucRegisteredModelResponse,
      },
      options,
    );
    return res.registered_model;
  }

  /** Gets a registered model (with its aliases). Throws NotFoundError. */
  async getRegisteredModel(name: string, options: CallOptions = {}): Promise<RegisteredModel> {
    splitUcModelName(name);
    const res = await this.http.get(
      `${UC_API}/registered-models/get`,
      { query: { name }, schema: ucRegisteredModelResponse },
      options,
    );
    return res.registered_model;
  }

  /** Deletes a registered model (UC refuses while it has versions). */
  async deleteRegisteredModel(name: string, options: CallOptions = {}): Promise<void> {
    splitUcModelName(name);
    await this.http.delete(`${UC_API}/registered-models/delete`, { json: { name } }, options);
  }

  /** Iterates over the registered models the caller can see (UC search takes no filter). */
  searchRegisteredModels(options: PageOptions = {}): AsyncGenerator<RegisteredModel, void, undefined> {
    return pagedList(
      this.http,
      {
        method: "GET",
        path: `${UC_API}/registered-models/search`,
        params: { max_results: options.pageSize ?? 1000 },
        schema: ucSearchRegisteredModelsResponse,
        items: (page) => page.registered_models,
      },
      options,
    );
  }

  /** Sets a tag on a registered model (checked against UC's rules first). */
  async setRegisteredModelTag(
    name: string,
    key: string,
    value: string,
    options: CallOptions = {},
  ): Promise<void> {
    splitUcModelName(name);
    validateUcTags({ [key]: value }, "registered model");
    await this.http.post(
      `${UC_API}/registered-models/set-tag`,
      { json: { name, key, value }, retrySafe: true },
      options,
    );
  }

  /** Deletes a tag of a registered model. */
  async deleteRegisteredModelTag(name: string, key: string, options: CallOptions = {}): Promise<void> {
    splitUcModelName(name);
    await this.http.delete(`${UC_API}/registered-models/delete-tag`, { json: { name, key } }, options);
  }

  /** Points an alias at a version. */
  async setAlias(
    name: string,
    alias: string,
    version: string | number,
    options: CallOptions = {},
  ): Promise<void> {
    splitUcModelName(name);
    await this.http.post(
      `${UC_API}/registered-models/alias`,
      { json: { name, alias, version: String(version) }, retrySafe: true },
      options,
    );
  }

  /** Deletes an alias. */
  async deleteAlias(name: string, alias: string, options: CallOptions = {}): Promise<void> {
    splitUcModelName(name);
    await this.http.delete(`${UC_API}/registered-models/alias`, { json: { name, alias } }, options);
  }

  /** The version an alias points at. Throws NotFoundError when the model or alias does not exist. */
  async getVersionByAlias(name: string, alias: string, options: CallOptions = {}): Promise<UcModelVersion> {
    splitUcModelName(name);
    try {
      const res = await this.http.get(
        `${UC_API}/registered-models/alias`,
        { query: { name, alias }, schema: ucModelVersionResponse },
        options,
      );
      return res.model_version;
    } catch (err) {
      if (err instanceof BadRequestError && /alias/i.test(err.serviceMessage ?? "")) {
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

  /**
   * Creates a model version in PENDING_REGISTRATION with the storage location UC assigns; its files
   * are uploaded there next and the version finalized (see `registerModel`). Not retried: a create
   * is not idempotent. Tags are checked against UC's rules first.
   */
  async createModelVersion(options: CreateUcModelVersionOptions): Promise<UcModelVersion> {
    splitUcModelName(options.name);
    validateUcTags(options.tags, "model version");
    const { name, source, runId, description, tags, modelId } = options;
    const res = await this.http.post(
      `${UC_API}/model-versions/create`,
      {
        json: {
          name,
          source,
          ...(runId ? { run_id: runId } : {}),
          ...(description !== undefined ? { description } : {}),
          ...(tags ? { tags: recordToTags(tags) } : {}),
          ...(modelId ? { model_id: modelId } : {}),
        },
        schema: ucModelVersionResponse,
      },
      options,
    );
    return res.model_version;
  }

  /** Marks a version's upload done: PENDING_REGISTRATION becomes READY. */
  async finalizeModelVersion(
    name: string,
    version: string | number,
    options: CallOptions = {},
  ): Promise<UcModelVersion> {
    splitUcModelName(name);
    const res = await this.http.post(
      `${UC_API}/model-versions/finalize`,
      { json: { name, version: String(version) }, retrySafe: true, schema: ucModelVersionResponse },
      options,
    );
    return res.model_version;
  }

  /**
   * Temporary credentials of a version's storage location: an Azure user-delegation SAS, AWS
   * temporary credentials or a GCP OAuth token (secrets: never logged), with their expiry.
   */
  async temporaryCredentials(
    name: string,
    version: string | number,
    operation: UcOperation,
    options: CallOptions = {},
  ): Promise<UcTemporaryCredentials> {
    splitUcModelName(name);
    const res = await this.http.post(
      `${UC_API}/model-versions/generate-temporary-credentials`,
      {
        json: { name, version: String(version), operation },
        retrySafe: true,
        schema: ucTemporaryCredentialsResponse,
      },
      options,
    );
    return res.credentials;
  }

  /** Gets a model version. Throws NotFoundError. */
  async getModelVersion(
    name: string,
    version: string | number,
    options: CallOptions = {},
  ): Promise<UcModelVersion> {
    splitUcModelName(name);
    const res = await this.http.get(
      `${UC_API}/model-versions/get`,
      { query: { name, version: String(version) }, schema: ucModelVersionResponse },
      options,
    );
    return res.model_version;
  }

  /** Deletes a model version. */
  async deleteModelVersion(name: string, version: string | number, options: CallOptions = {}): Promise<void> {
    splitUcModelName(name);
    await this.http.delete(
      `${UC_API}/model-versions/delete`,
      { json: { name, version: String(version) } },
      options,
    );
  }

  /**
   * Iterates over model versions. UC accepts one condition: `name = '<catalog.schema.model>'` or
   * `run_id = '<id>'`; its answers carry no tags or aliases (read a version with getModelVersion).
   */
  searchModelVersions(
    options: PageOptions & { filter?: string } = {},
  ): AsyncGenerator<ModelVersion, void, undefined> {
    return pagedList(
      this.http,
      {
        method: "GET",
        path: `${UC_API}/model-versions/search`,
        params: { filter: options.filter, max_results: options.pageSize ?? 1000 },
        schema: ucSearchModelVersionsResponse,
        items: (page) => page.model_versions,
      },
      options,
    );
  }

  /** The versions of one registered model. */
  listModelVersions(name: string, options: PageOptions = {}): AsyncGenerator<ModelVersion, void, undefined> {
    splitUcModelName(name);
    return this.searchModelVersions({ ...options, filter: `name = ${filterLiteral(name)}` });
  }

  /** Sets a tag on a model version (checked against UC's rules first). */
  async setModelVersionTag(
    name: string,
    version: string | number,
    key: string,
    value: string,
    options: CallOptions = {},
  ): Promise<void> {
    splitUcModelName(name);
    validateUcTags({ [key]: value }, "model version");
    await this.http.post(
      `${UC_API}/model-versions/set-tag`,
      { json: { name, version: String(version), key, value }, retrySafe: true },
      options,
    );
  }

  /** Deletes a tag of a model version. */
  async deleteModelVersionTag(
    name: string,
    version: string | number,
    key: string,
    options: CallOptions = {},
  ): Promise<void> {
    splitUcModelName(name);
    await this.http.delete(
      `${UC_API}/model-versions/delete-tag`,
      { json: { name, version: String(version), key } },
      options,
    );
  }

  /** Where a version's files are (its storage location, `model-versions/get-download-uri`). */
  async getDownloadUri(name: string, version: string | number, options: CallOptions = {}): Promise<string> {
    splitUcModelName(name);
    const res = await this.http.get(
      `${UC_API}/model-versions/get-download-uri`,
      { query: { name, version: String(version) }, schema: downloadUriResponse },
      options,
    );
    return res.artifact_uri;
  }

  /** UC has no stages. Always throws ValidationError saying to use aliases. */
  transitionStage(_name: string, _version: string | number, stage: string): never {
    return noStagesInUnityCatalog(`Cannot move a version to stage "${stage}"`);
  }

  /** UC has no stages (nor "latest" by stage). Always throws ValidationError saying to use aliases. */
  getLatestVersions(name: string, stages?: string[]): never {
    return noStagesInUnityCatalog(
      `Cannot read the latest versions of "${name}"${stages?.length ? ` in stages ${stages.join(", ")}` : ""}`,
    );
  }

  /** Re-keys trace tags for UC (see `ucTagKey`). */
  static ucTags(tags: Record<string, string>): Record<string, string> {
    return toUcTagKeys(tags);
  }
}
