import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { ConfigError, type GitRunner, type GitRunResult, TimeoutError } from "@modeltrail/core";
import { detectFromGit, runGit } from "@modeltrail/core/internal";
import { afterAll, describe, expect, it } from "vitest";
import { git, makeRepo, removeTempDirs, tempDir } from "./temp-repo.js";

afterAll(removeTempDirs);

const detect = (cwd: string, runner: GitRunner = runGit) =>
  detectFromGit({ cwd, git: runner, gitTimeoutMs: 10_000 });

describe("detectFromGit against a real repository", () => {
  it("reads HEAD, a clean state and the branch; no origin means no repoUrl", async () => {
    const { dir, head } = makeRepo();
    expect(await detect(dir)).toEqual({
      source: "git",
      context: { code: { gitSha: head, dirty: false, branch: "main" } },
    });
    expect(head).toMatch(/^[0-9a-f]{40}$/);
  });

  it("is dirty with a modified tracked file or an untracked file, not with an ignored file", async () => {
    const { dir } = makeRepo();
    writeFileSync(join(dir, "debug.log"), "ignored\n");
    expect((await detect(dir)).context.code?.dirty).toBe(false);

    writeFileSync(join(dir, "new.txt"), "untracked\n");
    expect((await detect(dir)).context.code?.dirty).toBe(true);
    rmSync(join(dir, "new.txt"));
    expect((await detect(dir)).context.code?.dirty).toBe(false);

    writeFileSync(join(dir, "tracked.txt"), "changed\n");
    expect((await detect(dir)).context.code?.dirty).toBe(true);
  });

  it("has no branch on a detached HEAD", async () => {
    const { dir, first } = makeRepo();
    git(dir, "checkout", "-q", "--detach", first);
    const code = (await detect(dir)).context.code;
    expect(code).toEqual({ gitSha: first, dirty: false });
  });

  it("works from a subdirectory of the work tree", async () => {
    const { dir, head } = makeRepo();
    const sub = join(dir, "src", "pkg");
    mkdirSync(sub, { recursive: true });
    expect((await detect(sub)).context.code?.gitSha).toBe(head);
  });

  it("strips credentials from the origin URL and never exposes them", async () => {
    const { dir } = makeRepo();
    const token = "ghp_PlantedGitRemoteToken0123456789abcdef";
    git(dir, "remote", "add", "origin", `https://x-access-token:${token}@github.com/acme/churn-model.git`);
    const result = await detect(dir);
    expect(result.context.code?.repoUrl).toBe("https://github.com/acme/churn-model.git");
    expect(JSON.stringify(result)).not.toContain(token);
    expect(inspect(result, { depth: 8 })).not.toContain(token);
    expect(new ConfigError(`remote ${token} failed`).message).not.toContain(token);
  });

  it("keeps an scp-like origin and a token-as-user origin loses the token", async () => {
    const { dir } = makeRepo();
    git(dir, "remote", "add", "origin", "git@github.com:acme/churn-model.git");
    expect((await detect(dir)).context.code?.repoUrl).toBe("git@github.com:acme/churn-model.git");
    git(dir, "remote", "set-url", "origin", "https://ghp_TokenAsUserName0123456789@github.com/acme/r.git");
    expect((await detect(dir)).context.code?.repoUrl).toBe("https://github.com/acme/r.git");
  });

  it("fails clearly outside a repository", async () => {
    const outside = tempDir("outside");
    const err = await detect(outside).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`not a git repository: ${outside}`);
    expect(err.message).toContain("pass code.gitSha explicitly / set GIT_SHA");
    expect(err.sources).toEqual(["GIT_SHA"]);
  });

  it("fails clearly in a repository without commits", async () => {
    const dir = tempDir("empty");
    git(dir, "init", "-q", "-b", "main");
    await expect(detect(dir)).rejects.toThrow(/has no commit at HEAD yet/);
  });
});

describe("runGit", () => {
  it("reports a missing working directory as a ConfigError", async () => {
    const missing = join(tmpdir(), "modeltrail-detect-does-not-exist-5f3a");
    await expect(runGit(["status"], { cwd: missing, timeoutMs: 5_000 })).rejects.toThrow(
      /working directory does not exist/,
    );
  });

  it("resolves non-zero exits with their code instead of throwing", async () => {
    const { dir } = makeRepo();
    const result = await runGit(["remote", "get-url", "origin"], { cwd: dir, timeoutMs: 5_000 });
    expect(result.exitCode).not.toBe(0);
  });
});

describe("detectFromGit with an injected runner", () => {
  const sha = "0f".repeat(20);
  const fake =
    (answers: Record<string, Partial<GitRunResult>>): GitRunner =>
    async (args) => ({ stdout: "", stderr: "", exitCode: 0, ...answers[args.join(" ")] });

  it("treats a truncated status listing as dirty", async () => {
    const runner = fake({
      "rev-parse --is-inside-work-tree": { stdout: "true\n" },
      "rev-parse --verify --quiet HEAD": { stdout: `${sha}\n` },
      "status --porcelain": { stdout: "", truncated: true },
      "symbolic-ref --quiet --short HEAD": { exitCode: 1 },
      "remote get-url origin": { exitCode: 2, stderr: "error: No such remote 'origin'" },
    });
    expect((await detect("/repo", runner)).context.code).toEqual({ gitSha: sha, dirty: true });
  });

  it("explains git's safe.directory refusal", async () => {
    const runner = fake({
      "rev-parse --is-inside-work-tree": {
        exitCode: 128,
        stderr: "fatal: detected dubious ownership in repository at '/repo'",
      },
    });
    await expect(detect("/repo", runner)).rejects.toThrow(/safe\.directory/);
  });

  it("lets a git timeout through", async () => {
    const runner: GitRunner = async (_args, { timeoutMs }) => {
      throw new TimeoutError("git rev-parse did not finish", timeoutMs);
    };
    await expect(detect("/repo", runner)).rejects.toBeInstanceOf(TimeoutError);
  });
});
