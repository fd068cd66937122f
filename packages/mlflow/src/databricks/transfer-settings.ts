import { ConfigError } from "@modeltrail/core";
import { DEFAULT_RANGED, type RangedDownloadOptions } from "../artifacts/ranged-download.js";

/** How files move to and from a Databricks workspace's cloud store, from MLflow's env vars. */
export interface DatabricksTransferSettings {
  /** Block, append and part size of uploads (`MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE`, default 10 MiB). */
  uploadChunkSize: number;
  /** S3 files larger than this go through multipart upload (`MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`, default 500 MiB). */
  multipartUploadMinSize: number;
  /** S3 multipart uploads on (`MLFLOW_ENABLE_MULTIPART_UPLOAD`, default true). */
  multipartUpload: boolean;
  /**
   * Parallel ranged downloads of large files (`MLFLOW_ENABLE_MULTIPART_DOWNLOAD`; threshold
   * `MLFLOW_MULTIPART_DOWNLOAD_MINIMUM_FILE_SIZE`, range size `MLFLOW_MULTIPART_DOWNLOAD_CHUNK_SIZE`;
   * modeltrail's own 64 MiB / 16 MiB when those are unset), or false.
   */
  ranged: RangedDownloadOptions | false;
}

/**
 * Reads the transfer settings from MLflow's environment variables; explicit `rangedDownload`
 * settings of the client win over the download variables. Throws ConfigError naming the variable
 * when a size is not a positive integer or a flag is not true/false.
 */
export function databricksTransferSettings(
  env: Record<string, string | undefined>,
  rangedOverride?: Partial<RangedDownloadOptions> | false,
): DatabricksTransferSettings {
  const size = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) <= 0) {
      throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a positive number of bytes`, {
        sources: [name],
      });
    }
    return Number(raw);
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === "") return fallback;
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not true or false`, { sources: [name] });
  };
  const downloadOn = flag("MLFLOW_ENABLE_MULTIPART_DOWNLOAD", true);
  const ranged: RangedDownloadOptions | false =
    rangedOverride === false || !downloadOn
      ? false
      : {
          minFileSize: size("MLFLOW_MULTIPART_DOWNLOAD_MINIMUM_FILE_SIZE", DEFAULT_RANGED.minFileSize),
          chunkSize: size("MLFLOW_MULTIPART_DOWNLOAD_CHUNK_SIZE", DEFAULT_RANGED.chunkSize),
          ...rangedOverride,
        };
  return {
    uploadChunkSize: size("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", 10 * 1024 ** 2),
    multipartUploadMinSize: size("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", 500 * 1024 ** 2),
    multipartUpload: flag("MLFLOW_ENABLE_MULTIPART_UPLOAD", true),
    ranged,
  };
}
