import { DEPRECATED_DYNAMIC_VALUES, DYNAMIC_VALUE_NAMESPACES } from "../dynamic-values.js";

/**
 * Names a job template cannot use as variables: the Databricks dynamic value namespaces (`job`, `task`,
 * `tasks`, `workspace`, `backfill`, `input`) and the deprecated references (`run_id`, `job_id`, ...), which
 * Databricks resolves when the job runs.
 */
export const DATABRICKS_RESERVED_NAMES: ReadonlySet<string> = new Set<string>([
  ...DYNAMIC_VALUE_NAMESPACES,
  ...Object.keys(DEPRECATED_DYNAMIC_VALUES),
]);

/** Every name a job template cannot bind: the Databricks names and `ctx` (the trace context). */
export const RESERVED_TEMPLATE_NAMES: ReadonlySet<string> = new Set<string>([
  "ctx",
  ...DATABRICKS_RESERVED_NAMES,
]);
