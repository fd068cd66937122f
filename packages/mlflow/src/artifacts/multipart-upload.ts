import { type CallOptions, ValidationError } from "@modeltrail/core";
import { type HttpClient, pickCallOptions, registerSecret } from "@modeltrail/core/internal";
import { z } from "zod";
import { proxyUrlPath } from "./artifact-location.js";
import { runBounded } from "./bounded.js";
import { fileBodyFactory } from "./file-body.js";

/** Multipart upload settings; used only when the server's artifact store supports it. */
export interface MultipartOptions {
  /** Files at least this large try multipart first (default 500 MiB, as MLflow). */
  minFileSize: number;
  /** Size of each part (default 10 MiB, as MLflow); the last part is smaller. */
  partSize: number;
}

/** MLflow's defaults (MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE, MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE). */
export const DEFAULT_MULTIPART: MultipartOptions = { minFileSize: 500 * 1024 ** 2, partSize: 10 * 1024 ** 2 };

const MPU_ROUTE = "/api/2.0/mlflow-artifacts/mpu";

const createResponseSchema = z.object({
  upload_id: z.string().optional(),
  credentials: z.array(
    z.object({
      url: z.string(),
      part_number: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
      headers: z.record(z.string(), z.string()).optional(),
    }),
  ),
});

/** One multipart upload to run. */
export interface MultipartJob {
  /** Proxy path of the destination directory (relative to the proxy root, "" for the root). */
  dirPath: string;
  /** File name the artifact gets in that directory. */
  fileName: string;
  localPath: string;
  size: number;
  partSize: number;
  concurrency: number;
  /** Stops the upload (the part uploads get their own signal, linked to it). */
  signal?: AbortSignal | undefined;
  /**
   * The caller's per-call options for the requests to the tracking server; the part uploads to
   * presigned URLs get them without `headers`, which are meant for the tracking server only.
   */
  call?: CallOptions | undefined;
  /** Bytes sent; negative when a retried part discards bytes already counted. */
  onBytes?: (n: number) => void;
}

/**
 * Uploads a file with MLflow's proxied multipart protocol: `POST mpu/create/<dir>` with
 * `{ path: fileName, num_parts }` returns an `upload_id` and one presigned `credentials[i].url` per
 * part; each part is PUT to its URL with the credential's headers (streamed from disk, retried by
 * the transport; no modeltrail credentials are sent to another origin); `POST mpu/complete/<dir>`
 * with `{ path, upload_id, parts: [{ part_number, etag, url }] }` finishes it, and on any failure
 * `POST mpu/abort/<dir>` with `{ path, upload_id }` cleans up. Returns "unsupported" when the server
 * answers create with 501 NOT_IMPLEMENTED (e.g. a local-filesystem artifact store). Throws ApiError,
 * NetworkError, ValidationError (bad create response), AbortError.
 */
export async function multipartUpload(http: HttpClient, job: MultipartJob): Promise<"done" | "unsupported"> {
  const numParts = Math.max(1, Math.ceil(job.size / job.partSize));
  const toServer = pickCallOptions(job.call);
  const { headers: _serverOnly, ...toStorage } = toServer;
  const createRes = await http.request({
    ...toServer,
    method: "POST",
    path: proxyUrlPath(`${MPU_ROUTE}/create`, job.dirPath),
    json: { path: job.fileName, num_parts: numParts },
    headers: { ...toServer.headers, accept: "application/json" },
    signal: job.signal,
    okStatuses: [501],
  });
  if (createRes.status === 501) {
    await createRes.dump();
    return "unsupported";
  }
  const parsed = createResponseSchema.safeParse(await createRes.json());
  if (!parsed.success) throw ValidationError.fromZod("multipart upload create response", parsed.error);
  const { upload_id: uploadId, credentials } = parsed.data;
  for (const cred of credentials) registerPresignedSecrets(cred.url, cred.headers);
  if (credentials.length !== numParts) {
    throw new ValidationError(
      `Multipart create for "${job.fileName}" returned ${credentials.length} part URLs, expected ${numParts}`,
    );
  }
  const parts: Array<{ part_number: number; etag: string; url: string }> = [];
  try {
    const ordered = [...credentials].sort((a, b) => a.part_number - b.part_number);
    await runBounded(
      ordered,
      job.concurrency,
      async (cred, i, signal) => {
        const start = i * job.partSize;
        const end = Math.min(job.size, start + job.partSize) - 1;
        const res = await http.request({
          ...toStorage,
          method: "PUT",
          path: cred.url,
          headers: { ...cred.headers, "content-length": String(end - start + 1) },
          body: fileBodyFactory(job.localPath, job.size, { start, end }, job.onBytes),
          signal,
        });
        await res.dump();
        parts[i] = { part_number: cred.part_number, etag: res.headers.etag ?? "", url: cred.url };
      },
      job.signal,
    );
    const done = await http.request({
      ...pickCallOptions(job.call),
      method: "POST",
      path: proxyUrlPath(`${MPU_ROUTE}/complete`, job.dirPath),
      json: { path: job.fileName, upload_id: uploadId, parts },
      signal: job.signal,
      retrySafe: true,
    });
    await done.dump();
    return "done";
  } catch (err) {
    try {
      const res = await http.request({
        method: "POST",
        path: proxyUrlPath(`${MPU_ROUTE}/abort`, job.dirPath),
        json: { path: job.fileName, upload_id: uploadId },
        ...(toServer.headers ? { headers: toServer.headers } : {}),
        retrySafe: true,
        retry: { maxRetries: 1 },
      });
      await res.dump();
    } catch {
      // the original failure matters more than a failed clean-up
    }
    throw err;
  }
}

/** Query parameters of presigned URLs (S3, GCS, Azure SAS) and headers that carry credentials. */
const SECRET_NAME = /signature|sig$|token|credential|key|secret|auth/i;

/**
 * Registers the credential parts of a presigned part URL and its headers as secrets, so that an
 * error naming the URL (a failed part PUT) never shows them.
 */
export function registerPresignedSecrets(url: string, headers: Record<string, string> | undefined): void {
  try {
    for (const [name, value] of new URL(url).searchParams) if (SECRET_NAME.test(name)) registerSecret(value);
  } catch {
    // not a URL: the request will fail with a clear error
  }
  for (const [name, value] of Object.entries(headers ?? {}))
    if (SECRET_NAME.test(name)) registerSecret(value);
}
