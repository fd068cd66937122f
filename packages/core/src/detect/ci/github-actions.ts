import { ConfigError } from "../../errors/config-error.js";
import { stripUrlCredentials } from "../../trace/strip-url-credentials.js";
import { branchFromRef, defined, envFlag, envSha, envValue, fullSha } from "../env-values.js";
import { cleanRepoUrl } from "../repo-url.js";
import type { DetectInputs, SourceResult } from "../types.js";

/**
 * Events whose `GITHUB_SHA` is a merge commit (or the base branch tip for `pull_request_target`)
 * rather than the commit the author pushed; the pull request head SHA is read from the event payload.
 */
const PULL_REQUEST_EVENTS = new Set([
  "pull_request",
  "pull_request_target",
  "pull_request_review",
  "pull_request_review_comment",
]);

/**
 * GitHub Actions (`GITHUB_ACTIONS=true`).
 * - `code.gitSha`: `GITHUB_SHA`; on pull request events (`GITHUB_EVENT_NAME` pull_request,
 *   pull_request_target, pull_request_review, pull_request_review_comment) `pull_request.head.sha`
 *   from the event payload at `GITHUB_EVENT_PATH`, because `GITHUB_SHA` is then the merge commit
 *   (or the base branch tip);
 * - `code.branch`: `GITHUB_HEAD_REF` (pull requests), else `GITHUB_REF_NAME` when `GITHUB_REF_TYPE`
 *   is `branch` (else the branch of `GITHUB_REF`); absent for tags;
 * - `code.repoUrl`: `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}`;
 * - `ci`: `GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT`, `GITHUB_WORKFLOW`, and the run URL
 *   `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}/attempts/${GITHUB_RUN_ATTEMPT}`.
 * Returns undefined outside GitHub Actions. Throws `ConfigError` on a pull request event whose
 * payload cannot be read or has no head SHA (recording the merge commit instead would be wrong).
 */
export async function detectGitHubActions(
  inputs: Pick<DetectInputs, "env" | "readFile">,
): Promise<SourceResult | undefined> {
  const { env } = inputs;
  if (!envFlag(env, "GITHUB_ACTIONS")) return undefined;

  const warnings: string[] = [];
  const eventName = envValue(env, "GITHUB_EVENT_NAME");
  const gitSha =
    eventName !== undefined && PULL_REQUEST_EVENTS.has(eventName)
      ? await pullRequestHeadSha(inputs, eventName)
      : envSha(env, "GITHUB_SHA", warnings);

  const headRef = envValue(env, "GITHUB_HEAD_REF");
  const refType = envValue(env, "GITHUB_REF_TYPE");
  const branch =
    headRef ??
    (refType === "branch"
      ? envValue(env, "GITHUB_REF_NAME")
      : refType === undefined
        ? branchFromRef(envValue(env, "GITHUB_REF"))
        : undefined);

  const server = envValue(env, "GITHUB_SERVER_URL")?.replace(/\/+$/, "");
  const repository = envValue(env, "GITHUB_REPOSITORY");
  const repoUrl = server && repository ? cleanRepoUrl(`${server}/${repository}`) : undefined;

  const runId = envValue(env, "GITHUB_RUN_ID");
  const runAttempt = envValue(env, "GITHUB_RUN_ATTEMPT");
  let runUrl: string | undefined;
  if (server && repository && runId) {
    runUrl = `${server}/${repository}/actions/runs/${runId}${runAttempt ? `/attempts/${runAttempt}` : ""}`;
    runUrl = stripUrlCredentials(runUrl);
  }

  return {
    source: "github-actions",
    ...(warnings.length > 0 ? { warnings } : {}),
    context: {
      code: defined({ gitSha, branch, repoUrl }),
      ci: defined({
        provider: "github-actions",
        runId,
        runAttempt,
        runUrl,
        workflow: envValue(env, "GITHUB_WORKFLOW"),
      }),
    },
  };
}

async function pullRequestHeadSha(
  inputs: Pick<DetectInputs, "env" | "readFile">,
  eventName: string,
): Promise<string> {
  const path = envValue(inputs.env, "GITHUB_EVENT_PATH");
  const fail = (what: string, cause?: unknown) =>
    new ConfigError(
      `GitHub Actions ${eventName} event: ${what}, so the pull request head commit is unknown ` +
        "(GITHUB_SHA is the merge commit on this event)",
      {
        hint: "Run inside the GitHub Actions job that received the event, or pass code.gitSha explicitly",
        sources: ["GITHUB_EVENT_PATH"],
        cause,
      },
    );
  if (!path) throw fail("GITHUB_EVENT_PATH is not set");
  let payload: unknown;
  try {
    payload = JSON.parse(await inputs.readFile(path));
  } catch (err) {
    throw fail(`the event payload at ${path} could not be read as JSON`, err);
  }
  const sha = (payload as { pull_request?: { head?: { sha?: unknown } } } | null)?.pull_request?.head?.sha;
  const normalized = typeof sha === "string" ? fullSha(sha) : undefined;
  if (!normalized) throw fail(`the event payload at ${path} has no pull_request.head.sha`);
  return normalized;
}
