import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CallOptions, NotFoundError } from "@modeltrail/core";
import type { MlflowClient } from "@modeltrail/mlflow";
import { parse, stringify } from "yaml";
import { isZipFile, zipContentDigest } from "./zip-content-digest.js";

/** One artifact file with its digest. */
export interface ArtifactDigest {
  /** Path relative to the artifact directory, `/`-separated. */
  path: string;
  size: number;
  /** `sha256:<hex>` of the bytes. */
  digest: string;
  /**
   * A digest of what the file means rather than its bytes, so that two runs that produced the same
   * model compare equal: for an MLflow `MLmodel` file its YAML without the fields MLflow writes anew
   * for every run ({@link MLMODEL_VOLATILE_FIELDS}); for a ZIP archive (MLflow's `skops` format, a
   * wheel, ...) its entries' names and content digests, without timestamps; for a skops model its
   * canonical form, without the memory addresses it names arrays and objects by (see `zipContentDigest`).
   */
  normalizedDigest?: string | undefined;
  /** What `normalizedDigest` leaves out, for the report. */
  normalizedBy?: "mlmodel" | "zip" | "skops" | undefined;
}

/**
 * Fields of an MLflow `MLmodel` file that differ between two runs that trained the same model: the
 * run, the time, the model's own uuid and id, the artifact path it was logged under.
 */
export const MLMODEL_VOLATILE_FIELDS = [
  "run_id",
  "utc_time_created",
  "model_uuid",
  "model_id",
  "artifact_path",
] as const;

/** The MLflow client parts {@link runArtifactDigests} reads with. */
export type ArtifactReader = Pick<MlflowClient, "artifacts">;

/**
 * Downloads the artifacts of an MLflow run below `artifactPath` (`runs:/<run>/<path>`) into a
 * private temporary directory, computes each file's sha256 and removes the copies. Returns
 * `undefined` when the run has nothing at that path. Throws the MLflow client's errors (ApiError,
 * NetworkError, TimeoutError, AbortError).
 */
export async function runArtifactDigests(
  client: ArtifactReader,
  mlflowRunId: string,
  artifactPath: string,
  options: CallOptions & { tempDir?: string | undefined } = {},
): Promise<ArtifactDigest[] | undefined> {
  const { tempDir, ...call } = options;
  const dir = await mkdtemp(join(tempDir ?? tmpdir(), "modeltrail-reproduce-artifacts-"));
  try {
    let result: Awaited<ReturnType<MlflowClient["artifacts"]["downloadTree"]>>;
    try {
      result = await client.artifacts.downloadTree(`runs:/${mlflowRunId}/${artifactPath}`, dir, call);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    if (result.files.length === 0) return undefined;
    const out: ArtifactDigest[] = [];
    for (const f of result.files) {
      const entry: ArtifactDigest = { path: f.path, size: f.size, digest: await sha256File(f.localPath) };
      if (f.path === "MLmodel" || f.path.endsWith("/MLmodel")) {
        entry.normalizedDigest = await normalizedMlmodelDigest(f.localPath);
        entry.normalizedBy = "mlmodel";
      } else if (await isZipFile(f.localPath)) {
        const content = await zipContentDigest(f.localPath);
        if (content) {
          entry.normalizedDigest = content.digest;
          entry.normalizedBy = content.kind;
        }
      }
      out.push(entry);
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The sha256 of an MLmodel file's YAML without the volatile fields; undefined when it is not a YAML mapping. */
async function normalizedMlmodelDigest(path: string): Promise<string | undefined> {
  let doc: unknown;
  try {
    doc = parse(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return undefined;
  const kept = { ...(doc as Record<string, unknown>) };
  for (const field of MLMODEL_VOLATILE_FIELDS) delete kept[field];
  return `sha256:${createHash("sha256")
    .update(stringify(kept, { sortMapEntries: true }))
    .digest("hex")}`;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(`sha256:${hash.digest("hex")}`));
  });
}
