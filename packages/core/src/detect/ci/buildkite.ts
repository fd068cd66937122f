import { stripUrlCredentials } from "../../trace/strip-url-credentials.js";
import { defined, envFlag, envSha, envValue, firstEnvValue } from "../env-values.js";
import { cleanRepoUrl } from "../repo-url.js";
import type { DetectInputs, SourceResult } from "../types.js";

/**
 * Buildkite (`BUILDKITE=true`).
 * - `code.gitSha`: `BUILDKITE_COMMIT` when it is a full SHA (it may be the symbolic `HEAD` for
 *   manually created builds; then it is ignored and git supplies the SHA);
 * - `code.branch`: `BUILDKITE_BRANCH`; `code.repoUrl`: `BUILDKITE_REPO` without credentials;
 * - `ci`: run id `BUILDKITE_BUILD_ID` (a UUID; `BUILDKITE_BUILD_NUMBER` when unset), run URL
 *   `BUILDKITE_BUILD_URL`, workflow `BUILDKITE_PIPELINE_SLUG`, attempt `BUILDKITE_RETRY_COUNT + 1`
 *   (the job's retry count, 0 on the first attempt).
 * Returns undefined outside Buildkite. Never throws.
 */
export function detectBuildkite(inputs: Pick<DetectInputs, "env">): SourceResult | undefined {
  const { env } = inputs;
  if (!envFlag(env, "BUILDKITE")) return undefined;

  const repo = envValue(env, "BUILDKITE_REPO");
  const runUrl = envValue(env, "BUILDKITE_BUILD_URL");
  const warnings: string[] = [];
  const gitSha = envSha(env, "BUILDKITE_COMMIT", warnings);
  const retries = envValue(env, "BUILDKITE_RETRY_COUNT");
  const runAttempt = retries !== undefined && /^\d+$/.test(retries) ? String(Number(retries) + 1) : undefined;

  return {
    source: "buildkite",
    ...(warnings.length > 0 ? { warnings } : {}),
    context: {
      code: defined({
        gitSha,
        branch: envValue(env, "BUILDKITE_BRANCH"),
        repoUrl: repo ? cleanRepoUrl(repo) : undefined,
      }),
      ci: defined({
        provider: "buildkite",
        runId: firstEnvValue(env, "BUILDKITE_BUILD_ID", "BUILDKITE_BUILD_NUMBER"),
        runAttempt,
        runUrl: runUrl ? stripUrlCredentials(runUrl) : undefined,
        workflow: envValue(env, "BUILDKITE_PIPELINE_SLUG"),
      }),
    },
  };
}
