import { stripUrlCredentials } from "../../trace/strip-url-credentials.js";
import { branchFromRef, defined, envFlag, envSha, envValue, firstEnvValue } from "../env-values.js";
import { cleanRepoUrl } from "../repo-url.js";
import type { DetectInputs, SourceResult } from "../types.js";

/**
 * Azure Pipelines (`TF_BUILD=True`).
 * - `code.gitSha`: `SYSTEM_PULLREQUEST_SOURCECOMMITID` on pull request builds (`BUILD_SOURCEVERSION`
 *   is then the merge commit), else `BUILD_SOURCEVERSION`; ignored unless a full git SHA (TFVC
 *   repositories put a changeset number there);
 * - `code.branch`: on pull requests `SYSTEM_PULLREQUEST_SOURCEBRANCH`, else the branch of
 *   `BUILD_SOURCEBRANCH` (`refs/heads/a/b` -> `a/b`; absent for tags), or `BUILD_SOURCEBRANCHNAME`
 *   when `BUILD_SOURCEBRANCH` is unset (it holds only the last path segment);
 * - `code.repoUrl`: `BUILD_REPOSITORY_URI` without credentials (Azure Repos puts the organization
 *   name as user: `https://org@dev.azure.com/...`);
 * - `ci`: `BUILD_BUILDID`, `SYSTEM_JOBATTEMPT`, `BUILD_DEFINITIONNAME`, and the run URL
 *   `${SYSTEM_COLLECTIONURI}${SYSTEM_TEAMPROJECT}/_build/results?buildId=${BUILD_BUILDID}`
 *   (`SYSTEM_TEAMFOUNDATIONCOLLECTIONURI` when `SYSTEM_COLLECTIONURI` is unset).
 * Returns undefined outside Azure Pipelines. Never throws.
 */
export function detectAzurePipelines(inputs: Pick<DetectInputs, "env">): SourceResult | undefined {
  const { env } = inputs;
  if (!envFlag(env, "TF_BUILD")) return undefined;

  const isPullRequest =
    envValue(env, "SYSTEM_PULLREQUEST_PULLREQUESTID") !== undefined ||
    envValue(env, "BUILD_REASON") === "PullRequest";
  const warnings: string[] = [];
  const gitSha =
    (isPullRequest ? envSha(env, "SYSTEM_PULLREQUEST_SOURCECOMMITID", warnings) : undefined) ??
    envSha(env, "BUILD_SOURCEVERSION", warnings);

  const sourceBranch = envValue(env, "BUILD_SOURCEBRANCH");
  const branch =
    (isPullRequest ? branchFromRef(envValue(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH")) : undefined) ??
    (sourceBranch !== undefined ? branchFromRef(sourceBranch) : envValue(env, "BUILD_SOURCEBRANCHNAME"));

  const repo = envValue(env, "BUILD_REPOSITORY_URI");
  const runId = envValue(env, "BUILD_BUILDID");
  const collection = firstEnvValue(env, "SYSTEM_COLLECTIONURI", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI");
  const project = envValue(env, "SYSTEM_TEAMPROJECT");
  const runUrl =
    collection && project && runId
      ? stripUrlCredentials(
          `${collection.replace(/\/+$/, "")}/${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(runId)}`,
        )
      : undefined;

  return {
    source: "azure-pipelines",
    ...(warnings.length > 0 ? { warnings } : {}),
    context: {
      code: defined({ gitSha, branch, repoUrl: repo ? cleanRepoUrl(repo) : undefined }),
      ci: defined({
        provider: "azure-pipelines",
        runId,
        runAttempt: envValue(env, "SYSTEM_JOBATTEMPT"),
        runUrl,
        workflow: envValue(env, "BUILD_DEFINITIONNAME"),
      }),
    },
  };
}
