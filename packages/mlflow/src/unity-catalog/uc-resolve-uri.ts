import type { CallOptions } from "@modeltrail/core";
import { startCall } from "@modeltrail/core/internal";
import { parseMlflowUri, type ResolvedArtifactLocation } from "../uris.js";
import type { UnityCatalogRegistry } from "./uc-registry.js";
import { noStagesInUnityCatalog } from "./uc-rules.js";

/**
 * Resolves a `models:/<catalog.schema.model>/<version>` or `models:/<name>@<alias>` URI against the
 * Unity Catalog registry: the version (by number or alias) and where its files are
 * (`model-versions/get-download-uri`, the storage location UC assigned). Returns undefined for a
 * URI the registry does not own (`runs:/`, `mlflow-artifacts:/`, a logged model's `models:/m-...`),
 * which resolves on the tracking server as anywhere. Throws ValidationError for a stage or
 * `latest` (UC has no stages: use an alias) or a name that is not three-level, NotFoundError when
 * the version or alias does not exist, and the transport's errors.
 */
export async function resolveUcModelUri(
  registry: UnityCatalogRegistry,
  uri: string,
  options: CallOptions = {},
): Promise<ResolvedArtifactLocation | undefined> {
  const parsed = parseMlflowUri(uri);
  if (parsed.kind === "model-latest" || parsed.kind === "model-stage") {
    return noStagesInUnityCatalog(`Cannot resolve ${uri}`);
  }
  if (parsed.kind !== "model-version" && parsed.kind !== "model-alias") return undefined;
  const call = startCall(options);
  const mv =
    parsed.kind === "model-version"
      ? await registry.getModelVersion(parsed.name, parsed.version, call)
      : await registry.getVersionByAlias(parsed.name, parsed.alias, call);
  const artifactUri = await registry.getDownloadUri(mv.name, mv.version, call);
  return {
    uri,
    runId: mv.run_id || undefined,
    artifactUri,
    artifactRoot: artifactUri,
    path: "",
    modelVersion: mv,
  };
}
