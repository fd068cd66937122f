import { ValidationError } from "../errors/validation-error.js";
import { envValue, fullSha } from "./env-values.js";
import type { DetectInputs, SourceResult } from "./types.js";

/**
 * A serving container (or any process) that received its lineage through environment variables,
 * as written by the `toEnv` codec: `GIT_SHA`, `RUN_ID`, `JOB_ID` and the namespaced set.
 *
 * TODO(codecs): decode with `fromEnv` (packages/core/src/codecs/env.ts) once it lands, so that every
 * variable `toEnv` writes is read back. Until then only `GIT_SHA` is read (-> `code.gitSha`).
 *
 * Returns undefined when none of the variables is set. Throws `ValidationError` when `GIT_SHA` is
 * set but is not a full 40-hex-digit SHA.
 */
export function detectFromContainerEnv(inputs: Pick<DetectInputs, "env">): SourceResult | undefined {
  const raw = envValue(inputs.env, "GIT_SHA");
  if (raw === undefined) return undefined;
  const gitSha = fullSha(raw);
  if (!gitSha) {
    throw new ValidationError("Invalid lineage in the environment", {
      issues: [{ path: "GIT_SHA", message: "must be a full 40-hex-digit commit SHA" }],
    });
  }
  return { source: "container", context: { code: { gitSha } } };
}
