import { ConfigError } from "../errors/config-error.js";
import { cleanRepoUrl } from "./repo-url.js";
import type { DetectedCode, DetectInputs, GitRunResult, SourceResult } from "./types.js";

const SHA = /^[0-9a-f]{40}$/;

/**
 * Reads the `code` section from the git work tree at `cwd`:
 * - `gitSha`: `git rev-parse --verify HEAD`;
 * - `dirty`: true when `git status --porcelain` lists anything (modified, staged or untracked files;
 *   ignored files do not count);
 * - `branch`: `git symbolic-ref --short HEAD`, absent on a detached HEAD (CI checkouts usually are);
 * - `repoUrl`: the URL of the `origin` remote with credentials stripped, absent without such a remote.
 *
 * Git runs through `inputs.git` (by default `execFile`, no shell, `inputs.gitTimeoutMs` per call).
 * Throws `ConfigError` outside a git work tree ("not a git repository: <cwd>"), in a repository
 * without commits, when git refuses the directory (safe.directory), or when git is not installed;
 * `TimeoutError` when git hangs.
 */
export async function detectFromGit(
  inputs: Pick<DetectInputs, "cwd" | "git" | "gitTimeoutMs">,
): Promise<SourceResult> {
  const { cwd } = inputs;
  const git = (...args: string[]) => inputs.git(args, { cwd, timeoutMs: inputs.gitTimeoutMs });

  const inside = await git("rev-parse", "--is-inside-work-tree");
  if (inside.exitCode !== 0) throw notARepository(cwd, inside);
  if (inside.stdout.trim() !== "true") {
    throw new ConfigError(`not inside a git work tree: ${cwd} (a .git directory or a bare repository)`, {
      hint: "Run inside a clone's work tree, or pass code.gitSha explicitly / set GIT_SHA",
      sources: ["GIT_SHA"],
    });
  }

  const head = await git("rev-parse", "--verify", "--quiet", "HEAD");
  const gitSha = head.stdout.trim().toLowerCase();
  if (head.exitCode !== 0 || !SHA.test(gitSha)) {
    throw new ConfigError(`the git repository at ${cwd} has no commit at HEAD yet`, {
      hint: "Commit first, or pass code.gitSha explicitly / set GIT_SHA",
      sources: ["GIT_SHA"],
    });
  }

  const [status, symbolic, remote] = await Promise.all([
    git("status", "--porcelain"),
    git("symbolic-ref", "--quiet", "--short", "HEAD"),
    git("remote", "get-url", "origin"),
  ]);
  if (status.exitCode !== 0) {
    throw new ConfigError(`git status failed in ${cwd}: ${firstLine(status.stderr)}`, {
      hint: "Check the repository, or pass code.dirty explicitly",
    });
  }

  const code: DetectedCode = { gitSha, dirty: status.truncated === true || status.stdout.trim().length > 0 };
  const branch = symbolic.exitCode === 0 ? symbolic.stdout.trim() : "";
  if (branch) code.branch = branch;
  const url = remote.exitCode === 0 ? remote.stdout.trim() : "";
  if (url) code.repoUrl = cleanRepoUrl(url);
  return { source: "git", context: { code } };
}

function notARepository(cwd: string, result: GitRunResult): ConfigError {
  const stderr = result.stderr;
  if (/dubious ownership|safe\.directory/i.test(stderr)) {
    return new ConfigError(`git refuses the repository at ${cwd}: it is owned by another user`, {
      hint: `Run \`git config --global --add safe.directory ${cwd}\`, or pass code.gitSha explicitly / set GIT_SHA`,
      sources: ["GIT_SHA"],
    });
  }
  if (/not a git repository/i.test(stderr) || stderr.trim() === "") {
    return new ConfigError(`not a git repository: ${cwd}`, {
      hint: "Run inside a clone, or pass code.gitSha explicitly / set GIT_SHA",
      sources: ["GIT_SHA"],
    });
  }
  return new ConfigError(`git could not read the repository at ${cwd}: ${firstLine(stderr)}`, {
    hint: "Fix the repository, or pass code.gitSha explicitly / set GIT_SHA",
    sources: ["GIT_SHA"],
  });
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
