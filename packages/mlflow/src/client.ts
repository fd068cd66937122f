import { ConfigError, type DebugLogger, type RetryOptions, type TraceContext } from "@modeltrail/core";
import { HttpClient, type HttpClientOptions, startCall } from "@modeltrail/core/internal";
import type { Dispatcher } from "undici";
import type { CallOptions } from "./api-path.js";
import { MlflowArtifacts, type MlflowArtifactsOptions } from "./artifacts/artifacts-client.js";
import type { ArtifactFileInfo, ArtifactRef, DownloadOptions, DownloadResult } from "./artifacts/types.js";
import type { MlflowClientParts } from "./client-parts.js";
import {
  type MlflowConnectionOptions,
  type ResolvedMlflowConnection,
  resolveHttpConnection,
  resolveMlflowConnection,
} from "./config.js";
import { DatabricksArtifacts, type DatabricksArtifactsOptions } from "./databricks/databricks-artifacts.js";
import { mapMlflowError } from "./errors.js";
import { Experiments } from "./experiments.js";
import { RegisteredModels } from "./model-registry.js";
import { ModelVersions } from "./model-versions.js";
import { Runs } from "./runs.js";
import type { ModelVersion } from "./schemas/registry.js";
import {
  type FindModelVersionsOptions,
  findModelVersions,
  type ModelVersionQuery,
  type RegisterModelOptions,
  type RegisterModelResult,
  registerModel,
  type TraceCodecOptions,
  tagRun,
  traceOfModelVersion,
} from "./traceability.js";
import { UnityCatalogRegistry } from "./unity-catalog/uc-registry.js";
import { parseUcRegistryUri } from "./unity-catalog/uc-registry-uri.js";
import { resolveUcModelUri } from "./unity-catalog/uc-resolve-uri.js";
import { noStagesInUnityCatalog } from "./unity-catalog/uc-rules.js";
import type { UcModelVersion } from "./unity-catalog/uc-schemas.js";
import type { UcStorageOptions } from "./unity-catalog/uc-storage.js";
import {
  downloadUcModelVersion,
  findUcModelVersions,
  listUcModelVersionFiles,
  registerUcModel,
  type UcContext,
  ucTraceOfModelVersion,
} from "./unity-catalog/uc-traceability.js";
import { parseMlflowUri, type ResolvedArtifactLocation, resolveArtifactLocation } from "./uris.js";

/** Options of `MlflowClient`: connection settings (else `MLFLOW_*` env vars) and transport tuning. */
export interface MlflowClientOptions extends MlflowConnectionOptions {
  /** Timeout of one HTTP attempt in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /**
   * Largest response body read into memory (JSON answers such as listings) in bytes (default
   * 64 MiB); a larger one fails with ResponseTooLargeError. Per call: `maxResponseBytes` in the
   * call options.
   */
  maxResponseBytes?: number | undefined;
  /** Retry policy overrides (idempotent requests only). */
  retry?: Partial<RetryOptions> | undefined;
  /** undici dispatcher (proxies, tests). */
  dispatcher?: Dispatcher | undefined;
  /** Receives redacted debug events of every request. */
  logger?: DebugLogger | undefined;
  /** Product token appended to the user agent. */
  userAgent?: string | undefined;
  /** Extra headers sent with every request. */
  headers?: Record<string, string> | undefined;
  /**
   * Artifact transfer settings (concurrency, attempts, progress interval); on Databricks also the
   * cloud-storage transport and the renewal of signed URIs.
   */
  artifacts?:
    | (MlflowArtifactsOptions & Pick<DatabricksArtifactsOptions, "storage" | "credentials">)
    | undefined;
  /** Test hook: replaces the wait between retries. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /**
   * Delay in ms before re-creating a model version after a lost response, once the lookup found
   * nothing (default 500). Tests set it to 0.
   */
  registerRetryDelayMs?: number | undefined;
  /**
   * Model registry (`MLFLOW_REGISTRY_URI`): the tracking server's own (default), or Unity Catalog
   * with `databricks-uc` / `databricks-uc://PROFILE` on a Databricks workspace.
   */
  registryUri?: string | undefined;
  /** Where Unity Catalog's model storage is reached (private endpoints, emulators). */
  unityCatalogStorage?: UcStorageOptions | undefined;
}

/**
 * A client of an MLflow tracking server (or a Databricks workspace's MLflow): experiments, runs,
 * the model registry and artifacts, over one connection pool. Create it with `MlflowClient.fromEnv()`
 * (any tracking URI) or `new MlflowClient()` (http/https URIs). Close it with `close()`.
 */
export class MlflowClient implements MlflowClientParts {
  /** The HTTP transport (one undici pool) every call goes through. */
  readonly http: HttpClient;
  /** The resolved connection (base URL, kind; credentials are never exposed in messages). */
  readonly connection: ResolvedMlflowConnection;
  /** Experiments. */
  readonly experiments: Experiments;
  /** Runs, log-batch, log-inputs, metric history. */
  readonly runs: Runs;
  /** Registered models and aliases. */
  readonly registeredModels: RegisteredModels;
  /** Model versions. */
  readonly modelVersions: ModelVersions;
  /** Artifacts through the tracking server's artifact proxy. */
  readonly artifacts: MlflowArtifacts;
  /** Delay before re-creating a model version after a lost response (see `registerModel`). */
  readonly registerRetryDelayMs: number;
  /**
   * The Unity Catalog model registry, when the registry URI is `databricks-uc[://PROFILE]`; then
   * registerModel, findModelVersions, traceOfModelVersion and download of `models:/` URIs use it.
   */
  readonly unityCatalog: UnityCatalogRegistry | undefined;
  private readonly ucStorage: UcStorageOptions | undefined;
  private readonly env: Record<string, string | undefined> | undefined;
  private closed = false;

  /**
   * Creates a client for an http(s) tracking server from options and `MLFLOW_TRACKING_*` env vars.
   * Throws ConfigError when MLFLOW_TRACKING_URI is missing or malformed, or is a Databricks URI
   * (use `MlflowClient.fromEnv`), or an already resolved connection can be passed as second argument.
   */
  constructor(options: MlflowClientOptions = {}, connection?: ResolvedMlflowConnection) {
    // The options are not kept: they may hold a token or password.
    this.registerRetryDelayMs = options.registerRetryDelayMs ?? 500;
    this.connection = connection ?? resolveHttpConnection(options);
    const httpOptions: HttpClientOptions & { sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {
      baseUrl: this.connection.baseUrl,
      service: "mlflow",
      credentials: this.connection.credentials,
      mapError: mapMlflowError,
      insecureTls: this.connection.insecureTls,
      ...(this.connection.ca ? { ca: this.connection.ca } : {}),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
    this.http = new HttpClient(httpOptions);
    this.experiments = new Experiments(this.http);
    this.runs = new Runs(this.http);
    this.registeredModels = new RegisteredModels(this.http);
    this.modelVersions = new ModelVersions(this.http);
    this.artifacts =
      this.connection.kind === "databricks"
        ? new DatabricksArtifacts(this.http, {
            ...options.artifacts,
            env: options.env,
            storage: {
              timeoutMs: options.timeoutMs,
              retry: options.retry,
              logger: options.logger,
              userAgent: options.userAgent,
              sleep: options.sleep,
              ...options.artifacts?.storage,
            },
          })
        : new MlflowArtifacts(this.http, options.artifacts);
    const env = options.env ?? process.env;
    this.env = options.env;
    this.ucStorage = options.unityCatalogStorage;
    const registry = options.registryUri ?? env.MLFLOW_REGISTRY_URI;
    const uc = parseUcRegistryUri(registry);
    if (uc) {
      if (this.connection.kind !== "databricks") {
        throw new ConfigError(`The Unity Catalog registry (${registry}) needs a Databricks tracking URI`, {
          sources: ["MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"],
          hint: "Set MLFLOW_TRACKING_URI=databricks (or databricks://PROFILE) with MLFLOW_REGISTRY_URI=databricks-uc",
        });
      }
      if (uc.profile !== undefined && uc.profile !== this.connection.databricksProfile) {
        throw new ConfigError(
          `MLFLOW_REGISTRY_URI=${registry} names another Databricks profile than the tracking URI`,
          {
            sources: ["MLFLOW_REGISTRY_URI"],
            hint: "Use the same workspace for tracking and registry: databricks://P with databricks-uc://P",
          },
        );
      }
      this.unityCatalog = new UnityCatalogRegistry(this.http);
    } else {
      this.unityCatalog = undefined;
    }
  }

  /**
   * Creates a client from options and the environment (`MLFLOW_TRACKING_URI` and the other
   * `MLFLOW_*` variables), for any tracking URI: http(s), `databricks` and `databricks://PROFILE`
   * (whose credentials core's Databricks auth resolves: PAT, OAuth M2M, Azure service principal,
   * `~/.databrickscfg`), with `MLFLOW_REGISTRY_URI=databricks-uc` for Unity Catalog. The same
   * factory name as `DatabricksClient.fromEnv`. Throws ConfigError naming the missing variable.
   */
  static async fromEnv(options: MlflowClientOptions = {}): Promise<MlflowClient> {
    return new MlflowClient(options, await resolveMlflowConnection(options));
  }

  /**
   * Creates a client for any tracking URI; the same as {@link MlflowClient.fromEnv}.
   * @deprecated Use `MlflowClient.fromEnv(options)`, the factory name both clients share.
   */
  static create(options: MlflowClientOptions = {}): Promise<MlflowClient> {
    return MlflowClient.fromEnv(options);
  }

  /**
   * Resolves `runs:/`, `models:/` (version, alias, latest, stage, model id) and `mlflow-artifacts:/`
   * URIs to a concrete artifact location; with a Unity Catalog registry, a `models:/` version or
   * alias is UC's (see `resolveUcModelUri`). Throws ValidationError for a malformed URI (listing the
   * accepted forms) and NotFoundError when what it names does not exist.
   */
  async resolveUri(uri: string, options: CallOptions = {}): Promise<ResolvedArtifactLocation> {
    const inUc = this.unityCatalog && (await resolveUcModelUri(this.unityCatalog, uri, options));
    return inUc || resolveArtifactLocation(this, uri, options);
  }

  /**
   * Downloads what a `runs:/`, `models:/` or `mlflow-artifacts:/` URI names into `destDir` (streamed,
   * verified, atomic per file; see `artifacts.download`). `runs:/<run>/<path>` lands in
   * `destDir/<last segment of path>` as with MLflow's download_artifacts, also when the files are
   * in an MLflow 3 logged model of the run (`runs:/<run>/model` gives `destDir/model/MLmodel`);
   * `runs:/<run>` puts the run's whole artifact root into `destDir` itself.
   * Throws ValidationError for a malformed URI, NotFoundError when it names nothing, and the
   * artifact client's errors.
   */
  async download(uri: string, destDir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const parsed = parseMlflowUri(uri);
    // One deadline for the whole download; every request gets the caller's per-call options.
    const call = startCall(options);
    const transfer = { ...options, ...call };
    const uc = this.ucContext();
    if (uc && (parsed.kind === "model-latest" || parsed.kind === "model-stage")) {
      noStagesInUnityCatalog(`Cannot download ${uri}`);
    }
    if (uc && (parsed.kind === "model-version" || parsed.kind === "model-alias")) {
      const mv =
        parsed.kind === "model-version"
          ? { name: parsed.name, version: parsed.version }
          : await uc.registry.getVersionByAlias(parsed.name, parsed.alias, call);
      return downloadUcModelVersion(uc, mv.name, String(mv.version), destDir, transfer);
    }
    const loc = await this.resolveUri(uri, call);
    // the local name comes from the requested path, not from where the files are stored (a logged
    // model's root ends in ".../artifacts")
    const name =
      options.name ??
      (parsed.kind === "run" && parsed.path !== ""
        ? parsed.path.slice(parsed.path.lastIndexOf("/") + 1)
        : undefined);
    // a run's whole artifact root goes into destDir itself, as MLflow's download_artifacts(run_id=...)
    const ref: ArtifactRef =
      parsed.kind === "run" && parsed.path === ""
        ? { runId: parsed.runId, path: "" }
        : loc.proxyPath !== undefined
          ? loc.artifactUri
          : loc.runId && loc.artifactRoot !== loc.artifactUri
            ? { runId: loc.runId, path: loc.path }
            : loc.artifactUri;
    // A model (models:/name/version, @alias, /latest, /Stage, models:/<model_id>) goes into destDir
    // itself, as MLflow's download_artifacts("models:/..."), whatever its storage path ends in.
    const isModel = parsed.kind !== "run" && parsed.kind !== "mlflow-artifacts";
    // the workspace registry keeps its own copy of a version's files, read through signed URIs
    if (
      loc.modelVersion &&
      this.artifacts instanceof DatabricksArtifacts &&
      /^dbfs:(\/\/[^/]*)?\/databricks\/mlflow-registry\//i.test(loc.artifactUri)
    ) {
      const mv = loc.modelVersion;
      return this.artifacts.downloadModelVersion(mv.name, mv.version, destDir, transfer);
    }
    if (isModel && options.name === undefined) return this.artifacts.downloadTree(ref, destDir, transfer);
    return this.artifacts.download(ref, destDir, name === undefined ? transfer : { ...transfer, name });
  }

  /** Writes a trace context's MLflow tags onto a run; see `tagRun`. */
  tagRun(
    runId: string,
    ctx: TraceContext,
    options: CallOptions & TraceCodecOptions = {},
  ): Promise<Record<string, string>> {
    return tagRun(this, runId, ctx, options);
  }

  /** Registers a traceable model version idempotently; see `registerModel`. */
  registerModel(ctx: TraceContext, options: RegisterModelOptions): Promise<RegisterModelResult> {
    const uc = this.ucContext();
    if (uc) return registerUcModel(uc, ctx, options);
    return registerModel(this, ctx, options);
  }

  /** Iterates over the model versions of a commit or a run (job run id or MLflow run id); see `findModelVersions`. */
  findModelVersions(
    query: ModelVersionQuery,
    options: FindModelVersionsOptions = {},
  ): AsyncGenerator<ModelVersion, void, undefined> {
    const uc = this.ucContext();
    if (uc) return findUcModelVersions(uc, query, options);
    return findModelVersions(this, query, options);
  }

  /** The TraceContext a model version's tags describe; see `traceOfModelVersion`. */
  traceOfModelVersion(
    name: string,
    version: string | number,
    options: CallOptions & TraceCodecOptions = {},
  ): Promise<TraceContext> {
    const uc = this.ucContext();
    if (uc) return ucTraceOfModelVersion(uc, name, version, options);
    return traceOfModelVersion(this, name, version, options);
  }

  /**
   * The files of a Unity Catalog model version with their sizes (`unityCatalog.getModelVersion`
   * gives the version), listed in its storage location with READ temporary credentials. Throws
   * ConfigError when the registry is not Unity Catalog, ValidationError when the version has no
   * storage location or more than `maxEntries` files (default 1 000 000), and the storage's errors.
   */
  async listUcModelVersionFiles(
    modelVersion: UcModelVersion,
    options: CallOptions & { maxEntries?: number | undefined } = {},
  ): Promise<ArtifactFileInfo[]> {
    const uc = this.ucContext();
    if (!uc)
      throw new ConfigError("The model registry of this client is not Unity Catalog", {
        hint: "Set MLFLOW_REGISTRY_URI=databricks-uc (or registryUri) with a databricks tracking URI",
      });
    return listUcModelVersionFiles(uc, modelVersion, options);
  }

  /** A link to a run in the tracking UI (Databricks workspaces use their own route). */
  runLink(experimentId: string, runId: string): string {
    const base = this.connection.baseUrl;
    return this.connection.kind === "databricks"
      ? `${base}/#mlflow/experiments/${experimentId}/runs/${runId}`
      : `${base}/#/experiments/${experimentId}/runs/${runId}`;
  }

  /** What the Unity Catalog flows need, when the registry is Unity Catalog. */
  private ucContext(): UcContext | undefined {
    if (!this.unityCatalog || !(this.artifacts instanceof DatabricksArtifacts)) return undefined;
    return {
      client: this,
      registry: this.unityCatalog,
      transport: this.artifacts.storageTransport,
      settings: this.artifacts.resourceSettings,
      storage: this.ucStorage,
      env: this.env,
      pollMs: Math.min(1000, this.registerRetryDelayMs * 2),
    };
  }

  /** Closes the connection pool. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.artifacts instanceof DatabricksArtifacts) await this.artifacts.closeStorage();
    await this.http.close();
  }
}
