import { type CallOptions, ValidationError } from "@modeltrail/core";
import { type HttpClient, paginate } from "@modeltrail/core/internal";
import { z } from "zod";
import { MLFLOW_API } from "../api-path.js";
import { DirectoryListingCheck, listedEntrySchema } from "../artifacts/listing-entry.js";
import type { ArtifactFileInfo } from "../artifacts/types.js";
import {
  type ArtifactCredential,
  type ArtifactCredentialType,
  artifactCredentialInfoSchema,
  toArtifactCredential,
} from "./artifact-credentials.js";

/** Read or write access. */
export type CredentialMode = "read" | "write";

/**
 * An MLflow resource whose artifacts a Databricks workspace keeps in its cloud store: a run, an
 * MLflow 3 logged model, or a version of the workspace model registry. Lists its artifacts through
 * the tracking API and hands out signed URIs of the cloud store for them.
 */
export interface DatabricksArtifactResource {
  readonly kind: "run" | "logged-model" | "model-version";
  /** For messages: `run 0e65...`, `logged model m-1`, `model version churn/3`. */
  readonly label: string;
  /** True when artifacts can be written (runs and logged models). */
  readonly writable: boolean;
  /** The direct children of `dir` ("" for the root), paths relative to the resource root. */
  listDirectory(dir: string, options: CallOptions): Promise<ArtifactFileInfo[]>;
  /** Forgets cached credentials (called after the store refused one), if the resource keeps any. */
  invalidate?(): void;
  /** Signed URIs for `paths` (relative to the resource root), in the same order. */
  credentials(
    mode: CredentialMode,
    paths: readonly string[],
    options: CallOptions,
  ): Promise<ArtifactCredential[]>;
}

/** Most paths in one credentials request (MLflow's `_MAX_CREDENTIALS_REQUEST_SIZE`). */
export const MAX_CREDENTIALS_REQUEST_SIZE = 2000;

/** Most pages of one listing or credentials request followed. */
const MAX_PAGES = 10_000;

const listPage = z.looseObject({
  files: z.array(z.looseObject(listedEntrySchema.shape)).default([]),
  next_page_token: z.string().optional(),
});

const runCredentialsPage = z.looseObject({
  credential_infos: z.array(artifactCredentialInfoSchema).default([]),
  next_page_token: z.string().optional(),
});

const loggedModelCredentialsPage = z.looseObject({
  credentials: z
    .array(z.looseObject({ model_id: z.string().optional(), credential_info: artifactCredentialInfoSchema }))
    .default([]),
  next_page_token: z.string().optional(),
});

const signedDownloadUri = z.looseObject({
  signed_uri: z.string(),
  headers: z.array(z.looseObject({ name: z.string(), value: z.string().default("") })).default([]),
});

/**
 * Reads one listing of `dir` through a tracking API endpoint, page by page. Entries (paths relative
 * to the resource root) are checked by `DirectoryListingCheck`: safe, direct children of `dir`, no
 * name twice across all pages, sizes that are byte counts; anything else is a ValidationError. A
 * listing of a file answers with the file itself, which is dropped (as in MLflow's repositories).
 */
async function listPages(
  http: HttpClient,
  dir: string,
  request: (pageToken: string | undefined) => Parameters<HttpClient["json"]>[0],
  options: CallOptions,
): Promise<ArtifactFileInfo[]> {
  const out: ArtifactFileInfo[] = [];
  const check = new DirectoryListingCheck(dir);
  for await (const f of paginate(
    async (pageToken) => {
      const page = await http.json({ ...request(pageToken), ...options, schema: listPage });
      return { items: page.files, nextPageToken: page.next_page_token || undefined };
    },
    { maxPages: MAX_PAGES, signal: options.signal },
  )) {
    if (f.path === dir && dir !== "" && !f.is_dir) continue;
    out.push(check.entry(f, check.nameOf(f.path), dir));
  }
  return out;
}

/** Runs `fetchPage` for chunks of `paths` and every page, and pairs the credentials with the paths. */
async function collectCredentials<P>(
  paths: readonly string[],
  fetchPage: (
    chunk: readonly string[],
    pageToken: string | undefined,
  ) => Promise<{ infos: P[]; next?: string | undefined }>,
  toCredential: (info: P, path: string) => ArtifactCredential,
  pathOf: (info: P) => string | undefined,
  label: string,
): Promise<ArtifactCredential[]> {
  const out: ArtifactCredential[] = [];
  for (let i = 0; i < paths.length; i += MAX_CREDENTIALS_REQUEST_SIZE) {
    const chunk = paths.slice(i, i + MAX_CREDENTIALS_REQUEST_SIZE);
    const infos: P[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await fetchPage(chunk, pageToken);
      infos.push(...res.infos);
      pageToken = res.next || undefined;
      if (!pageToken || res.infos.length === 0) break;
    }
    if (infos.length !== chunk.length) {
      throw new ValidationError(
        `The workspace returned ${infos.length} credentials for ${chunk.length} artifact paths of ${label}`,
      );
    }
    // pair by path when the workspace says which path a credential is for, else by position
    const byPath = new Map<string, P>();
    for (const info of infos) {
      const p = pathOf(info);
      if (p !== undefined && p !== "") byPath.set(p.replace(/^\/+/, ""), info);
    }
    chunk.forEach((path, j) => {
      const info = byPath.get(path) ?? (byPath.size === 0 ? infos[j] : undefined);
      if (info === undefined) {
        throw new ValidationError(`The workspace returned no credential for "${path}" of ${label}`);
      }
      out.push(toCredential(info, path));
    });
  }
  return out;
}

/** The artifacts of an MLflow run stored under `dbfs:/databricks/mlflow-tracking/`. */
export function runArtifactResource(http: HttpClient, runId: string): DatabricksArtifactResource {
  return {
    kind: "run",
    label: `run ${runId}`,
    writable: true,
    listDirectory: (dir, options) =>
      listPages(
        http,
        dir,
        (pageToken) => ({
          method: "GET",
          path: `${MLFLOW_API}/artifacts/list`,
          query: { run_id: runId, path: dir === "" ? undefined : dir, page_token: pageToken },
        }),
        options,
      ),
    credentials: (mode, paths, options) =>
      collectCredentials(
        paths,
        async (chunk, pageToken) => {
          const res = await http.json({
            method: "POST",
            path: `${MLFLOW_API}/artifacts/credentials-for-${mode}`,
            json: { run_id: runId, path: chunk, ...(pageToken ? { page_token: pageToken } : {}) },
            retrySafe: true,
            ...options,
            schema: runCredentialsPage,
          });
          return { infos: res.credential_infos, next: res.next_page_token };
        },
        (info, path) => toArtifactCredential(info, path),
        (info) => info.path,
        `run ${runId}`,
      ),
  };
}

/** The artifacts of an MLflow 3 logged model stored under `dbfs:/databricks/mlflow-tracking/`. */
export function loggedModelArtifactResource(http: HttpClient, modelId: string): DatabricksArtifactResource {
  const base = `${MLFLOW_API}/logged-models/${encodeURIComponent(modelId)}/artifacts`;
  return {
    kind: "logged-model",
    label: `logged model ${modelId}`,
    writable: true,
    listDirectory: (dir, options) =>
      listPages(
        http,
        dir,
        (pageToken) => ({
          method: "GET",
          path: `${base}/directories`,
          query: { artifact_directory_path: dir === "" ? undefined : dir, page_token: pageToken },
        }),
        options,
      ),
    credentials: (mode, paths, options) =>
      collectCredentials(
        paths,
        async (chunk, pageToken) => {
          const res = await http.json({
            method: "POST",
            path: `${base}/credentials-for-${mode === "read" ? "download" : "upload"}`,
            json: { paths: chunk, ...(pageToken ? { page_token: pageToken } : {}) },
            retrySafe: true,
            ...options,
            schema: loggedModelCredentialsPage,
          });
          return { infos: res.credentials, next: res.next_page_token };
        },
        (info, path) => toArtifactCredential(info.credential_info, path),
        (info) => info.credential_info.path,
        `logged model ${modelId}`,
      ),
  };
}

/**
 * The files of a version of the Databricks workspace model registry (`models:/<name>/<version>`
 * whose files are under `dbfs:/databricks/mlflow-registry/`): listed with
 * `model-versions/list-artifacts`, read through `model-versions/get-signed-download-uri`. Read only.
 */
export function modelVersionArtifactResource(
  http: HttpClient,
  name: string,
  version: string,
): DatabricksArtifactResource {
  const label = `model version ${name}/${version}`;
  return {
    kind: "model-version",
    label,
    writable: false,
    listDirectory: (dir, options) =>
      listPages(
        http,
        dir,
        (pageToken) => ({
          method: "GET",
          path: `${MLFLOW_API}/model-versions/list-artifacts`,
          query: { name, version, path: dir, page_token: pageToken },
        }),
        options,
      ),
    credentials: async (mode, paths, options) => {
      if (mode === "write") throw new ValidationError(`The files of ${label} cannot be written`);
      const out: ArtifactCredential[] = [];
      for (const path of paths) {
        const res = await http.json({
          method: "GET",
          path: `${MLFLOW_API}/model-versions/get-signed-download-uri`,
          query: { name, version, path },
          ...options,
          schema: signedDownloadUri,
        });
        out.push(
          toArtifactCredential(
            { ...res, type: undefined },
            path,
            "SIGNED_URL" satisfies ArtifactCredentialType,
          ),
        );
      }
      return out;
    },
  };
}

/** Lists everything below `dir` of a resource, depth first, with bounded depth and entry count. */
export async function listResourceTree(
  resource: DatabricksArtifactResource,
  dir: string,
  options: CallOptions & { recursive?: boolean; maxEntries?: number; maxDepth?: number } = {},
): Promise<ArtifactFileInfo[]> {
  const maxEntries = options.maxEntries ?? 1_000_000;
  const maxDepth = options.maxDepth ?? 64;
  const out: ArtifactFileInfo[] = [];
  const stack: Array<{ dir: string; depth: number }> = [{ dir, depth: 0 }];
  while (stack.length > 0) {
    const next = stack.pop() as { dir: string; depth: number };
    const entries = await resource.listDirectory(next.dir, options);
    const dirs: string[] = [];
    for (const e of entries) {
      if (out.length >= maxEntries) {
        throw new ValidationError(`Artifact listing of ${resource.label} exceeded ${maxEntries} entries`);
      }
      out.push(e);
      if (e.isDir) dirs.push(e.path);
    }
    if (options.recursive === false) break;
    for (const d of dirs.reverse()) {
      if (next.depth + 1 > maxDepth) {
        throw new ValidationError(
          `Artifact tree of ${resource.label} is deeper than ${maxDepth} levels at "${d}"`,
        );
      }
      stack.push({ dir: d, depth: next.depth + 1 });
    }
  }
  return out;
}
