import type { CallOptions } from "@modeltrail/core";

/** Prefix of MLflow's tracking and registry REST API (2.0). */
export const MLFLOW_API = "/api/2.0/mlflow";

/** Options every call accepts: core's per-call options (signal, timeout, deadline, retry, headers). */
export type { CallOptions };

/** Options of the list calls that page through results. */
export interface PageOptions extends CallOptions {
  /** Results per page requested from the server. */
  pageSize?: number | undefined;
  /** Stops after this many pages (guard against looping servers; default 10 000). */
  maxPages?: number | undefined;
}

/** Quotes a string literal for an MLflow search filter (`name = 'x'`). */
export function filterLiteral(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  return `'${value.replace(/'/g, "\\'")}'`;
}

/** Quotes an identifier (a tag key) for an MLflow search filter: backticks when it is not plain. */
export function filterIdentifier(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `\`${key}\``;
}
