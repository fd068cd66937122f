/**
 * Returns a generator of numeric ids shaped like Databricks ids (16 digits, within
 * `Number.MAX_SAFE_INTEGER`), increasing, and distinct across generators created in different
 * milliseconds. Local runs use them for job ids, run ids and task run ids, so code that parses ids
 * as numbers works unchanged. Never throws.
 */
export function createLocalIdGenerator(now: () => number = Date.now): () => number {
  let next = 1_000_000_000_000_000 + (now() % 1_000_000_000_000) * 1000;
  return () => next++;
}
