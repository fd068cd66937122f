import { readFile } from "node:fs/promises";
import { inspect } from "node:util";
import { ConfigError } from "@modeltrail/core";
import {
  detectAzurePipelines,
  detectBuildkite,
  detectCircleCi,
  detectFromCi,
  detectGitHubActions,
  detectGitLabCi,
  detectJenkins,
} from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";
import {
  azureEnv,
  azurePullRequestEnv,
  buildkiteEnv,
  buildkiteManualHeadEnv,
  circleEnv,
  GITHUB_EVENT_WITHOUT_HEAD_PATH,
  githubPullRequestEnv,
  githubPushEnv,
  githubTagEnv,
  gitlabEnv,
  gitlabMergedResultsEnv,
  gitlabTagEnv,
  jenkinsEnv,
  jenkinsMultibranchPrEnv,
  SHA,
} from "./fixtures/ci-env.js";

const fsRead = (path: string) => readFile(path, "utf8");
const noFile = async (path: string): Promise<string> => {
  throw new Error(`unexpected read of ${path}`);
};

describe("GitHub Actions", () => {
  it("reads a push run", async () => {
    const result = await detectGitHubActions({ env: githubPushEnv, readFile: noFile });
    expect(result).toEqual({
      source: "github-actions",
      context: {
        code: { gitSha: SHA.github, branch: "main", repoUrl: "https://github.com/acme/churn-model" },
        ci: {
          provider: "github-actions",
          runId: "9876543210",
          runAttempt: "2",
          runUrl: "https://github.com/acme/churn-model/actions/runs/9876543210/attempts/2",
          workflow: "train",
        },
      },
    });
  });

  it("takes the pull request head SHA from the event payload, not the merge commit in GITHUB_SHA", async () => {
    const result = await detectGitHubActions({ env: githubPullRequestEnv, readFile: fsRead });
    expect(result?.context.code?.gitSha).toBe(SHA.githubPrHead);
    expect(result?.context.code?.gitSha).not.toBe(SHA.githubMerge);
    expect(result?.context.code?.branch).toBe("feature/better-features");
    expect(result?.context.ci?.runUrl).toBe(
      "https://github.com/acme/churn-model/actions/runs/9876543210/attempts/1",
    );
  });

  it("does the same on pull_request_target", async () => {
    const env = { ...githubPullRequestEnv, GITHUB_EVENT_NAME: "pull_request_target" };
    const result = await detectGitHubActions({ env, readFile: fsRead });
    expect(result?.context.code?.gitSha).toBe(SHA.githubPrHead);
  });

  it("fails clearly when the pull request payload cannot be read or has no head SHA", async () => {
    const missing = { ...githubPullRequestEnv, GITHUB_EVENT_PATH: "/nonexistent/event.json" };
    const err = await detectGitHubActions({ env: missing, readFile: fsRead }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain("/nonexistent/event.json");
    expect(err.sources).toEqual(["GITHUB_EVENT_PATH"]);

    const noHead = { ...githubPullRequestEnv, GITHUB_EVENT_PATH: GITHUB_EVENT_WITHOUT_HEAD_PATH };
    await expect(detectGitHubActions({ env: noHead, readFile: fsRead })).rejects.toThrow(
      /no pull_request\.head\.sha/,
    );

    const unset = { ...githubPullRequestEnv, GITHUB_EVENT_PATH: "" };
    await expect(detectGitHubActions({ env: unset, readFile: fsRead })).rejects.toThrow(
      /GITHUB_EVENT_PATH is not set/,
    );
  });

  it("has no branch for a tag run", async () => {
    const result = await detectGitHubActions({ env: githubTagEnv, readFile: noFile });
    expect(result?.context.code).toEqual({
      gitSha: SHA.github,
      repoUrl: "https://github.com/acme/churn-model",
    });
  });

  it("falls back to GITHUB_REF when GITHUB_REF_TYPE is absent (older runners)", async () => {
    const { GITHUB_REF_TYPE: _t, GITHUB_REF_NAME: _n, ...env } = githubPushEnv;
    const result = await detectGitHubActions({
      env: { ...env, GITHUB_REF: "refs/heads/a/b" },
      readFile: noFile,
    });
    expect(result?.context.code?.branch).toBe("a/b");
  });

  it("omits the attempt segment when GITHUB_RUN_ATTEMPT is unset, and a GHES server URL is used as is", async () => {
    const env = {
      ...githubPushEnv,
      GITHUB_RUN_ATTEMPT: undefined,
      GITHUB_SERVER_URL: "https://github.acme.internal/",
    };
    const result = await detectGitHubActions({ env, readFile: noFile });
    expect(result?.context.ci?.runUrl).toBe(
      "https://github.acme.internal/acme/churn-model/actions/runs/9876543210",
    );
    expect(result?.context.ci?.runAttempt).toBeUndefined();
    expect(result?.context.code?.repoUrl).toBe("https://github.acme.internal/acme/churn-model");
  });

  it("is not detected without GITHUB_ACTIONS=true", async () => {
    expect(
      await detectGitHubActions({ env: { ...githubPushEnv, GITHUB_ACTIONS: "" }, readFile: noFile }),
    ).toBe(undefined);
  });
});

describe("Azure Pipelines", () => {
  it("reads a CI build", () => {
    expect(detectAzurePipelines({ env: azureEnv })).toEqual({
      source: "azure-pipelines",
      context: {
        code: {
          gitSha: SHA.azure,
          branch: "release/2026.11",
          repoUrl: "https://dev.azure.com/acme/ML%20Platform/_git/churn-model",
        },
        ci: {
          provider: "azure-pipelines",
          runId: "20417",
          runAttempt: "1",
          runUrl: "https://dev.azure.com/acme/ML%20Platform/_build/results?buildId=20417",
          workflow: "churn-model-train",
        },
      },
    });
  });

  it("takes the PR source commit and branch on pull request builds", () => {
    const result = detectAzurePipelines({ env: azurePullRequestEnv });
    expect(result?.context.code?.gitSha).toBe(SHA.azurePrSource);
    expect(result?.context.code?.branch).toBe("feature/new-loss");
    expect(result?.context.ci?.runAttempt).toBe("3");
  });

  it("ignores a TFVC changeset number and has no branch for tags", () => {
    const env = { ...azureEnv, BUILD_SOURCEVERSION: "4711", BUILD_SOURCEBRANCH: "refs/tags/v3" };
    expect(detectAzurePipelines({ env })?.context.code).toEqual({
      repoUrl: "https://dev.azure.com/acme/ML%20Platform/_git/churn-model",
    });
  });

  it("uses SYSTEM_TEAMFOUNDATIONCOLLECTIONURI when SYSTEM_COLLECTIONURI is unset", () => {
    const env = {
      ...azureEnv,
      SYSTEM_COLLECTIONURI: undefined,
      SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: "https://acme.visualstudio.com",
    };
    expect(detectAzurePipelines({ env })?.context.ci?.runUrl).toBe(
      "https://acme.visualstudio.com/ML%20Platform/_build/results?buildId=20417",
    );
  });

  it("is not detected without TF_BUILD", () => {
    expect(detectAzurePipelines({ env: { ...azureEnv, TF_BUILD: undefined } })).toBeUndefined();
  });
});

describe("GitLab CI", () => {
  it("reads a branch pipeline", () => {
    expect(detectGitLabCi({ env: gitlabEnv })).toEqual({
      source: "gitlab-ci",
      context: {
        code: { gitSha: SHA.gitlab, branch: "main", repoUrl: "https://gitlab.example.com/ml/churn-model" },
        ci: {
          provider: "gitlab-ci",
          runId: "1048576",
          runUrl: "https://gitlab.example.com/ml/churn-model/-/pipelines/1048576",
        },
      },
    });
  });

  it("takes the MR source branch SHA and name in merged results pipelines", () => {
    const result = detectGitLabCi({ env: gitlabMergedResultsEnv });
    expect(result?.context.code?.gitSha).toBe(SHA.gitlab);
    expect(result?.context.code?.branch).toBe("feature/calibration");
    expect(result?.context.ci?.workflow).toBe("MR pipeline");
  });

  it("has no branch for a tag pipeline", () => {
    expect(detectGitLabCi({ env: gitlabTagEnv })?.context.code?.branch).toBeUndefined();
  });

  it("strips the job token from CI_REPOSITORY_URL when CI_PROJECT_URL is absent", () => {
    const result = detectGitLabCi({ env: { ...gitlabEnv, CI_PROJECT_URL: undefined } });
    expect(result?.context.code?.repoUrl).toBe("https://gitlab.example.com/ml/churn-model.git");
    expect(JSON.stringify(result)).not.toContain("glcbt-64_Zx9WqTokenValue123");
  });
});

describe("Jenkins", () => {
  it("reads a Git plugin build, stripping the remote prefix and the credentials", () => {
    expect(detectJenkins({ env: jenkinsEnv })).toEqual({
      source: "jenkins",
      context: {
        code: {
          gitSha: SHA.jenkins,
          branch: "feature/jenkins-branch",
          repoUrl: "https://github.com/acme/churn-model.git",
        },
        ci: {
          provider: "jenkins",
          runId: "128",
          runUrl: "https://jenkins.acme.internal/job/ml/job/churn-model/128/",
          workflow: "ml/churn-model",
        },
      },
    });
  });

  it("takes CHANGE_BRANCH on multibranch pull request builds", () => {
    expect(detectJenkins({ env: jenkinsMultibranchPrEnv })?.context.code?.branch).toBe("feature/from-pr");
  });

  it("prefers GIT_LOCAL_BRANCH and falls back to BUILD_ID", () => {
    const env = { ...jenkinsEnv, GIT_LOCAL_BRANCH: "main", BUILD_NUMBER: undefined, BUILD_ID: "77" };
    const result = detectJenkins({ env });
    expect(result?.context.code?.branch).toBe("main");
    expect(result?.context.ci?.runId).toBe("77");
  });
});

describe("CircleCI", () => {
  it("reads a job, keeping the scp-like repository URL", () => {
    expect(detectCircleCi({ env: circleEnv })).toEqual({
      source: "circleci",
      context: {
        code: { gitSha: SHA.circle, branch: "main", repoUrl: "git@github.com:acme/churn-model.git" },
        ci: {
          provider: "circleci",
          runId: "5150",
          runUrl: "https://circleci.com/gh/acme/churn-model/5150",
          workflow: "train",
        },
      },
    });
  });
});

describe("Buildkite", () => {
  it("reads a build; the attempt is the retry count + 1", () => {
    expect(detectBuildkite({ env: buildkiteEnv })).toEqual({
      source: "buildkite",
      context: {
        code: { gitSha: SHA.buildkite, branch: "main", repoUrl: "git@github.com:acme/churn-model.git" },
        ci: {
          provider: "buildkite",
          runId: "0190a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b",
          runAttempt: "2",
          runUrl: "https://buildkite.com/acme/churn-model/builds/733",
          workflow: "churn-model",
        },
      },
    });
  });

  it("ignores BUILDKITE_COMMIT=HEAD", () => {
    const result = detectBuildkite({ env: buildkiteManualHeadEnv });
    expect(result?.context.code?.gitSha).toBeUndefined();
    expect(result?.context.ci?.runAttempt).toBe("1");
  });
});

describe("detectFromCi", () => {
  it("returns undefined outside CI", async () => {
    expect(await detectFromCi({ env: { PATH: "/usr/bin", CI: "true" }, readFile: noFile })).toBeUndefined();
  });

  it.each([
    ["github-actions", githubPushEnv],
    ["azure-pipelines", azureEnv],
    ["gitlab-ci", gitlabEnv],
    ["jenkins", jenkinsEnv],
    ["circleci", circleEnv],
    ["buildkite", buildkiteEnv],
  ] as const)("recognises %s", async (provider, env) => {
    const result = await detectFromCi({ env, readFile: noFile });
    expect(result?.source).toBe(provider);
    expect(result?.context.ci?.provider).toBe(provider);
  });

  it("prefers a specific provider over a stray JENKINS_URL", async () => {
    const result = await detectFromCi({
      env: { ...gitlabEnv, JENKINS_URL: "https://jenkins" },
      readFile: noFile,
    });
    expect(result?.source).toBe("gitlab-ci");
  });
});

describe("credentials in CI URLs", () => {
  it("never appear in any detected value, and are registered for redaction", async () => {
    const token = "ghp_PlantedCiSecret1234567890abcdefXYZ";
    const password = "Pl4nted-Azure-Password!";
    const results = [
      detectJenkins({
        env: { ...jenkinsEnv, GIT_URL: `https://bot:${token}@github.com/acme/churn-model.git` },
      }),
      detectAzurePipelines({
        env: { ...azureEnv, BUILD_REPOSITORY_URI: `https://acme:${password}@dev.azure.com/acme/p/_git/r` },
      }),
      detectCircleCi({
        env: { ...circleEnv, CIRCLE_BUILD_URL: `https://user:${password}@circleci.com/x/1` },
      }),
      detectBuildkite({
        env: { ...buildkiteEnv, BUILDKITE_REPO: `https://${token}@github.com/acme/r.git?x=1` },
      }),
    ];
    const text = JSON.stringify(results) + inspect(results, { depth: 8 });
    expect(text).not.toContain(token);
    expect(text).not.toContain(password);
    expect(results[3]?.context.code?.repoUrl).toBe("https://github.com/acme/r.git");
    const err = new ConfigError(`failed with ${token} and ${password}`);
    expect(err.message).not.toContain(token);
    expect(err.message).not.toContain(password);
    expect(JSON.stringify(err)).not.toContain(password);
    expect(inspect(err)).not.toContain(password);
  });
});
