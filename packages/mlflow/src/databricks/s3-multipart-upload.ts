import { type CallOptions, ValidationError } from "@modeltrail/core";
import { type HttpClient, pickCallOptions } from "@modeltrail/core/internal";
import { z } from "zod";
import { MLFLOW_API } from "../api-path.js";
import { runBounded } from "../artifacts/bounded.js";
import { fileBodyFactory } from "../artifacts/file-body.js";
import { artifactCredentialInfoSchema, toArtifactCredential } from "./artifact-credentials.js";
import { isCredentialRefused, storageCallOptions } from "./storage-request.js";
import type { StorageTransport } from "./storage-transport.js";

/** One file to upload to S3 in parts through the workspace's multipart endpoints. */
export interface S3MultipartJob {
  /** Run (or logged model) id the workspace keys the upload by. */
  resourceId: string;
  /** Artifact path relative to the resource root. */
  path: string;
  localPath: string;
  size: number;
  /** Part size (MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE; S3 needs 5 MiB to 5 GiB). */
  partSize: number;
  concurrency: number;
  signal: AbortSignal;
  /** The caller\'s per-call options (storage requests get them without `headers`). */
  call?: CallOptions | undefined;
  onBytes: (n: number) => void;
}

const createResponse = z.looseObject({
  upload_id: z.string().min(1),
  upload_credential_infos: z.array(artifactCredentialInfoSchema).default([]),
  abort_credential_info: artifactCredentialInfoSchema.optional(),
});

const partUrlResponse = z.looseObject({ upload_credential_info: artifactCredentialInfoSchema });

/** S3's part size limits. */
export const S3_MIN_PART_SIZE = 5 * 1024 ** 2;
/** S3's largest part. */
export const S3_MAX_PART_SIZE = 5 * 1024 ** 3;

/**
 * Uploads a large file to S3 the way MLflow's Databricks artifact repository does:
 * `artifacts/create-multipart-upload` (`{run_id, path, num_parts}`) returns an upload id and one
 * presigned URL per part; each part is PUT to its URL (streamed from disk, with bounded
 * concurrency) and its ETag kept; a part whose URL was refused (401/403) gets a new one from
 * `artifacts/get-presigned-upload-part-url`; `artifacts/complete-multipart-upload` with the part
 * ETags finishes it, and on any failure the upload is aborted with the abort URL. Throws
 * ValidationError for a part size S3 refuses or a bad response, ApiError, NetworkError, AbortError.
 */
export async function uploadS3Multipart(
  workspace: HttpClient,
  transport: StorageTransport,
  job: S3MultipartJob,
): Promise<void> {
  if (job.partSize < S3_MIN_PART_SIZE || job.partSize > S3_MAX_PART_SIZE) {
    throw new ValidationError(
      `Multipart chunk size ${job.partSize} bytes is outside S3's range (5 MiB to 5 GiB)`,
      { issues: [{ path: "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", message: "must be 5 MiB to 5 GiB for S3" }] },
    );
  }
  const numParts = Math.max(1, Math.ceil(job.size / job.partSize));
  const created = await workspace.json({
    ...pickCallOptions(job.call),
    method: "POST",
    path: `${MLFLOW_API}/artifacts/create-multipart-upload`,
    json: { run_id: job.resourceId, path: job.path, num_parts: numParts },
    signal: job.signal,
    schema: createResponse,
  });
  const uploadId = created.upload_id;
  if (created.upload_credential_infos.length !== numParts) {
    throw new ValidationError(
      `create-multipart-upload returned ${created.upload_credential_infos.length} part URLs for ${numParts} parts of "${job.path}"`,
    );
  }
  const partCreds = created.upload_credential_infos.map((c) =>
    toArtifactCredential(c, job.path, "AWS_PRESIGNED_URL"),
  );
  const abort = created.abort_credential_info
    ? toArtifactCredential(created.abort_credential_info, job.path, "AWS_PRESIGNED_URL")
    : undefined;
  const etags: string[] = new Array(numParts);
  try {
    await runBounded(
      partCreds.map((_, i) => i),
      job.concurrency,
      async (i, _index, signal) => {
        const start = i * job.partSize;
        const end = Math.min(job.size, start + job.partSize) - 1;
        const put = async (signedUri: string, headers: Record<string, string>): Promise<string> => {
          const http = await transport.client(signedUri, headers);
          const res = await http.request({
            ...storageCallOptions(job.call),
            method: "PUT",
            path: signedUri,
            headers: { "content-length": String(end - start + 1) },
            body: fileBodyFactory(job.localPath, job.size, { start, end }, job.onBytes),
            signal,
          });
          await res.dump();
          const etag = res.headers.etag;
          if (!etag) throw new ValidationError(`S3 returned no ETag for part ${i + 1} of "${job.path}"`);
          return etag;
        };
        const cred = partCreds[i]!;
        try {
          etags[i] = await put(cred.signedUri, cred.headers);
        } catch (err) {
          if (!isCredentialRefused(err)) throw err;
          const fresh = await workspace.json({
            ...pickCallOptions(job.call),
            method: "GET",
            path: `${MLFLOW_API}/artifacts/get-presigned-upload-part-url`,
            query: { run_id: job.resourceId, path: job.path, upload_id: uploadId, part_number: i + 1 },
            signal,
            schema: partUrlResponse,
          });
          const next = toArtifactCredential(fresh.upload_credential_info, job.path, "AWS_PRESIGNED_URL");
          etags[i] = await put(next.signedUri, next.headers);
        }
      },
      job.signal,
    );
    await workspace.json({
      ...pickCallOptions(job.call),
      method: "POST",
      path: `${MLFLOW_API}/artifacts/complete-multipart-upload`,
      json: {
        run_id: job.resourceId,
        path: job.path,
        upload_id: uploadId,
        part_etags: etags.map((etag, i) => ({ part_number: i + 1, etag })),
      },
      retrySafe: true,
      signal: job.signal,
    });
  } catch (err) {
    if (abort) {
      try {
        const http = await transport.client(abort.signedUri, abort.headers);
        const res = await http.request({ method: "DELETE", path: abort.signedUri, retry: { maxRetries: 1 } });
        await res.dump();
      } catch {
        // the original failure matters more than a failed clean-up
      }
    }
    throw err;
  }
}
