import { readFile as fsReadFile } from "node:fs/promises";
import type { TraceContextInput } from "../trace/schema.js";
import { createTraceContext, type TraceContext } from "../trace/trace-context.js";
import { detectFromCi } from "./ci/ci-source.js";
import { detectFromContainerEnv } from "./container-source.js";
import { detectFromDatabricks } from "./databricks-source.js";
import { DEFAULT_GIT_TIMEOUT_MS, runGit } from "./git-runner.js";
import { detectFromGit } from "./git-source.js";
import { type FieldSources, mergeDetected } from "./merge-detected.js";
import { detectRuntime } from "./runtime-source.js";
import type {
  DetectEnv,
  DetectInputs,
  DetectionSource,
  GitRunner,
  ReadTextFile,
  SourceResult,
} from "./types.js";

/**
 * The default detection sources, highest precedence first: `databricks` (job task parameters and
 * env), `ci` (the first recognised CI provider), `container` (lineage env variables of a serving
 * container), `git` (the work tree at `cwd`), `runtime` (node version).
 */
export const DEFAULT_DETECTION_SOURCES: readonly DetectionSource[] = [
  { name: "databricks", detect: detectFromDatabricks },
  { name: "ci", detect: detectFromCi },
  { name: "container", detect: (inputs) => detectFromContainerEnv(inputs) },
  { name: "git", detect: detectFromGit },
  { name: "runtime", detect: () => detectRuntime() },
];

/** Options of {@link detectTraceContext}. Every input is injectable; defaults read the real process. */
export interface DetectTraceContextOptions {
  /** Environment variables. Default `process.env`. */
  env?: DetectEnv;
  /** Directory whose git work tree is read. Default `process.cwd()`. */
  cwd?: string;
  /** Task parameters (Databricks). Default `process.argv.slice(2)`. */
  argv?: readonly string[];
  /** Explicit values; they win over everything detected. */
  overrides?: TraceContextInput;
  /**
   * The sources to consult, highest precedence first. Default {@link DEFAULT_DETECTION_SOURCES};
   * pass a subset to skip some (e.g. without `git` in a container that has no repository), or add
   * your own. A source named `git` is the one `requireGit` governs. For custom env names, replace the
   * container source: `{ name: "container", detect: (i) => detectFromContainerEnv(i, { conventions }) }`.
   */
  sources?: readonly DetectionSource[];
  /**
   * Whether a failing `git` source fails detection. `true`: always. `false`: never (the context may
   * then lack `code.gitSha`). Unset (default): only when no other source (overrides, Databricks
   * parameters, CI, container env) supplied `code.gitSha`.
   */
  requireGit?: boolean;
  /** Reads files (the GitHub event payload). Default `fs.readFile(path, "utf8")`. */
  readFile?: ReadTextFile;
  /** Runs git. Default {@link runGit} (execFile, no shell). */
  git?: GitRunner;
  /** Time allowed per git invocation. Default {@link DEFAULT_GIT_TIMEOUT_MS}. */
  gitTimeoutMs?: number;
}

/** The detected context and where each of its fields came from. */
export interface DetectionResult {
  /** The validated, immutable context. */
  context: TraceContext;
  /** For each field path (`code.gitSha`, `ci.runUrl`, `environment.runtime.node`, ...), its source. */
  sources: FieldSources;
  /**
   * What detection saw but did not use, prefixed with the source: values that are not what they claim
   * to be (a `GITHUB_SHA` that is not a commit SHA), and sources that failed without failing detection
   * (the git source when optional), with the reason.
   */
  warnings: string[];
}

/**
 * Detects the lineage of the current process and returns it as a validated TraceContext, with the
 * source of every field.
 *
 * Sources are consulted in order and merged field by field; for each field the first source that
 * knows it wins. The precedence is:
 *
 * 1. `overrides` (explicit values),
 * 2. Databricks job task parameters (`--job-id {{job.id}} ...`, see `parseJobArgs`) and env,
 * 3. the CI provider (GitHub Actions, Azure Pipelines, GitLab CI, Buildkite, CircleCI, Jenkins),
 * 4. the container env (`GIT_SHA`, ... as written by `toEnv`),
 * 5. git (HEAD, dirty state, branch, `origin` URL of the work tree at `cwd`),
 * 6. runtime facts (`environment.runtime.node`).
 *
 * So in a GitHub pull request run the SHA is the pull request head from CI while `code.dirty` comes
 * from git; a Databricks task's `--git-sha` wins over whatever git finds in the checked-out repo.
 *
 * Git is optional when another source already supplied `code.gitSha` (a CI run, a container with
 * `GIT_SHA`): then a git failure (no repository, git not installed) is reported in `warnings`
 * instead of thrown. Set `requireGit` to change that.
 *
 * Throws `ConfigError` (not a git repository and no SHA from elsewhere; unreadable GitHub event
 * payload on a pull request event), `ValidationError` (malformed Databricks ids, `GIT_SHA`, or
 * overrides; an invalid merged context), `TimeoutError` (git hung and was required).
 */
export async function detectTraceContext(options: DetectTraceContextOptions = {}): Promise<DetectionResult> {
  const inputs: DetectInputs = {
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
    argv: options.argv ?? process.argv.slice(2),
    readFile: options.readFile ?? ((path) => fsReadFile(path, "utf8")),
    git: options.git ?? runGit,
    gitTimeoutMs: options.gitTimeoutMs ?? DEFAULT_GIT_TIMEOUT_MS,
  };

  const results: SourceResult[] = [];
  if (options.overrides) results.push({ source: "override", context: options.overrides });

  let gitError: unknown;
  for (const source of options.sources ?? DEFAULT_DETECTION_SOURCES) {
    try {
      const result = await source.detect(inputs);
      if (result) results.push(result);
    } catch (err) {
      if (source.name !== "git") throw err;
      gitError = err;
    }
  }

  const warnings: string[] = [];
  for (const result of results)
    for (const w of result.warnings ?? []) warnings.push(`${result.source}: ${w}`);
  const merged = mergeDetected(results);
  if (gitError !== undefined) {
    const shaFromElsewhere = merged.sources["code.gitSha"] !== undefined;
    if (options.requireGit === true || (options.requireGit === undefined && !shaFromElsewhere))
      throw gitError;
    warnings.push(`git: ${gitError instanceof Error ? gitError.message : String(gitError)}`);
  }

  return { context: createTraceContext(merged.context), sources: merged.sources, warnings };
}
