import { stripUrlCredentials } from "../../trace/strip-url-credentials.js";
import { defined, envFlag, envSha, envValue, firstEnvValue } from "../env-values.js";
import { cleanRepoUrl } from "../repo-url.js";
import type { DetectInputs, SourceResult } from "../types.js";

/**
 * GitLab CI/CD (`GITLAB_CI=true`).
 * - `code.gitSha`: `CI_MERGE_REQUEST_SOURCE_BRANCH_SHA` when set (merged results pipelines, where
 *   `CI_COMMIT_SHA` is the merge commit), else `CI_COMMIT_SHA`;
 * - `code.branch`: `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`, else `CI_COMMIT_BRANCH`, else
 *   `CI_COMMIT_REF_NAME` unless the pipeline runs for a tag (`CI_COMMIT_TAG`);
 * - `code.repoUrl`: `CI_PROJECT_URL` (else `CI_REPOSITORY_URL`, whose `gitlab-ci-token` is stripped);
 * - `ci`: `CI_PIPELINE_ID`, `CI_PIPELINE_URL`, workflow `CI_PIPELINE_NAME`. GitLab has no pipeline
 *   attempt number (a retried job gets a new `CI_JOB_ID`), so `runAttempt` stays unset.
 * Returns undefined outside GitLab CI. Never throws.
 */
export function detectGitLabCi(inputs: Pick<DetectInputs, "env">): SourceResult | undefined {
  const { env } = inputs;
  if (!envFlag(env, "GITLAB_CI")) return undefined;

  const warnings: string[] = [];
  const gitSha =
    envSha(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", warnings) ?? envSha(env, "CI_COMMIT_SHA", warnings);
  const branch =
    firstEnvValue(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH") ??
    (envValue(env, "CI_COMMIT_TAG") === undefined ? envValue(env, "CI_COMMIT_REF_NAME") : undefined);
  const repo = firstEnvValue(env, "CI_PROJECT_URL", "CI_REPOSITORY_URL");
  const runUrl = envValue(env, "CI_PIPELINE_URL");

  return {
    source: "gitlab-ci",
    ...(warnings.length > 0 ? { warnings } : {}),
    context: {
      code: defined({ gitSha, branch, repoUrl: repo ? cleanRepoUrl(repo) : undefined }),
      ci: defined({
        provider: "gitlab-ci",
        runId: envValue(env, "CI_PIPELINE_ID"),
        runUrl: runUrl ? stripUrlCredentials(runUrl) : undefined,
        workflow: envValue(env, "CI_PIPELINE_NAME"),
      }),
    },
  };
}
