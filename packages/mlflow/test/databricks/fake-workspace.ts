import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http, type RequestHandler } from "msw";
import type { CloudStore } from "./cloud-stores.js";
import { s3Multipart } from "./cloud-stores.js";
import { memoryAdlsStore, memoryGcsStore } from "./memory-stores.js";

/** A run or logged model of the fake workspace and the store that holds its artifacts. */
interface Resource {
  experimentId: string;
  store: CloudStore;
  /** Key prefix of its artifacts in the store (`<exp>/<run>/artifacts`). */
  prefix: string;
  name?: string;
  sourceRunId?: string;
}

/** Workspace behaviour a test can change. */
export interface FakeWorkspaceState {
  /** Lifetime of signed URLs handed out, in seconds (default 3600). */
  ttlSeconds: number;
  /** Paths of every credentials request, in order. */
  credentialRequests: Array<{ mode: "read" | "write"; paths: string[] }>;
  /** Page size of artifacts/list (default 1000). */
  listPageSize: number;
  /** The next this-many signed URLs handed out have a broken signature (the store answers 403). */
  corruptNext: number;
  /** Every signed URL handed out (to check that none leaks into errors or logs). */
  issued: string[];
}

/** The workspace side of a Databricks-hosted MLflow (tracking API, credential endpoints) as msw handlers. */
export interface FakeWorkspace {
  server: MswServer;
  url: string;
  state: FakeWorkspaceState;
  /** In-memory ADLS Gen2 and GCS stores served by the fake itself. */
  adls: CloudStore;
  gcs: CloudStore;
  /** Registers a run whose artifacts are in `store`; returns its artifact_uri. */
  addRun(runId: string, store: CloudStore, experimentId?: string): string;
  /** Registers an MLflow 3 logged model; returns its artifact_uri. */
  addLoggedModel(
    modelId: string,
    store: CloudStore,
    options?: { experimentId?: string; name?: string; sourceRunId?: string },
  ): string;
  close(): Promise<void>;
}

const err = (status: number, error_code: string, message: string) =>
  HttpResponse.json({ error_code, message }, { status });

/**
 * Starts a fake Databricks workspace: runs/get, artifacts/list, credentials-for-read/-write,
 * logged-models (get, search, artifacts/directories, credentials-for-download/-upload) and the S3
 * multipart endpoints, written from databricks_artifacts.proto and service.proto, handing out real
 * SAS tokens (Azurite) and presigned URLs (moto) or signed URLs of its in-memory ADLS/GCS stores.
 */
export async function startFakeWorkspace(): Promise<FakeWorkspace> {
  const runs = new Map<string, Resource>();
  const models = new Map<string, Resource>();
  const state: FakeWorkspaceState = {
    ttlSeconds: 3600,
    credentialRequests: [],
    listPageSize: 1000,
    corruptNext: 0,
    issued: [],
  };
  let url = "";
  const adls = memoryAdlsStore(() => url, "mlflow");
  const gcs = memoryGcsStore(() => url, "mlflow");
  const uploads = new Map<string, { key: string; store: CloudStore }>();

  const listing = async (res: Resource, path: string, pageToken: string | null) => {
    const base = path === "" ? res.prefix : `${res.prefix}/${path}`;
    const objects = await res.store.list(`${base}`);
    const exact = objects.find((o) => o.key === base);
    const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
    if (exact && path !== "") entries.set(path, { path, is_dir: false, file_size: exact.size });
    else {
      for (const o of objects) {
        if (!o.key.startsWith(`${base}/`)) continue;
        const rest = o.key.slice(base.length + 1);
        const slash = rest.indexOf("/");
        const child =
          path === ""
            ? rest.slice(0, slash === -1 ? undefined : slash)
            : `${path}/${rest.slice(0, slash === -1 ? undefined : slash)}`;
        entries.set(
          child,
          slash === -1 ? { path: child, is_dir: false, file_size: o.size } : { path: child, is_dir: true },
        );
      }
    }
    const all = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
    const start = pageToken ? Number(pageToken) : 0;
    const page = all.slice(start, start + state.listPageSize);
    const next = start + state.listPageSize < all.length ? String(start + state.listPageSize) : undefined;
    return { files: page, ...(next ? { next_page_token: next } : {}) };
  };

  const credentials = async (res: Resource, mode: "read" | "write", paths: string[]) => {
    state.credentialRequests.push({ mode, paths });
    return Promise.all(
      paths.map(async (p) => {
        let uri = await res.store.signedUrl(`${res.prefix}/${p}`, mode, state.ttlSeconds);
        state.issued.push(uri);
        if (state.corruptNext > 0) {
          state.corruptNext--;
          uri = uri.replace(/([?&](?:sig|X-Amz-Signature|X-Goog-Signature)=)([^&]{4})/, "$1AAAA");
        }
        return { path: p, signed_uri: uri, type: res.store.type, headers: [] };
      }),
    );
  };

  const api = "*/api/2.0/mlflow";
  const handlers: RequestHandler[] = [
    ...adls.handlers,
    ...gcs.handlers,
    http.get(`${api}/runs/get`, ({ request }) => {
      const id = new URL(request.url).searchParams.get("run_id") ?? "";
      const r = runs.get(id);
      if (!r) return err(404, "RESOURCE_DOES_NOT_EXIST", `Run '${id}' not found.`);
      return HttpResponse.json({
        run: {
          info: {
            run_id: id,
            run_uuid: id,
            experiment_id: r.experimentId,
            artifact_uri: `dbfs:/databricks/mlflow-tracking/${r.prefix}`,
            status: "FINISHED",
            lifecycle_stage: "active",
          },
          data: {},
        },
      });
    }),
    http.get(`${api}/artifacts/list`, async ({ request }) => {
      const q = new URL(request.url).searchParams;
      const r = runs.get(q.get("run_id") ?? "");
      if (!r) return err(404, "RESOURCE_DOES_NOT_EXIST", "Run not found.");
      return HttpResponse.json(await listing(r, q.get("path") ?? "", q.get("page_token")));
    }),
    ...(["read", "write"] as const).map((mode) =>
      http.post(`${api}/artifacts/credentials-for-${mode}`, async ({ request }) => {
        const body = (await request.json()) as { run_id: string; path: string[] };
        const r = runs.get(body.run_id);
        if (!r) return err(404, "RESOURCE_DOES_NOT_EXIST", "Run not found.");
        const creds = await credentials(r, mode, body.path);
        return HttpResponse.json({ credential_infos: creds.map((c) => ({ ...c, run_id: body.run_id })) });
      }),
    ),
    http.get(`${api}/logged-models/:id`, ({ params }) => {
      const m = models.get(String(params.id));
      if (!m) return err(404, "RESOURCE_DOES_NOT_EXIST", "Logged model not found.");
      return HttpResponse.json({ model: { info: modelInfo(String(params.id), m) } });
    }),
    http.post(`${api}/logged-models/search`, async ({ request }) => {
      const body = (await request.json()) as { experiment_ids: string[]; filter?: string };
      const name = /name = '([^']*)'/.exec(body.filter ?? "")?.[1];
      const found = [...models].filter(
        ([, m]) => body.experiment_ids.includes(m.experimentId) && (name === undefined || m.name === name),
      );
      return HttpResponse.json({ models: found.map(([id, m]) => ({ info: modelInfo(id, m) })) });
    }),
    http.get(`${api}/logged-models/:id/artifacts/directories`, async ({ request, params }) => {
      const m = models.get(String(params.id));
      if (!m) return err(404, "RESOURCE_DOES_NOT_EXIST", "Logged model not found.");
      const q = new URL(request.url).searchParams;
      return HttpResponse.json(await listing(m, q.get("artifact_directory_path") ?? "", q.get("page_token")));
    }),
    ...(["download", "upload"] as const).map((op) =>
      http.post(`${api}/logged-models/:id/artifacts/credentials-for-${op}`, async ({ request, params }) => {
        const m = models.get(String(params.id));
        if (!m) return err(404, "RESOURCE_DOES_NOT_EXIST", "Logged model not found.");
        const body = (await request.json()) as { paths: string[] };
        const creds = await credentials(m, op === "download" ? "read" : "write", body.paths);
        return HttpResponse.json({
          credentials: creds.map((c) => ({ model_id: params.id, credential_info: c })),
        });
      }),
    ),
    http.post(`${api}/artifacts/create-multipart-upload`, async ({ request }) => {
      const body = (await request.json()) as { run_id: string; path: string; num_parts: number };
      const r = runs.get(body.run_id) ?? models.get(body.run_id);
      if (!r) return err(404, "RESOURCE_DOES_NOT_EXIST", "Run not found.");
      const s3 = r.store as CloudStore & {
        s3?: import("@aws-sdk/client-s3").S3Client;
        bucket?: string;
        presign?: (c: object, ttl: number) => Promise<string>;
      };
      if (!s3.s3 || !s3.presign || !s3.bucket)
        return err(400, "INVALID_PARAMETER_VALUE", "Multipart uploads are for S3 only");
      const key = `${r.prefix}/${body.path}`;
      const created = await s3.s3.send(new s3Multipart.create({ Bucket: s3.bucket, Key: key }));
      const uploadId = created.UploadId ?? "";
      uploads.set(uploadId, { key, store: r.store });
      const parts = await Promise.all(
        Array.from({ length: body.num_parts }, async (_, i) => ({
          run_id: body.run_id,
          path: body.path,
          type: "AWS_PRESIGNED_URL",
          headers: [],
          signed_uri: await s3.presign!(
            new s3Multipart.uploadPart({
              Bucket: s3.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: i + 1,
            }),
            state.ttlSeconds,
          ),
        })),
      );
      const abort = await s3.presign(
        new s3Multipart.abort({ Bucket: s3.bucket, Key: key, UploadId: uploadId }),
        state.ttlSeconds,
      );
      return HttpResponse.json({
        upload_id: uploadId,
        upload_credential_infos: parts,
        abort_credential_info: {
          run_id: body.run_id,
          path: body.path,
          type: "AWS_PRESIGNED_URL",
          signed_uri: abort,
          headers: [],
        },
      });
    }),
    http.get(`${api}/artifacts/get-presigned-upload-part-url`, async ({ request }) => {
      const q = new URL(request.url).searchParams;
      const up = uploads.get(q.get("upload_id") ?? "");
      if (!up) return err(404, "RESOURCE_DOES_NOT_EXIST", "Upload not found.");
      const s3 = up.store as CloudStore & {
        presign: (c: object, ttl: number) => Promise<string>;
        bucket: string;
      };
      const uri = await s3.presign(
        new s3Multipart.uploadPart({
          Bucket: s3.bucket,
          Key: up.key,
          UploadId: q.get("upload_id") ?? "",
          PartNumber: Number(q.get("part_number")),
        }),
        state.ttlSeconds,
      );
      return HttpResponse.json({
        upload_credential_info: { type: "AWS_PRESIGNED_URL", signed_uri: uri, headers: [] },
      });
    }),
    http.post(`${api}/artifacts/complete-multipart-upload`, async ({ request }) => {
      const body = (await request.json()) as {
        upload_id: string;
        part_etags: Array<{ part_number: number; etag: string }>;
      };
      const up = uploads.get(body.upload_id);
      if (!up) return err(404, "RESOURCE_DOES_NOT_EXIST", "Upload not found.");
      const s3 = up.store as CloudStore & { s3: import("@aws-sdk/client-s3").S3Client; bucket: string };
      await s3.s3.send(
        new s3Multipart.complete({
          Bucket: s3.bucket,
          Key: up.key,
          UploadId: body.upload_id,
          MultipartUpload: {
            Parts: body.part_etags.map((p) => ({ PartNumber: p.part_number, ETag: p.etag })),
          },
        }),
      );
      uploads.delete(body.upload_id);
      return HttpResponse.json({});
    }),
  ];
  const server = await startMswServer(...handlers);
  url = server.url;
  const resetHandlers = server.resetHandlers.bind(server);
  server.resetHandlers = () => {
    resetHandlers();
    state.credentialRequests.length = 0;
    state.ttlSeconds = 3600;
    state.listPageSize = 1000;
    state.corruptNext = 0;
    state.issued.length = 0;
  };
  return {
    server,
    url,
    state,
    adls: adls.store,
    gcs: gcs.store,
    addRun(runId, store, experimentId = "1") {
      const prefix = `${experimentId}/${runId}/artifacts`;
      runs.set(runId, { experimentId, store, prefix });
      return `dbfs:/databricks/mlflow-tracking/${prefix}`;
    },
    addLoggedModel(modelId, store, options = {}) {
      const experimentId = options.experimentId ?? "1";
      const prefix = `${experimentId}/logged_models/${modelId}/artifacts`;
      models.set(modelId, {
        experimentId,
        store,
        prefix,
        name: options.name,
        sourceRunId: options.sourceRunId,
      });
      return `dbfs:/databricks/mlflow-tracking/${prefix}`;
    },
    close: () => server.close(),
  };
}

function modelInfo(id: string, m: Resource) {
  return {
    model_id: id,
    experiment_id: m.experimentId,
    name: m.name ?? id,
    artifact_uri: `dbfs:/databricks/mlflow-tracking/${m.prefix}`,
    ...(m.sourceRunId ? { source_run_id: m.sourceRunId } : {}),
    creation_timestamp_ms: 1,
  };
}
