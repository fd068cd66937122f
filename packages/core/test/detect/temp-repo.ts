import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const created: string[] = [];

/** Removes every directory made by this module (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh directory under os.tmpdir(), removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `modeltrail-detect-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Runs git in `cwd` with a fixed identity, no signing and no hooks; returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", ...args], {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Test",
      GIT_AUTHOR_EMAIL: "test@example.com",
      GIT_COMMITTER_NAME: "Test",
      GIT_COMMITTER_EMAIL: "test@example.com",
    },
  }).trim();
}

/** A repository on branch `main` with two commits, `tracked.txt` and a committed `.gitignore`. */
export function makeRepo(): { dir: string; head: string; first: string } {
  const dir = tempDir("repo");
  git(dir, "init", "-q", "-b", "main");
  writeFileSync(join(dir, "tracked.txt"), "one\n");
  writeFileSync(join(dir, ".gitignore"), "*.log\n");
  git(dir, "add", "tracked.txt", ".gitignore");
  git(dir, "commit", "-q", "-m", "first");
  const first = git(dir, "rev-parse", "HEAD");
  writeFileSync(join(dir, "tracked.txt"), "two\n");
  git(dir, "commit", "-q", "-am", "second");
  return { dir, head: git(dir, "rev-parse", "HEAD"), first };
}
