import type { SourceResult } from "./types.js";

/**
 * Runtime facts of this process: `environment.runtime.node` = `process.versions.node` (or the
 * `node` entry of the given versions). The Python version is not probed (it would need a
 * subprocess); pass `environment.runtime.python` as an override when it matters. Never throws.
 */
export function detectRuntime(
  versions: Readonly<Record<string, string | undefined>> = process.versions,
): SourceResult {
  const node = versions.node;
  return { source: "runtime", context: node ? { environment: { runtime: { node } } } : {} };
}
