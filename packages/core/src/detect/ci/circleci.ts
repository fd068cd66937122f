import { stripUrlCredentials } from "../../trace/strip-url-credentials.js";
import { defined, envFlag, envSha, envValue } from "../env-values.js";
import { cleanRepoUrl } from "../repo-url.js";
import type { DetectInputs, SourceResult } from "../types.js";

/**
 * CircleCI (`CIRCLECI=true`).
 * - `code.gitSha`: `CIRCLE_SHA1`; `code.branch`: `CIRCLE_BRANCH` (unset for tag builds);
 * - `code.repoUrl`: `CIRCLE_REPOSITORY_URL` (often scp-like `git@github.com:org/repo.git`, kept as is);
 * - `ci`: run id `CIRCLE_BUILD_NUM` with its URL `CIRCLE_BUILD_URL` (CircleCI's environment
 *   describes the current job, so the job is the unit recorded), workflow = the job name
 *   `CIRCLE_JOB` (the workflow name is not exposed to jobs). No attempt number exists.
 * Returns undefined outside CircleCI. Never throws.
 */
export function detectCircleCi(inputs: Pick<DetectInputs, "env">): SourceResult | undefined {
  const { env } = inputs;
  if (!envFlag(env, "CIRCLECI")) return undefined;

  const repo = envValue(env, "CIRCLE_REPOSITORY_URL");
  const runUrl = envValue(env, "CIRCLE_BUILD_URL");
  const warnings: string[] = [];
  const gitSha = envSha(env, "CIRCLE_SHA1", warnings);
  return {
    source: "circleci",
    ...(warnings.length > 0 ? { warnings } : {}),
    context: {
      code: defined({
        gitSha,
        branch: envValue(env, "CIRCLE_BRANCH"),
        repoUrl: repo ? cleanRepoUrl(repo) : undefined,
      }),
      ci: defined({
        provider: "circleci",
        runId: envValue(env, "CIRCLE_BUILD_NUM"),
        runUrl: runUrl ? stripUrlCredentials(runUrl) : undefined,
        workflow: envValue(env, "CIRCLE_JOB"),
      }),
    },
  };
}
