/*
 * Types shared by the detection sources. A source looks at injected inputs (env, cwd, argv, a file
 * reader, a git runner) and returns the part of a trace context it knows, or nothing.
 */

import type { KNOWN_CI_PROVIDERS, TraceContextInput } from "../trace/schema.js";

/** A partial trace context: what one source, or the merge of several, knows (`createTraceContext` input). */
export type DetectedContext = TraceContextInput;

/** The `code` section as far as a source knows it. */
export type DetectedCode = NonNullable<TraceContextInput["code"]>;

/** The `ci` section as far as a source knows it. */
export type DetectedCi = NonNullable<TraceContextInput["ci"]>;

/** The `job` section as far as a source knows it. */
export type DetectedJob = NonNullable<TraceContextInput["job"]>;

/** Environment variables as detection reads them (`process.env` by default). */
export type DetectEnv = Readonly<Record<string, string | undefined>>;

/** Reads a UTF-8 text file; rejects when it cannot. */
export type ReadTextFile = (path: string) => Promise<string>;

/** What one git invocation produced. A non-zero exit is reported, not thrown. */
export interface GitRunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** True when stdout was larger than the runner keeps (the output is then truncated). */
  truncated?: boolean;
}

/**
 * Runs `git <args>` in `cwd`. Resolves with the exit code for any exit; rejects only when git could
 * not be run at all (not installed, timed out).
 */
export type GitRunner = (
  args: readonly string[],
  options: { cwd: string; timeoutMs: number },
) => Promise<GitRunResult>;

/** Everything a detection source may look at; every piece is injectable for tests. */
export interface DetectInputs {
  env: DetectEnv;
  cwd: string;
  argv: readonly string[];
  readFile: ReadTextFile;
  git: GitRunner;
  gitTimeoutMs: number;
}

/**
 * Names of the sources that can supply a field: `override` (explicit options), `databricks`, a CI
 * provider name, `container`, `git`, `runtime`, or the name of a custom source.
 */
export type DetectionSourceName =
  | "override"
  | "databricks"
  | Exclude<(typeof KNOWN_CI_PROVIDERS)[number], "local">
  | "container"
  | "git"
  | "runtime"
  | (string & {});

/**
 * What a source found: its name (a CI source names its provider), the fields it knows, and what it
 * saw but could not use (e.g. a `GITHUB_SHA` that is not a commit SHA), reported as detection warnings.
 */
export interface SourceResult {
  source: DetectionSourceName;
  context: DetectedContext;
  warnings?: readonly string[];
}

/**
 * One detection source. `detect` returns what it found, or `undefined` when it does not apply
 * (e.g. not running on that CI). It throws `ConfigError`/`ValidationError` when it applies but its
 * inputs are broken.
 */
export interface DetectionSource {
  /** A stable name, used in error messages and for `requireGit` (`git`). */
  readonly name: string;
  detect(inputs: DetectInputs): SourceResult | undefined | Promise<SourceResult | undefined>;
}

/**
 * Dotted path of a detected field, e.g. `code.gitSha`, `ci.runUrl`, `environment.runtime.node`,
 * `extra.team`; `data` for the whole data list.
 */
export type TraceFieldPath =
  | `code.${keyof DetectedCode}`
  | `ci.${keyof DetectedCi}`
  | `job.${keyof DetectedJob}`
  | `model.${string}`
  | `image.${string}`
  | `deployment.${string}`
  | "environment.name"
  | `environment.runtime.${string}`
  | "data"
  | `extra.${string}`;
