import type { DetectInputs, SourceResult } from "../types.js";
import { detectAzurePipelines } from "./azure-pipelines.js";
import { detectBuildkite } from "./buildkite.js";
import { detectCircleCi } from "./circleci.js";
import { detectGitHubActions } from "./github-actions.js";
import { detectGitLabCi } from "./gitlab-ci.js";
import { detectJenkins } from "./jenkins.js";

/** A CI provider detector: returns what it found, or undefined when not running on that CI. */
export type CiDetector = (
  inputs: Pick<DetectInputs, "env" | "readFile">,
) => SourceResult | undefined | Promise<SourceResult | undefined>;

/**
 * The CI detectors in the order they are tried; the first that recognises its marker variable wins.
 * Jenkins comes last because `JENKINS_URL` is sometimes exported outside Jenkins builds.
 */
export const CI_DETECTORS: readonly CiDetector[] = [
  detectGitHubActions,
  detectAzurePipelines,
  detectGitLabCi,
  detectBuildkite,
  detectCircleCi,
  detectJenkins,
];

/**
 * Detects the CI system the process runs in (GitHub Actions, Azure Pipelines, GitLab CI, Buildkite,
 * CircleCI, Jenkins) and returns what its environment says about the code and the run; undefined
 * when no CI is recognised. Throws what the matching detector throws (GitHub Actions: `ConfigError`
 * on an unreadable pull request event payload).
 */
export async function detectFromCi(
  inputs: Pick<DetectInputs, "env" | "readFile">,
): Promise<SourceResult | undefined> {
  for (const detect of CI_DETECTORS) {
    const result = await detect(inputs);
    if (result) return result;
  }
  return undefined;
}
