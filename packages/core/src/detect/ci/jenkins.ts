import { stripUrlCredentials } from "../../trace/strip-url-credentials.js";
import { branchFromRef, defined, envSha, envValue, firstEnvValue } from "../env-values.js";
import { cleanRepoUrl } from "../repo-url.js";
import type { DetectInputs, SourceResult } from "../types.js";

/**
 * Jenkins (`JENKINS_URL` set), with the variables of the Git plugin and of multibranch pipelines.
 * - `code.gitSha`: `GIT_COMMIT`;
 * - `code.branch`: `CHANGE_BRANCH` (pull request source branch in multibranch pipelines), else
 *   `GIT_LOCAL_BRANCH`, else `GIT_BRANCH` without its remote prefix (`origin/main` -> `main`),
 *   else `BRANCH_NAME`;
 * - `code.repoUrl`: `GIT_URL` without credentials;
 * - `ci`: run id `BUILD_NUMBER` (else `BUILD_ID`), run URL `BUILD_URL`, workflow `JOB_NAME`.
 *   Jenkins has no attempt number (a rebuild is a new build number).
 * Returns undefined outside Jenkins. Never throws.
 */
export function detectJenkins(inputs: Pick<DetectInputs, "env">): SourceResult | undefined {
  const { env } = inputs;
  if (envValue(env, "JENKINS_URL") === undefined) return undefined;

  const gitBranch = envValue(env, "GIT_BRANCH");
  const branch =
    firstEnvValue(env, "CHANGE_BRANCH", "GIT_LOCAL_BRANCH") ??
    (gitBranch !== undefined ? withoutRemote(gitBranch) : undefined) ??
    envValue(env, "BRANCH_NAME");
  const repo = envValue(env, "GIT_URL");
  const runUrl = envValue(env, "BUILD_URL");
  const warnings: string[] = [];
  const gitSha = envSha(env, "GIT_COMMIT", warnings);

  return {
    source: "jenkins",
    ...(warnings.length > 0 ? { warnings } : {}),
    context: {
      code: defined({
        gitSha,
        branch,
        repoUrl: repo ? cleanRepoUrl(repo) : undefined,
      }),
      ci: defined({
        provider: "jenkins",
        runId: firstEnvValue(env, "BUILD_NUMBER", "BUILD_ID"),
        runUrl: runUrl ? stripUrlCredentials(runUrl) : undefined,
        workflow: envValue(env, "JOB_NAME"),
      }),
    },
  };
}

/** `origin/main` -> `main`, `refs/remotes/origin/a/b` -> `a/b`, `refs/heads/x` -> `x`. */
function withoutRemote(gitBranch: string): string | undefined {
  if (gitBranch.startsWith("refs/remotes/")) return gitBranch.split("/").slice(3).join("/") || undefined;
  if (gitBranch.startsWith("refs/")) return branchFromRef(gitBranch);
  if (gitBranch.startsWith("origin/")) return gitBranch.slice("origin/".length) || undefined;
  return gitBranch;
}
