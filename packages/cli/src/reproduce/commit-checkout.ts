import { execFile } from "node:child_process";
import { chmod, lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AbortError } from "@modeltrail/core";
import { ReproduceRefusedError } from "./reproduce-refused-error.js";

/** What {@link withCommitCheckout} runs its callback with. */
export interface CommitCheckout {
  /** The checkout: a git worktree of the commit, detached, with its files read-only. */
  dir: string;
  /** The repository's top-level directory. */
  repoRoot: string;
  /** The full commit. */
  commit: string;
}

/** Options of {@link withCommitCheckout}. */
export interface CommitCheckoutOptions {
  /** Files that must exist at the commit (paths relative to the repository root), checked before checking out. */
  requiredFiles?: readonly string[] | undefined;
  /** Where the temporary directory is made (default the OS's). */
  tempDir?: string | undefined;
  signal?: AbortSignal | undefined;
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

function git(cwd: string, args: string[], signal?: AbortSignal): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd,
        signal,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0" },
      },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT")
          reject(
            new ReproduceRefusedError("git is not installed (no `git` on PATH)", {
              reason: "not-a-repository",
              hint: "install git: reproduce checks the recorded commit out with `git worktree add`",
            }),
          );
        else if (err && err.name === "AbortError")
          reject(new AbortError("git was interrupted", { cause: err }));
        else
          resolve({
            code: err ? (typeof err.code === "number" ? err.code : 1) : 0,
            stdout: String(stdout),
            stderr: String(stderr),
          });
      },
    );
  });
}

/**
 * Checks `commit` out of the git repository at `repoDir` into a temporary directory (a detached
 * `git worktree`, its files made read-only), runs `fn` with it, and always removes it afterwards
 * (`git worktree remove --force`, then the directory, then `git worktree prune`), also when `fn`
 * throws or the signal aborts. The repository's own work tree, index and branches are not touched.
 *
 * Throws ReproduceRefusedError: `not-a-repository` when `repoDir` is not in a git repository,
 * `commit-not-in-repository` when the commit is not there (the hint says to fetch it),
 * `template-missing` when one of `requiredFiles` does not exist at the commit. Rethrows what `fn`
 * throws.
 */
export async function withCommitCheckout<T>(
  repoDir: string,
  commit: string,
  fn: (checkout: CommitCheckout) => Promise<T>,
  options: CommitCheckoutOptions = {},
): Promise<T> {
  const { signal } = options;
  const top = await git(repoDir, ["rev-parse", "--show-toplevel"], signal);
  if (top.code !== 0)
    throw new ReproduceRefusedError(`${repoDir} is not inside a git repository`, {
      reason: "not-a-repository",
      hint: "run reproduce in a clone of the repository the model was trained from, or pass its directory (--repo DIR)",
    });
  const repoRoot = top.stdout.trim();
  if (!/^[0-9a-f]{40}$/.test(commit))
    throw new ReproduceRefusedError(`The recorded commit ${JSON.stringify(commit)} is not a full git SHA`, {
      reason: "no-commit",
      hint: "the run's GIT_SHA tag must hold the 40-character commit it was trained from",
    });
  const exists = await git(repoRoot, ["cat-file", "-e", `${commit}^{commit}`], signal);
  if (exists.code !== 0)
    throw new ReproduceRefusedError(`Commit ${commit} is not in the repository at ${repoRoot}`, {
      reason: "commit-not-in-repository",
      hint: `fetch it first (git fetch origin ${commit}, or git fetch --unshallow in a shallow clone), or run reproduce in the repository the model was trained from`,
    });
  for (const file of options.requiredFiles ?? []) {
    const found = await git(repoRoot, ["cat-file", "-e", `${commit}:${file}`], signal);
    if (found.code !== 0)
      throw new ReproduceRefusedError(
        `The job template ${file} does not exist at commit ${commit.slice(0, 12)}`,
        {
          reason: "template-missing",
          hint: `check the path (relative to the repository root; at that commit: git ls-tree -r --name-only ${commit.slice(0, 12)}), or pass the template the job was rendered from then`,
        },
      );
  }

  const parent = await mkdtemp(join(options.tempDir ?? tmpdir(), "modeltrail-reproduce-"));
  const dir = join(parent, "checkout");
  let added = false;
  try {
    const add = await git(repoRoot, ["worktree", "add", "--detach", "--quiet", dir, commit], signal);
    if (add.code !== 0)
      throw new ReproduceRefusedError(
        `git worktree add of commit ${commit} failed: ${add.stderr.trim().split("\n").slice(-1)[0] ?? ""}`,
        {
          reason: "commit-not-in-repository",
          hint: "check that the repository is writable (git records the worktree in .git/worktrees)",
        },
      );
    added = true;
    await setWritable(dir, false);
    return await fn({ dir, repoRoot, commit });
  } finally {
    if (added) {
      await setWritable(dir, true).catch(() => undefined);
      await git(repoRoot, ["worktree", "remove", "--force", dir]).catch(() => undefined);
    }
    await rm(parent, { recursive: true, force: true }).catch(() => undefined);
    await git(repoRoot, ["worktree", "prune"]).catch(() => undefined);
  }
}

/** Removes (or restores) the write bits of every file and directory below `dir`, except `.git`. */
async function setWritable(dir: string, writable: boolean): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.name === ".git") continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) await setWritable(path, writable);
    else if (!e.isFile()) continue;
    const mode = (await lstat(path)).mode & 0o777;
    await chmod(path, writable ? mode | 0o200 : mode & ~0o222);
  }
  const mode = (await lstat(dir)).mode & 0o777;
  await chmod(dir, writable ? mode | 0o200 : mode & ~0o222);
}
