import { v5 as uuidv5 } from "uuid";

/** The UUID namespace of modeltrail's run ids (a fixed random UUID; never change it). */
export const MODELTRAIL_UUID_NAMESPACE = "6f1c7a44-3a55-4c0e-9f5e-2d8b0e3c7a91";

/**
 * The OpenLineage run id (a UUID, as the spec requires) of a run known by its id in its own system:
 * a name-based UUID (version 5) of `parts`, e.g. `["databricks://adb-1.azuredatabricks.net",
 * "job-run", "1795788642450001"]`. The same parts always give the same UUID, so START and COMPLETE
 * of a run share it, an export repeated from a trace sends the same run again instead of a new one,
 * and a run can name its parent (the CI run) without having seen the parent's events. Never throws.
 */
export function openLineageRunId(...parts: string[]): string {
  return uuidv5(JSON.stringify(parts), MODELTRAIL_UUID_NAMESPACE);
}
