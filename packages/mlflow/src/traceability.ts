import {
  ConflictError,
  classifyRunId,
  DEFAULT_CONVENTIONS,
  fromMlflowTags,
  NetworkError,
  RateLimitError,
  ServerError,
  TimeoutError,
  type TraceContext,
  type TraceConventions,
  toMlflowTags,
  ValidationError,
} from "@modeltrail/core";
import { abortErrorFor, startCall, throwIfAborted } from "@modeltrail/core/internal";
import { type CallOptions, filterIdentifier, filterLiteral, type PageOptions } from "./api-path.js";
import type { MlflowClientParts } from "./client-parts.js";
import { findLoggedModelOfRun } from "./logged-models.js";
import { validateRegistryTags } from "./model-registry.js";
import { tagsToRecord } from "./schemas/common.js";
import type { ModelVersion } from "./schemas/registry.js";
import type { Run } from "./schemas/tracking.js";
import { joinArtifactUri } from "./uris.js";

/** Options shared by the traceability helpers. */
export interface TraceCodecOptions {
  /** Tag naming conventions (default: core's `DEFAULT_CONVENTIONS`: `GIT_SHA`, `DBR_RUN_ID`, `DBR_JOB_ID`, ...). */
  conventions?: TraceConventions | undefined;
}

/** The tag that carries a context field in the MLflow tag conventions (its first name). */
export function traceTagName(
  field: "code.gitSha" | "job.runId" | "job.jobId",
  conventions?: TraceConventions,
): string {
  const names = (conventions ?? DEFAULT_CONVENTIONS).mlflowTags.fields[field];
  const name = names[0];
  if (!name)
    throw new ValidationError(`The MLflow tag conventions do not carry ${field}`, {
      issues: [{ path: `conventions.mlflowTags.fields.${field}`, message: "no tag name" }],
    });
  return name;
}

/**
 * Writes the context's MLflow tags (`GIT_SHA`, `DBR_RUN_ID`, `DBR_JOB_ID`, `mlflow.source.*` and the
 * namespaced full set) onto a run, in as few log-batch calls as the limits allow. Throws
 * ValidationError when a tag is invalid (nothing written), ApiError subclasses otherwise.
 */
export async function tagRun(
  client: Pick<MlflowClientParts, "runs">,
  runId: string,
  ctx: TraceContext,
  options: CallOptions & TraceCodecOptions = {},
): Promise<Record<string, string>> {
  const tags = toMlflowTags(ctx, { conventions: options.conventions });
  await client.runs.logBatch(runId, { tags }, options);
  return tags;
}

/** Options of `registerModel`. */
export interface RegisterModelOptions extends CallOptions, TraceCodecOptions {
  /** The MLflow run that logged the model. */
  runId: string;
  /** Path of the model directory in the run's artifacts (e.g. `model`). */
  artifactPath: string;
  /** Registered model name (created when missing). */
  name: string;
  /** Description of the new model version. */
  description?: string | undefined;
  /** More model version tags (they win over the context's). */
  tags?: Record<string, string> | undefined;
  /** Create attempts after lost responses (default 4). */
  maxAttempts?: number | undefined;
  /** Longest wait for a PENDING_REGISTRATION version to become READY, in ms (default 300 000). */
  awaitReadyMs?: number | undefined;
}

/** The outcome of `registerModel`. */
export interface RegisterModelResult {
  /** The model version (new, or the one already registered from this run and source). */
  modelVersion: ModelVersion;
  /** False when an existing version from the same run and source was returned. */
  created: boolean;
  /** The source recorded on the version: usually the run's artifact URI joined with `artifactPath`; see `registerModel`. */
  source: string;
  /** The context extended with the model name, version and run id. */
  trace: TraceContext;
}

/** What `registerModel` uses of a client (an MlflowClient has it). */
export type RegisterModelClient = Pick<
  MlflowClientParts,
  | "runs"
  | "registeredModels"
  | "modelVersions"
  | "artifacts"
  | "http"
  | "connection"
  | "runLink"
  | "registerRetryDelayMs"
>;

/** Errors after which a create may or may not have happened on the server. */
function isLostResponse(err: unknown): boolean {
  return (
    err instanceof NetworkError ||
    err instanceof TimeoutError ||
    err instanceof ServerError ||
    err instanceof RateLimitError
  );
}

function cleanArtifactPath(path: string): string {
  const parts = String(path ?? "")
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  if (parts.includes("..") || /^[a-z][a-z0-9+.-]*:/i.test(String(path))) {
    throw new ValidationError(`Invalid artifact path "${path}"`, {
      issues: [
        { path: "artifactPath", message: "must be a relative path inside the run's artifacts, without '..'" },
      ],
    });
  }
  return parts.join("/");
}

/**
 * Registers a model version whose tags carry the trace context, idempotently:
 * 1. reads the run and finds the model's source as MLflow's own `register_model("runs:/<id>/<path>")`
 *    does: `<artifact_uri>/<artifactPath>` when an MLmodel file is there, else the MLflow 3 logged
 *    model of that run named `artifactPath` (`models:/<model_id>`, or its artifact location on
 *    Databricks, plus the model id), else the run's
 *    directory when it holds files; the run's experiment gives the run link;
 * 2. creates the registered model when missing (an existing one is fine);
 * 3. returns the version already registered from this run and source, if there is one;
 * 4. otherwise creates it; after a lost response (network error, timeout, 429, 5xx) it looks again
 *    before re-creating, so a retry never makes a second version.
 * Throws ValidationError for a bad artifact path or tags, NotFoundError when the run does not exist,
 * and the last ApiError/NetworkError when every attempt failed.
 */
export async function registerModel(
  client: RegisterModelClient,
  ctx: TraceContext,
  options: RegisterModelOptions,
): Promise<RegisterModelResult> {
  const { runId, name } = options;
  // One deadline for the whole registration; every request gets the caller's per-call options.
  const call = startCall(options);
  const { signal } = call;
  const artifactPath = cleanArtifactPath(options.artifactPath);
  // a version or URI inherited from another model would be wrong on the new version's tags
  const trace = ctx.with({ model: { name, mlflowRunId: runId, version: null, uri: null } });
  const tags = { ...toMlflowTags(trace, { conventions: options.conventions }), ...options.tags };
  // every tag is checked before anything is sent
  validateRegistryTags(tags, "model version");
  const run = await client.runs.get(runId, call);
  if (!run.info.artifact_uri) {
    throw new ValidationError(`Run ${runId} has no artifact URI; cannot register a model from it`, {
      issues: [{ path: "runId", message: "the run has no artifact_uri" }],
    });
  }
  const { source, modelId } = await resolveModelSource(client, run, artifactPath, call);
  const runLink = client.runLink(run.info.experiment_id, runId);

  try {
    await client.registeredModels.create(name, call);
  } catch (err) {
    if (!(err instanceof ConflictError)) {
      // a lost response may have created it: check before giving up
      const exists = await client.registeredModels.get(name, call).then(
        () => true,
        () => false,
      );
      if (!exists) throw err;
    }
  }

  const finish = async (mv: ModelVersion, created: boolean): Promise<RegisterModelResult> => {
    const ready = await awaitReady(client, mv, options.awaitReadyMs ?? 300_000, call);
    return {
      modelVersion: ready,
      created,
      source,
      trace: trace.with({ model: { version: ready.version, uri: `models:/${name}/${ready.version}` } }),
    };
  };

  const existing = await findVersionFromRun(client, name, runId, source, call);
  if (existing) return finish(existing, false);

  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const delayMs = client.registerRetryDelayMs;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const mv = await client.modelVersions.create({
        name,
        source,
        runId,
        tags,
        runLink,
        description: options.description,
        modelId,
        ...call,
      });
      return finish(mv, true);
    } catch (err) {
      if (!isLostResponse(err)) throw err;
      lastError = err;
      throwIfAborted(signal, `Registering a version of model "${name}"`);
      const found = await findVersionFromRun(client, name, runId, source, call).catch(() => undefined);
      if (found) return finish(found, true);
      if (attempt < maxAttempts && delayMs > 0) await sleep(delayMs * attempt, signal);
    }
  }
  throw lastError;
}

/**
 * Where the model files of `runs:/<run>/<artifactPath>` are, the way MLflow's `register_model` decides:
 * the run's own artifacts when `<artifactPath>/MLmodel` exists there; otherwise an MLflow 3 logged
 * model of that run named `artifactPath` (the newest, if several; `models:/<model_id>` as source);
 * otherwise the run's directory when
 * it holds any files (models without an MLmodel file). Throws ValidationError when nothing is there.
 */
async function resolveModelSource(
  client: Pick<MlflowClientParts, "artifacts" | "http" | "connection">,
  run: Run,
  artifactPath: string,
  call: CallOptions,
): Promise<{ source: string; modelId?: string | undefined }> {
  const runId = run.info.run_id;
  const runSource = joinArtifactUri(run.info.artifact_uri ?? "", artifactPath);
  const entries: string[] = [];
  if (artifactPath !== "") {
    for await (const entry of client.artifacts.list(
      { runId, path: artifactPath },
      { ...call, recursive: false, runArtifactsOnly: true },
    )) {
      entries.push(entry.path);
      if (entries.length > 1000) break;
    }
  }
  if (artifactPath === "" || entries.includes("MLmodel")) return { source: runSource };

  const newest = await findLoggedModelOfRun(client.http, run, artifactPath, call);
  // As MLflow's client: `models:/<model_id>` for a tracking server, the artifact location for
  // Databricks' workspace registry (which does not accept models:/ sources).
  if (newest)
    return {
      source: client.connection.kind === "databricks" ? newest.artifact_uri : `models:/${newest.model_id}`,
      modelId: newest.model_id,
    };
  if (entries.length > 0) return { source: runSource };
  throw new ValidationError(`Nothing to register at runs:/${runId}/${artifactPath}`, {
    issues: [
      { path: "artifactPath", message: "the run has no artifacts and no logged model under this path" },
    ],
    hint: "Upload the model files to the run first (client.artifacts.uploadTree) or log it with mlflow.<flavor>.log_model(name=...)",
  });
}

/** The version of `name` registered from `runId` with exactly this source, if any (the oldest). */
async function findVersionFromRun(
  client: Pick<MlflowClientParts, "modelVersions">,
  name: string,
  runId: string,
  source: string,
  call: CallOptions,
): Promise<ModelVersion | undefined> {
  let best: ModelVersion | undefined;
  for await (const mv of client.modelVersions.search({
    ...call,
    filter: `name = ${filterLiteral(name)} AND run_id = ${filterLiteral(runId)}`,
  })) {
    if (mv.source !== source) continue;
    if (mv.status === "FAILED_REGISTRATION") continue;
    if (!best || Number(mv.version) < Number(best.version)) best = mv;
  }
  return best;
}

async function awaitReady(
  client: Pick<MlflowClientParts, "modelVersions">,
  mv: ModelVersion,
  maxMs: number,
  call: CallOptions,
): Promise<ModelVersion> {
  let current = mv;
  const deadline = Date.now() + maxMs;
  while (current.status === "PENDING_REGISTRATION" && Date.now() < deadline) {
    await sleep(1000, call.signal);
    current = await client.modelVersions.get(mv.name, mv.version, call);
  }
  return current;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortErrorFor(signal, "Waiting for the model version"));
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(abortErrorFor(signal, "Waiting for the model version"));
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/**
 * What to look model versions up by: a commit (`gitSha`, a prefix of 4+ characters works), "the run
 * id" (`runId`: either kind, told apart by shape), or explicitly a job run id or an MLflow run id.
 */
export type ModelVersionQuery =
  | { gitSha: string }
  | { runId: string }
  | { jobRunId: string }
  | { mlflowRunId: string };

/** Options of `findModelVersions`. */
export interface FindModelVersionsOptions extends PageOptions, TraceCodecOptions {
  /** Only versions of this registered model. */
  name?: string | undefined;
}

/**
 * Builds the MLflow filter for a query: `tags.GIT_SHA = '<sha>'` (a prefix shorter than 40
 * characters uses LIKE), `tags.DBR_RUN_ID = '<id>'` (a job run id) or `run_id = '<id>'` (an MLflow
 * run id), plus `name = '<name>'`. A `runId` is either kind (DESIGN.md, "Which id is which"): 32 hex
 * characters are an MLflow run id, anything else (decimal, `local-<uuid>`) a job run id; see core's
 * `classifyRunId`. Throws ValidationError for an empty query.
 */
export function modelVersionFilter(query: ModelVersionQuery, options: FindModelVersionsOptions = {}): string {
  const clauses: string[] = [];
  if ("gitSha" in query && query.gitSha) {
    const sha = query.gitSha.trim().toLowerCase();
    if (!/^[0-9a-f]{4,40}$/.test(sha))
      throw new ValidationError(`Invalid git SHA "${query.gitSha}"`, {
        issues: [{ path: "gitSha", message: "must be 4 to 40 hexadecimal characters" }],
      });
    const key = `tags.${filterIdentifier(traceTagName("code.gitSha", options.conventions))}`;
    clauses.push(
      sha.length === 40 ? `${key} = ${filterLiteral(sha)}` : `${key} LIKE ${filterLiteral(`${sha}%`)}`,
    );
  } else if ("runId" in query && query.runId) {
    const id = String(query.runId).trim();
    clauses.push(
      classifyRunId(id) === "mlflow-run"
        ? `run_id = ${filterLiteral(id)}`
        : `tags.${filterIdentifier(traceTagName("job.runId", options.conventions))} = ${filterLiteral(id)}`,
    );
  } else if ("jobRunId" in query && query.jobRunId) {
    clauses.push(
      `tags.${filterIdentifier(traceTagName("job.runId", options.conventions))} = ${filterLiteral(String(query.jobRunId))}`,
    );
  } else if ("mlflowRunId" in query && query.mlflowRunId) {
    clauses.push(`run_id = ${filterLiteral(query.mlflowRunId)}`);
  } else {
    throw new ValidationError("findModelVersions needs one of gitSha, runId, jobRunId or mlflowRunId", {
      issues: [
        { path: "query", message: "expected { gitSha } | { runId } | { jobRunId } | { mlflowRunId }" },
      ],
    });
  }
  if (options.name) clauses.push(`name = ${filterLiteral(options.name)}`);
  return clauses.join(" AND ");
}

/**
 * Iterates over the model versions built from a commit, a run (`{ runId }`: the Databricks job run id
 * the image is named with, or an MLflow run id; either works), a job run or an MLflow run. Throws
 * ValidationError for an empty or malformed query, and the client's errors.
 */
export function findModelVersions(
  client: Pick<MlflowClientParts, "modelVersions">,
  query: ModelVersionQuery,
  options: FindModelVersionsOptions = {},
): AsyncGenerator<ModelVersion, void, undefined> {
  return client.modelVersions.search({ ...options, filter: modelVersionFilter(query, options) });
}

/**
 * The TraceContext a model version's tags describe, completed with its name, version and run id.
 * Throws NotFoundError when the version does not exist, ValidationError when its tags hold an
 * invalid context.
 */
export async function traceOfModelVersion(
  client: Pick<MlflowClientParts, "modelVersions">,
  name: string,
  version: string | number,
  options: CallOptions & TraceCodecOptions = {},
): Promise<TraceContext> {
  const mv = await client.modelVersions.get(name, version, options);
  const ctx = fromMlflowTags(tagsToRecord(mv.tags), { conventions: options.conventions });
  return ctx.with({
    model: {
      name: mv.name,
      version: mv.version,
      ...(mv.run_id ? { mlflowRunId: mv.run_id } : {}),
    },
  });
}
