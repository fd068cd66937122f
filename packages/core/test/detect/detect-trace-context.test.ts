import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  ConfigError,
  type DetectionSource,
  detectTraceContext,
  type GitRunner,
  isTraceContext,
  ValidationError,
} from "@modeltrail/core";
import { afterAll, describe, expect, it } from "vitest";
import { githubPullRequestEnv, githubPushEnv, SHA } from "./fixtures/ci-env.js";
import { git, makeRepo, removeTempDirs, tempDir } from "./temp-repo.js";

afterAll(removeTempDirs);

const OVERRIDE_SHA = "1234567890abcdef1234567890abcdef12345678";
const DATABRICKS_SHA = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
const CONTAINER_SHA = "fedcbafedcbafedcbafedcbafedcbafedcbafedc";

describe("detectTraceContext precedence: overrides > Databricks > CI > container > git", () => {
  const { dir, head } = makeRepo();
  const env = { ...githubPushEnv, GIT_SHA: CONTAINER_SHA };
  const argv = ["--git-sha", DATABRICKS_SHA];
  const overrides = { code: { gitSha: OVERRIDE_SHA } };

  it.each([
    ["override", { env, argv, overrides }, OVERRIDE_SHA],
    ["databricks", { env, argv }, DATABRICKS_SHA],
    ["github-actions", { env, argv: [] }, SHA.github],
    ["container", { env: { GIT_SHA: CONTAINER_SHA }, argv: [] }, CONTAINER_SHA],
    ["git", { env: {}, argv: [] }, head],
  ] as const)("code.gitSha comes from %s", async (source, options, sha) => {
    const result = await detectTraceContext({ ...options, cwd: dir });
    expect(result.context.code?.gitSha).toBe(sha);
    expect(result.sources["code.gitSha"]).toBe(source);
    // git still supplies what no higher source knows
    expect(result.sources["code.dirty"]).toBe("git");
    expect(result.context.code?.dirty).toBe(false);
  });
});

describe("detectTraceContext merges field by field", () => {
  it("a GitHub pull request run in a dirty checkout: SHA from the PR head, dirty from git", async () => {
    const { dir } = makeRepo();
    git(dir, "remote", "add", "origin", "https://github.com/acme/churn-model.git");
    writeFileSync(join(dir, "tracked.txt"), "local edit\n");

    const result = await detectTraceContext({ env: githubPullRequestEnv, argv: [], cwd: dir });

    expect(isTraceContext(result.context)).toBe(true);
    expect(result.context.toJSON()).toEqual({
      schemaVersion: 1,
      code: {
        gitSha: SHA.githubPrHead,
        repoUrl: "https://github.com/acme/churn-model",
        branch: "feature/better-features",
        dirty: true,
      },
      ci: {
        provider: "github-actions",
        runId: "9876543210",
        runAttempt: "1",
        runUrl: "https://github.com/acme/churn-model/actions/runs/9876543210/attempts/1",
        workflow: "train",
      },
      environment: { runtime: { node: process.versions.node } },
    });
    expect(result.sources).toEqual({
      "code.gitSha": "github-actions",
      "code.branch": "github-actions",
      "code.repoUrl": "github-actions",
      "code.dirty": "git",
      "ci.provider": "github-actions",
      "ci.runId": "github-actions",
      "ci.runAttempt": "github-actions",
      "ci.runUrl": "github-actions",
      "ci.workflow": "github-actions",
      "environment.runtime.node": "runtime",
    });
    expect(result.warnings).toEqual([]);
  });

  it("overrides replace single fields and add sections, the rest is still detected", async () => {
    const { dir, head } = makeRepo();
    const result = await detectTraceContext({
      env: {},
      argv: [],
      cwd: dir,
      overrides: {
        code: { branch: "release" },
        environment: { name: "staging", runtime: { python: "3.12.7" } },
        extra: { team: "risk" },
      },
    });
    expect(result.context.code).toEqual({ gitSha: head, branch: "release", dirty: false });
    expect(result.context.environment).toEqual({
      name: "staging",
      runtime: { node: process.versions.node, python: "3.12.7" },
    });
    expect(result.sources).toMatchObject({
      "code.gitSha": "git",
      "code.branch": "override",
      "environment.name": "override",
      "environment.runtime.python": "override",
      "environment.runtime.node": "runtime",
      "extra.team": "override",
    });
  });

  it("a Databricks task run locally with unresolved references records no job and reads git", async () => {
    const { dir, head } = makeRepo();
    const argv = [
      "--job-id",
      "{{job.id}}",
      "--job-run-id",
      "{{job.run_id}}",
      "--task-run-id",
      "{{task.run_id}}",
    ];
    const result = await detectTraceContext({ env: {}, argv, cwd: dir });
    expect(result.context.job).toBeUndefined();
    expect(result.context.code?.gitSha).toBe(head);
  });

  it("a Databricks task without a repository: ids and SHA from the parameters, git optional", async () => {
    const outside = tempDir("dbr");
    const result = await detectTraceContext({
      env: { DATABRICKS_RUNTIME_VERSION: "15.4.x-scala2.12" },
      argv: [
        "--job-id",
        "11",
        "--job-run-id",
        "22",
        "--task-run-id",
        "33",
        "--task-key",
        "train",
        "--git-sha",
        DATABRICKS_SHA,
      ],
      cwd: outside,
    });
    expect(result.context.job).toEqual({
      platform: "databricks",
      jobId: "11",
      runId: "22",
      taskRunId: "33",
      taskKey: "train",
    });
    expect(result.context.code).toEqual({ gitSha: DATABRICKS_SHA });
    expect(result.sources["job.runId"]).toBe("databricks");
    expect(result.warnings).toEqual([expect.stringContaining(`not a git repository: ${outside}`)]);
  });
});

describe("detectTraceContext: git is optional only when the SHA is known", () => {
  it("ignores a missing repository when CI supplied the SHA, and says so in warnings", async () => {
    const outside = tempDir("ci-no-repo");
    const result = await detectTraceContext({ env: githubPushEnv, argv: [], cwd: outside });
    expect(result.context.code?.gitSha).toBe(SHA.github);
    expect(result.context.code?.dirty).toBeUndefined();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain("not a git repository");
  });

  it("throws the git error with requireGit: true even when CI supplied the SHA", async () => {
    const outside = tempDir("require-git");
    await expect(
      detectTraceContext({ env: githubPushEnv, argv: [], cwd: outside, requireGit: true }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it("throws a clear ConfigError when nothing supplies the SHA", async () => {
    const outside = tempDir("nothing");
    const err = await detectTraceContext({ env: {}, argv: [], cwd: outside }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`not a git repository: ${outside}`);
    expect(err.message).toContain("GIT_SHA");
  });

  it("returns a context without code with requireGit: false", async () => {
    const outside = tempDir("no-git");
    const result = await detectTraceContext({ env: {}, argv: [], cwd: outside, requireGit: false });
    expect(result.context.code).toBeUndefined();
    expect(Object.keys(result.sources)).toEqual(["environment.runtime.node"]);
    expect(result.warnings).toHaveLength(1);
  });

  it("a serving container with GIT_SHA needs no repository", async () => {
    const outside = tempDir("container");
    const result = await detectTraceContext({
      env: { GIT_SHA: CONTAINER_SHA.toUpperCase() },
      argv: [],
      cwd: outside,
    });
    expect(result.context.code).toEqual({ gitSha: CONTAINER_SHA });
    expect(result.sources["code.gitSha"]).toBe("container");
  });

  it("never calls git when the sources list leaves it out", async () => {
    const calls: string[] = [];
    const spy: GitRunner = async (args) => {
      calls.push(args.join(" "));
      return { stdout: "", stderr: "", exitCode: 128 };
    };
    const custom: DetectionSource = {
      name: "custom",
      detect: () => ({ source: "custom", context: { extra: { team: "ml" } } }),
    };
    const result = await detectTraceContext({ env: {}, argv: [], cwd: "/", git: spy, sources: [custom] });
    expect(calls).toEqual([]);
    expect(result.context.extra).toEqual({ team: "ml" });
    expect(result.sources).toEqual({ "extra.team": "custom" });
  });
});

describe("detectTraceContext errors and secrets", () => {
  it("rejects invalid overrides with a ValidationError naming the field", async () => {
    const { dir } = makeRepo();
    const err = await detectTraceContext({
      env: {},
      argv: [],
      cwd: dir,
      overrides: { code: { gitSha: "abc" } },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("code.gitSha");
  });

  it("passes errors of non-git sources through", async () => {
    const { dir } = makeRepo();
    await expect(
      detectTraceContext({ env: {}, argv: ["--job-id", "twelve"], cwd: dir }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it("never exposes credentials found in remotes or CI variables", async () => {
    const { dir } = makeRepo();
    const token = "ghp_PlantedDetectSecret0123456789abcdefgh";
    const password = "Pl4nted-Detect-Passw0rd";
    git(dir, "remote", "add", "origin", `https://ci-bot:${password}@git.acme.internal/ml/churn.git`);
    const env = {
      JENKINS_URL: "https://jenkins.acme.internal/",
      GIT_URL: `https://${token}@github.com/acme/churn-model.git`,
      BUILD_URL: `https://bot:${password}@jenkins.acme.internal/job/x/1/`,
      BUILD_NUMBER: "1",
    };
    const result = await detectTraceContext({ env, argv: [], cwd: dir });
    expect(result.context.code?.repoUrl).toBe("https://github.com/acme/churn-model.git");
    expect(result.context.ci?.runUrl).toBe("https://jenkins.acme.internal/job/x/1/");
    const text = JSON.stringify(result) + inspect(result, { depth: 8 });
    expect(text).not.toContain(token);
    expect(text).not.toContain(password);
  });
});

describe("a CI commit variable that is not a commit SHA is reported, not ignored silently", () => {
  it.each([
    ["GITHUB_SHA", { ...githubPushEnv, GITHUB_SHA: "not-a-sha" }, "github-actions"],
    ["CI_COMMIT_SHA", { GITLAB_CI: "true", CI_COMMIT_SHA: "abc123" }, "gitlab-ci"],
    ["BUILDKITE_COMMIT", { BUILDKITE: "true", BUILDKITE_COMMIT: "HEAD" }, "buildkite"],
    ["CIRCLE_SHA1", { CIRCLECI: "true", CIRCLE_SHA1: "0123" }, "circleci"],
    ["GIT_COMMIT", { JENKINS_URL: "http://jenkins", GIT_COMMIT: "zz".repeat(20) }, "jenkins"],
    ["BUILD_SOURCEVERSION", { TF_BUILD: "True", BUILD_SOURCEVERSION: "C1234" }, "azure-pipelines"],
  ] as const)("%s", async (name, env, source) => {
    const { dir, head } = makeRepo();
    const result = await detectTraceContext({ env, argv: [], cwd: dir });
    // the commit comes from the next source (git) and the bad value is named in the warnings
    expect(result.context.code?.gitSha).toBe(head);
    expect(result.sources["code.gitSha"]).toBe("git");
    expect(result.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^${source}: ${name}=".+" is not a full 40-character commit SHA; it was not used$`),
      ),
    ]);
  });

  it("a valid SHA gives no warning", async () => {
    const { dir } = makeRepo();
    const result = await detectTraceContext({ env: githubPushEnv, argv: [], cwd: dir });
    expect(result.warnings).toEqual([]);
  });
});
