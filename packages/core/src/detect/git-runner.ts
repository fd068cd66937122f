import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { ConfigError } from "../errors/config-error.js";
import { TimeoutError } from "../errors/timeout-error.js";
import type { GitRunner, GitRunResult } from "./types.js";

/** Default time allowed for one git invocation. */
export const DEFAULT_GIT_TIMEOUT_MS = 10_000;

/** Largest stdout kept from one git invocation; `git status` beyond this is reported as truncated. */
const MAX_BUFFER = 4 * 1024 * 1024;

/**
 * The default {@link GitRunner}: runs the `git` executable with `execFile` (no shell), a bounded
 * timeout and a bounded output buffer. It sets `LC_ALL=C` (stable messages), `GIT_TERMINAL_PROMPT=0`
 * (never waits for a password) and `GIT_OPTIONAL_LOCKS=0` (`git status` does not take the index lock).
 * Resolves with the exit code for any exit. Rejects with `ConfigError` when git is not installed and
 * with `TimeoutError` when git runs longer than `timeoutMs`.
 */
export const runGit: GitRunner = (args, { cwd, timeoutMs }) =>
  new Promise<GitRunResult>((resolve, reject) => {
    execFile(
      "git",
      [...args],
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: MAX_BUFFER,
        encoding: "utf8",
        windowsHide: true,
        env: { ...process.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" },
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr, exitCode: 0 });
          return;
        }
        const err = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (err.code === "ENOENT" && !existsSync(cwd)) {
          reject(
            new ConfigError(`working directory does not exist: ${cwd}`, { hint: "Pass an existing cwd" }),
          );
          return;
        }
        if (err.code === "ENOENT") {
          reject(
            new ConfigError("git executable not found on PATH", {
              hint: "Install git, or pass code.gitSha explicitly / set GIT_SHA",
            }),
          );
          return;
        }
        if (err.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") {
          resolve({ stdout, stderr, exitCode: 0, truncated: true });
          return;
        }
        if (err.killed || err.signal) {
          reject(
            new TimeoutError(
              `git ${args[0] ?? ""} did not finish within ${timeoutMs} ms in ${cwd}`,
              timeoutMs,
            ),
          );
          return;
        }
        if (typeof err.code === "number") {
          resolve({ stdout, stderr, exitCode: err.code });
          return;
        }
        reject(new ConfigError(`could not run git in ${cwd}: ${err.message}`, { cause: err }));
      },
    );
  });
