import { ValidationError } from "@modeltrail/core";
import { type HttpClient, pickCallOptions, startCall } from "@modeltrail/core/internal";
import { assertSafeArtifactPath, joinArtifactPath } from "../artifacts/artifact-path.js";
import { runBounded } from "../artifacts/bounded.js";
import { toAbortError } from "../artifacts/download-file.js";
import { ProgressReporter, type ProgressReporterOptions } from "../artifacts/progress.js";
import type { TransferOptions, UploadedFile, UploadResult } from "../artifacts/types.js";
import type { UploadItem } from "../artifacts/upload.js";
import { uploadAdls } from "./adls-upload.js";
import type { ArtifactCredential } from "./artifact-credentials.js";
import type { DatabricksArtifactResource } from "./artifact-resources.js";
import { uploadAzureBlob } from "./azure-blob-upload.js";
import { CredentialPool, type CredentialPoolOptions } from "./credential-pool.js";
import { uploadS3Multipart } from "./s3-multipart-upload.js";
import { uploadToSignedUrl } from "./signed-url-upload.js";
import type { CredentialHandle } from "./storage-request.js";
import type { StorageTransport } from "./storage-transport.js";
import type { DatabricksTransferSettings } from "./transfer-settings.js";

/** What an upload to a Databricks cloud store needs beyond its arguments. */
export interface ResourceUploadSettings {
  concurrency: number;
  progress?: ProgressReporterOptions | undefined;
  transfer: DatabricksTransferSettings;
  pool?: CredentialPoolOptions | undefined;
}

/**
 * Uploads local files into the directory `targetPath` of a resource (run or logged model): write
 * credentials are fetched in batches of 50 (as MLflow) just before the files need them, then each
 * file goes straight to the cloud store with its protocol: Azure blocks, ADLS Gen2 appends, a
 * presigned S3 PUT (or S3 multipart through the workspace for files above the multipart
 * threshold), a GCS signed PUT. Files run with bounded concurrency; a refused credential is
 * replaced and the step repeated. Every path is checked before the first request. Throws
 * ValidationError, ApiError, NetworkError, TimeoutError, AbortError.
 */
export async function uploadResourceFiles(
  workspace: HttpClient,
  transport: StorageTransport,
  resource: DatabricksArtifactResource,
  resourceId: string,
  targetPath: string,
  items: readonly UploadItem[],
  settings: ResourceUploadSettings,
  options: TransferOptions = {},
): Promise<UploadResult> {
  if (!resource.writable) throw new ValidationError(`The artifacts of ${resource.label} cannot be written`);
  for (const item of items) assertSafeArtifactPath(item.path, "artifact path");
  const fulls = items.map((i) => joinArtifactPath(targetPath, i.path));
  const progress = new ProgressReporter("upload", options.onProgress, settings.progress);
  progress.setTotals(
    items.length,
    items.reduce((a, i) => a + i.size, 0),
  );
  const call = startCall(options);
  const pool = new CredentialPool(resource, "write", fulls, pickCallOptions(call), {
    batchSize: 50,
    ...settings.pool,
  });
  const concurrency = options.concurrency ?? settings.concurrency;
  const t = settings.transfer;
  const done: UploadedFile[] = new Array(items.length);
  try {
    await runBounded(
      items,
      concurrency,
      async (item, i, signal) => {
        const full = fulls[i] as string;
        const onBytes = (n: number): void => progress.addBytes(n, item.path);
        const handle = credentialHandle(pool, full);
        const cred = await handle.current();
        let multipart = false;
        const common = { localPath: item.localPath, size: item.size, signal, call, onBytes };
        switch (cred.type) {
          case "AZURE_SAS_URI":
            multipart = item.size > t.uploadChunkSize;
            await uploadAzureBlob(transport, handle, {
              ...common,
              chunkSize: t.uploadChunkSize,
              concurrency,
            });
            break;
          case "AZURE_ADLS_GEN2_SAS_URI":
            multipart = item.size > t.uploadChunkSize;
            await uploadAdls(transport, handle, { ...common, chunkSize: t.uploadChunkSize, concurrency });
            break;
          case "AWS_PRESIGNED_URL":
            if (t.multipartUpload && item.size > t.multipartUploadMinSize) {
              multipart = true;
              await uploadS3Multipart(workspace, transport, {
                ...common,
                resourceId,
                path: full,
                partSize: t.uploadChunkSize,
                concurrency,
              });
            } else await uploadToSignedUrl(transport, handle, common);
            break;
          default:
            await uploadToSignedUrl(transport, handle, common);
        }
        done[i] = { localPath: item.localPath, path: item.path, size: item.size, multipart };
        progress.fileDone(item.path);
      },
      options.signal,
    );
  } catch (err) {
    if (options.signal?.aborted) throw toAbortError(options.signal, targetPath || "(root)");
    throw err;
  }
  progress.finish();
  return { files: done, bytes: done.reduce((a, f) => a + f.size, 0) };
}

/** A file's credential: from the pool, replaced once per refusal (shared by concurrent steps). */
function credentialHandle(pool: CredentialPool, path: string): CredentialHandle {
  let latest: ArtifactCredential | undefined;
  let refreshing: Promise<ArtifactCredential> | undefined;
  return {
    async current() {
      latest ??= await pool.get(path);
      return latest;
    },
    refresh(refused) {
      if (latest !== undefined && latest !== refused) return Promise.resolve(latest);
      refreshing ??= pool.refresh(path).then((c) => {
        latest = c;
        refreshing = undefined;
        return c;
      });
      return refreshing;
    },
  };
}
