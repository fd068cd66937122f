/**
 * Splits a Unity Catalog registry URI, `databricks-uc` or `databricks-uc://PROFILE` (MLflow's
 * `MLFLOW_REGISTRY_URI`); undefined for anything else.
 */
export function parseUcRegistryUri(uri: string | undefined): { profile: string | undefined } | undefined {
  const u = uri?.trim();
  if (u === "databricks-uc") return { profile: undefined };
  const m = /^databricks-uc:\/\/([^/:]*)(?::[^/]*)?\/?$/.exec(u ?? "");
  if (!m) return undefined;
  return { profile: m[1] === "" ? undefined : m[1] };
}
