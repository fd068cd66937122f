import { redactedExcerpt } from "../redact.js";
import type { DetectEnv } from "./types.js";

const FULL_SHA = /^[0-9a-f]{40}$/i;

/** The trimmed value of an env variable, or undefined when unset or blank. */
export function envValue(env: DetectEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  return value === "" ? undefined : value;
}

/** The first of several env variables that has a value. */
export function firstEnvValue(env: DetectEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = envValue(env, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** True when the variable is set to `true` (any case), as CI systems set their marker variables. */
export function envFlag(env: DetectEnv, name: string): boolean {
  return envValue(env, name)?.toLowerCase() === "true";
}

/**
 * A full commit SHA (40 hex digits) in lower case, or undefined for anything else: symbolic names
 * such as `HEAD` (Buildkite), TFVC changeset numbers (Azure Pipelines), short SHAs.
 */
export function fullSha(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return FULL_SHA.test(v) ? v.toLowerCase() : undefined;
}

/**
 * The full commit SHA in env variable `name` ({@link fullSha}). A value that is set but is not a full
 * SHA is not used, and not ignored silently either: a warning naming the variable is pushed to
 * `warnings` (detection reports them in its result), so that a wrong commit source can be noticed.
 */
export function envSha(env: DetectEnv, name: string, warnings: string[]): string | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const sha = fullSha(raw);
  if (sha === undefined) {
    warnings.push(
      `${name}=${JSON.stringify(redactedExcerpt(raw, 60))} is not a full 40-character commit SHA; it was not used`,
    );
  }
  return sha;
}

/**
 * The branch name of a git ref: `refs/heads/feature/x` -> `feature/x`; undefined for tags
 * (`refs/tags/...`) and pull request refs (`refs/pull/...`, `refs/merge-requests/...`); any other
 * value is returned as is (providers that already give a short name).
 */
export function branchFromRef(ref: string | undefined): string | undefined {
  if (ref === undefined || ref === "") return undefined;
  if (ref.startsWith("refs/heads/")) return ref.slice("refs/heads/".length) || undefined;
  if (ref.startsWith("refs/")) return undefined;
  return ref;
}

/** Copies the defined values of `fields` into a new object (so that absent fields stay absent). */
export function defined<T extends object>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
