import { NotFoundError, ValidationError } from "@modeltrail/core";
import { createApiError, type HttpClient, startCall } from "@modeltrail/core/internal";
import { z } from "zod";
import { type CallOptions, MLFLOW_API } from "./api-path.js";
import { encodeArtifactPathForUri, readUriArtifactPath, uriTextProblem } from "./artifacts/artifact-path.js";
import { loggedModelOfRunPath } from "./logged-models.js";
import type { RegisteredModels } from "./model-registry.js";
import type { ModelVersions } from "./model-versions.js";
import type { Runs } from "./runs.js";
import type { ModelVersion } from "./schemas/registry.js";

/** A parsed MLflow model or artifact URI. */
export type ParsedMlflowUri =
  | { kind: "run"; runId: string; path: string }
  | { kind: "model-version"; name: string; version: string }
  | { kind: "model-alias"; name: string; alias: string }
  | { kind: "model-latest"; name: string }
  | { kind: "model-stage"; name: string; stage: string }
  | { kind: "logged-model"; modelId: string }
  | { kind: "mlflow-artifacts"; path: string };

/** The URI forms `parseMlflowUri` accepts, for messages. */
export const ACCEPTED_URI_FORMS = [
  "runs:/<run_id>/<path>",
  "models:/<name>/<version>",
  "models:/<name>@<alias>",
  "models:/<name>/latest",
  "models:/<name>/<stage>",
  "models:/<model_id>",
  "mlflow-artifacts:/<path>",
] as const;

function invalid(uri: string, why: string): ValidationError {
  return new ValidationError(`Invalid MLflow URI "${uri}": ${why}`, {
    issues: [{ path: "uri", message: why }],
    hint: `Use one of: ${ACCEPTED_URI_FORMS.join(", ")}`,
  });
}

/** The decoded, checked artifact path of a URI's raw path text: refused, never repaired. */
function uriPath(uri: string, raw: string): string {
  const reading = readUriArtifactPath(raw);
  if (!reading.ok) throw invalid(uri, `the artifact path ${reading.problem}`);
  return reading.path;
}

/**
 * Parses `runs:/`, `models:/` and `mlflow-artifacts:/` URIs the way MLflow does, exactly as
 * written: artifact paths are percent-decoded per segment and may end in one `/`; control
 * characters (which URL parsers silently drop), surrounding whitespace, `//`, `.` and `..`
 * segments, `?` and `#` are refused rather than cleaned up. Throws ValidationError naming the
 * accepted forms when the URI is none of them.
 */
export function parseMlflowUri(uri: string): ParsedMlflowUri {
  if (typeof uri !== "string" || uri === "") throw invalid(String(uri), "the URI is empty");
  const textProblem = uriTextProblem(uri);
  if (textProblem !== undefined) throw invalid(uri, `it ${textProblem}`);
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(uri);
  if (!m) throw invalid(uri, "it has no scheme");
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!;
  if ((scheme === "runs" || scheme === "mlflow-artifacts") && /[?#]/.test(rest))
    throw invalid(uri, "it has a query or fragment ('?' or '#'); encode such characters as %3F / %23");
  if (scheme === "runs") {
    if (!rest.startsWith("/")) throw invalid(uri, "runs URIs start with 'runs:/'");
    if (rest.startsWith("//")) throw invalid(uri, "runs URIs have exactly one '/' after 'runs:'");
    rest = rest.slice(1);
    const [runId, ...path] = rest.split("/");
    if (!runId || !/^[a-zA-Z0-9][\w-]{0,255}$/.test(runId))
      throw invalid(uri, "the run id is missing or malformed");
    return { kind: "run", runId, path: uriPath(uri, path.join("/")) };
  }
  if (scheme === "models") {
    if (rest.startsWith("//"))
      throw invalid(uri, "models URIs with a host (models://profile@host/...) are not supported");
    if (!rest.startsWith("/") || rest.length <= 1) throw invalid(uri, "models URIs start with 'models:/'");
    const parts = rest.slice(1).split("/");
    if (parts.length > 2 || !parts[0] || parts[0].trim() === "")
      throw invalid(uri, "expected models:/<name>/<version|stage|latest> or models:/<name>@<alias>");
    if (parts.length === 2) {
      const [name, suffix] = parts as [string, string];
      if (suffix.trim() === "") throw invalid(uri, "the version, stage or 'latest' is missing");
      if (/^\d+$/.test(suffix)) return { kind: "model-version", name, version: suffix };
      if (suffix.toLowerCase() === "latest") return { kind: "model-latest", name };
      return { kind: "model-stage", name, stage: suffix };
    }
    const first = parts[0];
    const at = first.lastIndexOf("@");
    if (at >= 0) {
      const name = first.slice(0, at);
      const alias = first.slice(at + 1);
      if (name === "" || alias.trim() === "") throw invalid(uri, "the model name or alias is empty");
      return { kind: "model-alias", name, alias };
    }
    return { kind: "logged-model", modelId: first };
  }
  if (scheme === "mlflow-artifacts") {
    // mlflow-artifacts:/path or mlflow-artifacts://host:port/path
    const path = rest.startsWith("//") ? rest.replace(/^\/\/[^/]*/, "") : rest;
    if (path !== "" && !path.startsWith("/")) throw invalid(uri, "the path does not start with '/'");
    return { kind: "mlflow-artifacts", path: uriPath(uri, path.slice(1)) };
  }
  throw invalid(uri, `the scheme "${scheme}:" is not supported`);
}

/** A concrete artifact location. */
export interface ResolvedArtifactLocation {
  /** The URI that was resolved. */
  uri: string;
  /** The run the artifacts were logged to, when known. */
  runId?: string | undefined;
  /** Concrete URI of the artifact or directory: `mlflow-artifacts:/1/<run>/artifacts/model`, `s3://...`. */
  artifactUri: string;
  /**
   * Root that `path` is relative to: the run's artifact URI for run artifacts, `mlflow-artifacts:/`
   * for proxied artifacts outside a run, else `artifactUri` itself (and `path` is "").
   */
  artifactRoot: string;
  /** Path of the artifact relative to `artifactRoot` ("" for the root itself). */
  path: string;
  /** Path under the tracking server's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/<proxyPath>`), when the location is proxied. */
  proxyPath?: string | undefined;
  /** The model version, for `models:/` URIs. */
  modelVersion?: ModelVersion | undefined;
  /**
   * The MLflow 3 logged model holding the artifacts: for `models:/<model_id>`, and for
   * `runs:/<run>/<name>/...` when the run's own artifacts have nothing there but the run logged a
   * model called `<name>` (`mlflow.<flavor>.log_model(m, name=...)`).
   */
  loggedModelId?: string | undefined;
}

/**
 * Joins an artifact root and a relative artifact path with one slash. The path's segments are
 * percent-encoded where needed (`%`, spaces, `?`, `#`, non-ASCII), so that the URI reads back as
 * the same path.
 */
export function joinArtifactUri(root: string, path: string): string {
  if (path === "") return root;
  return `${root.replace(/\/+$/, "")}/${encodeArtifactPathForUri(path)}`;
}

/** The path under the artifact proxy for an `mlflow-artifacts:` URI, or undefined for other schemes. */
export function mlflowArtifactsProxyPath(uri: string): string | undefined {
  if (!/^mlflow-artifacts:/i.test(uri)) return undefined;
  const parsed = parseMlflowUri(uri);
  return parsed.kind === "mlflow-artifacts" ? parsed.path : undefined;
}

const loggedModelResponse = z.looseObject({
  model: z.looseObject({
    info: z.looseObject({
      model_id: z.string(),
      artifact_uri: z.string(),
      source_run_id: z.string().optional(),
    }),
  }),
});

/** What `resolveArtifactLocation` needs from the client. */
export interface UriResolverDeps {
  http: HttpClient;
  runs: Runs;
  modelVersions: ModelVersions;
  registeredModels: RegisteredModels;
}

/**
 * Resolves a `runs:/`, `models:/` or `mlflow-artifacts:/` URI to a concrete artifact location, using
 * runs/get, model-versions/get-download-uri, registered-models/alias and get-latest-versions as MLflow
 * does. Throws ValidationError for a malformed URI, NotFoundError when the run, model, version, alias
 * or stage does not exist.
 */
export async function resolveArtifactLocation(
  deps: UriResolverDeps,
  uri: string,
  options: CallOptions = {},
): Promise<ResolvedArtifactLocation> {
  const parsed = parseMlflowUri(uri);
  const call = startCall(options);
  switch (parsed.kind) {
    case "run": {
      const run = await deps.runs.get(parsed.runId, call);
      const root = run.info.artifact_uri ?? "";
      const inRun = locate(uri, root, parsed.path, parsed.runId);
      if (parsed.path === "" || (await runHasArtifact(deps.http, parsed.runId, parsed.path, call)))
        return inRun;
      // MLflow 3 keeps `log_model(m, name=...)` models outside the run's artifacts, as a logged
      // model whose source_run_id is the run: `runs:/<run>/<name>/<rest>` then means <rest> in it.
      const found = await loggedModelOfRunPath(deps.http, run, parsed.path, call);
      if (!found) return inRun;
      return {
        ...fromConcrete(uri, joinArtifactUri(found.model.artifact_uri, found.rest)),
        runId: parsed.runId,
        loggedModelId: found.model.model_id,
      };
    }
    case "mlflow-artifacts":
      return locate(uri, "mlflow-artifacts:/", parsed.path, undefined);
    case "logged-model": {
      const res = await deps.http.get(
        `${MLFLOW_API}/logged-models/${encodeURIComponent(parsed.modelId)}`,
        { schema: loggedModelResponse },
        call,
      );
      const info = res.model.info;
      return {
        ...fromConcrete(uri, info.artifact_uri),
        runId: info.source_run_id || undefined,
        loggedModelId: info.model_id,
      };
    }
    default: {
      const mv = await resolveModelVersion(deps, parsed, call);
      const downloadUri = await deps.modelVersions.getDownloadUri(mv.name, mv.version, call);
      let location: ResolvedArtifactLocation = fromConcrete(uri, downloadUri);
      if (mv.run_id) {
        location.runId = mv.run_id;
        try {
          const run = await deps.runs.get(mv.run_id, call);
          const root = (run.info.artifact_uri ?? "").replace(/\/+$/, "");
          if (root && (downloadUri === root || downloadUri.startsWith(`${root}/`))) {
            location = locate(uri, root, downloadUri.slice(root.length + 1), mv.run_id);
          }
        } catch {
          // the run may be deleted or on another server: keep the concrete location
        }
      }
      location.modelVersion = mv;
      return location;
    }
  }
}

/** Resolves a `models:/` reference (version, alias, latest, stage) to its model version. */
export async function resolveModelVersion(
  deps: Pick<UriResolverDeps, "modelVersions" | "registeredModels">,
  parsed: Extract<
    ParsedMlflowUri,
    { kind: "model-version" | "model-alias" | "model-latest" | "model-stage" }
  >,
  options: CallOptions = {},
): Promise<ModelVersion> {
  switch (parsed.kind) {
    case "model-version":
      return deps.modelVersions.get(parsed.name, parsed.version, options);
    case "model-alias":
      return deps.registeredModels.getVersionByAlias(parsed.name, parsed.alias, options);
    default: {
      const stage = parsed.kind === "model-stage" ? parsed.stage : undefined;
      const latest = await deps.registeredModels.getLatestVersions(
        parsed.name,
        stage ? [stage] : undefined,
        options,
      );
      if (latest.length === 0) {
        throw createApiError(
          {
            service: "mlflow",
            status: 404,
            method: "GET",
            url: `models:/${parsed.name}/${stage ?? "latest"}`,
            serviceCode: "RESOURCE_DOES_NOT_EXIST",
            message: `No versions of model "${parsed.name}"${stage ? ` in stage "${stage}"` : ""} found`,
          },
          "not-found",
        );
      }
      return latest.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
    }
  }
}

const runArtifactsPage = z.looseObject({
  files: z.array(z.looseObject({ path: z.string() })).default([]),
  next_page_token: z.string().optional(),
});

/** Most pages of one run directory read to find an entry (a run root with 10 000s of entries). */
const MAX_LIST_PAGES = 20;

/**
 * True when the run's own artifacts hold a file or directory at `path`: lists its parent directory
 * (non-recursive, tracking API, so proxied and non-proxied roots alike) and looks for the entry.
 * A missing directory (empty listing or 404) is false.
 */
async function runHasArtifact(
  http: HttpClient,
  runId: string,
  path: string,
  options: CallOptions,
): Promise<boolean> {
  const slash = path.lastIndexOf("/");
  const parent = slash === -1 ? "" : path.slice(0, slash);
  const base = path.slice(slash + 1);
  const call = startCall(options);
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    let res: z.infer<typeof runArtifactsPage>;
    try {
      res = await http.get(
        `${MLFLOW_API}/artifacts/list`,
        {
          query: { run_id: runId, path: parent === "" ? undefined : parent, page_token: pageToken },
          schema: runArtifactsPage,
        },
        call,
      );
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
    // entries are relative to the run's root; tolerate servers that answer relative to `parent`
    if (res.files.some((f) => f.path.replace(/\/+$/, "") === path || f.path === base)) return true;
    pageToken = res.next_page_token || undefined;
    if (pageToken === undefined) return false;
  }
  return false;
}

function locate(
  uri: string,
  root: string,
  path: string,
  runId: string | undefined,
): ResolvedArtifactLocation {
  const artifactUri = joinArtifactUri(root, path);
  return {
    uri,
    runId,
    artifactUri,
    artifactRoot: root,
    path,
    proxyPath: mlflowArtifactsProxyPath(artifactUri),
  };
}

function fromConcrete(uri: string, artifactUri: string): ResolvedArtifactLocation {
  const proxyPath = mlflowArtifactsProxyPath(artifactUri);
  if (proxyPath !== undefined)
    return { uri, artifactUri, artifactRoot: "mlflow-artifacts:/", path: proxyPath, proxyPath };
  return { uri, artifactUri, artifactRoot: artifactUri, path: "" };
}
