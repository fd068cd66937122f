import { runIdOf } from "@modeltrail/core";
import { type MlflowClient, tagsToRecord, traceOfModelVersion } from "@modeltrail/mlflow";
import { dim, green, heading, say, short, table } from "../lib/print.ts";
import { IMAGE_NAME } from "./build-image.ts";

/** The alias CD deploys. */
export const CHAMPION = "champion";

/** Prints the versions of a model with their trace tags and aliases, newest first. */
export async function printVersions(
  client: MlflowClient,
  name: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<void> {
  heading(`client.modelVersions.listForModel("${name}")`);
  const versions = [];
  for await (const mv of client.modelVersions.listForModel(name, { signal: options.signal }))
    versions.push(mv);
  versions.sort((a, b) => Number(b.version) - Number(a.version));
  for (const mv of versions) {
    const t = tagsToRecord(mv.tags);
    say(
      `v${mv.version}  run ${mv.run_id}  GIT_SHA=${short(t.GIT_SHA)} DBR_JOB_ID=${t.DBR_JOB_ID} DBR_RUN_ID=${t.DBR_RUN_ID}${mv.aliases.length ? `  ${green(mv.aliases.map((a) => `@${a}`).join(" "))}` : ""}`,
      4,
    );
  }
}

/**
 * Points `models:/<name>@champion` at `version` (what CD deploys) and prints where it now leads:
 * the version, its artifacts, and the image that belongs to it, named with the version's run id (the
 * Databricks job run id from its tags, `runIdOf`). Throws NotFoundError for an unknown version, and
 * the client's errors.
 */
export async function moveChampion(
  client: MlflowClient,
  name: string,
  version: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<{ version: string; runId: string }> {
  const { signal } = options;
  await client.registeredModels.setAlias(name, CHAMPION, version, { signal });
  const mv = await client.registeredModels.getVersionByAlias(name, CHAMPION, { signal });
  const loc = await client.resolveUri(`models:/${name}@${CHAMPION}`, { signal });
  const trace = await traceOfModelVersion(client, name, mv.version, { signal });
  const runId = runIdOf(trace)?.runId ?? "";
  table([
    [
      `models:/${name}@${CHAMPION}`,
      `-> v${mv.version}  ${dim(`(setAlias("${name}", "${CHAMPION}", "${version}"))`)}`,
    ],
    ["artifacts", loc.artifactUri],
    ["image to deploy", `${IMAGE_NAME}:${runId}`],
  ]);
  return { version: mv.version, runId };
}
