import { ConfigError } from "../errors/config-error.js";
import { ValidationError, type ValidationIssue } from "../errors/validation-error.js";
import { type EnvConventions, SCALAR_FIELDS, type ScalarField } from "../trace/conventions.js";
import type { TraceContext } from "../trace/trace-context.js";
import { type CodecOptions, conventionsOf, decodeFlatJson, encodeFlatJson } from "./codec-support.js";

/**
 * Encodes a context as environment variables (for a Databricks task or a container). Every scalar
 * field is written under each of its names (by default a seed such as `GIT_SHA` and the namespaced
 * `MODELTRAIL_CODE_GIT_SHA`); `RUN_ID` gets "the run id" (the Databricks job run id, or the MLflow
 * run id when there is no job run: see `runIdOf`); `environment.runtime`, `data` and `extra` are
 * written as JSON; the schema version goes to `MODELTRAIL_SCHEMA_VERSION`. Never writes
 * `MLFLOW_RUN_ID`. Lossless: `fromEnv(toEnv(ctx))` equals `ctx`. Never throws.
 */
export function toEnv(ctx: TraceContext, options?: CodecOptions): Record<string, string> {
  return encodeFlatJson(ctx, conventionsOf(options).env);
}

/** What `fromEnv` can be told to require: a scalar field (`code.gitSha`, ...) or `runId`, the run id of either kind. */
export type RequiredEnvField = ScalarField | "runId";

/** Options of {@link fromEnv}. */
export interface FromEnvOptions extends CodecOptions {
  /**
   * Values the process cannot start without, e.g. `["code.gitSha", "runId"]` in a serving container
   * (`runId`: the run id of either kind, as `RUN_ID` carries it). When one is missing, `fromEnv`
   * throws one ConfigError listing every missing value with the variables that would provide it.
   */
  require?: ReadonlyArray<RequiredEnvField> | undefined;
}

/**
 * Decodes a context from environment variables (default `process.env`). Only the variables named
 * by the conventions are read; everything else is ignored. Empty values count as absent. When a
 * field has several names (`GIT_SHA` and `MODELTRAIL_CODE_GIT_SHA`), the values present must agree.
 * `RUN_ID` is read as the job run id, or as the MLflow run id when `MODELTRAIL_MODEL_MLFLOW_RUN_ID`
 * says so or (alone) when it has the shape of one (32 hex characters; see `classifyRunId`).
 *
 * With `require`, the strict form a serving process calls at start-up
 * (`fromEnv(process.env, { require: ["code.gitSha", "runId"] })`): every required value must be set.
 *
 * Throws ValidationError naming each bad variable (invalid value, invalid JSON, disagreeing names;
 * with `require`, the missing ones too), or when `MODELTRAIL_SCHEMA_VERSION` is newer than this
 * release (upgrade modeltrail); ConfigError listing every required value that is missing (and the
 * variables that would provide it) when nothing is invalid; ValidationError for a `require` entry
 * that is not a field the conventions carry.
 */
export function fromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options?: FromEnvOptions,
): TraceContext {
  const conventions = conventionsOf(options).env;
  const required = requiredNames(options?.require, conventions);
  const isSet = (name: string): boolean => {
    const value: unknown = env?.[name];
    return typeof value === "string" && value.trim() !== "";
  };
  const missing = required.filter(({ names }) => !names.some(isSet));
  let ctx: TraceContext;
  try {
    ctx = decodeFlatJson("TraceContext in environment variables", env, conventions);
  } catch (err) {
    if (!(err instanceof ValidationError) || missing.length === 0) throw err;
    throw new ValidationError(err.message.split("\n")[0] ?? "Invalid TraceContext in environment variables", {
      issues: [
        ...err.issues,
        ...missing.map(({ label, names }) => ({
          path: names.join(", "),
          message: `${label} is required but not set`,
        })),
      ],
    });
  }
  if (missing.length > 0) {
    const list = missing.map(({ label, names }) => `${label} (${names.join(" or ")})`).join(", ");
    throw new ConfigError(`The environment lacks ${missing.length} required trace value(s): ${list}`, {
      sources: missing.map(({ names }) => names[0] as string),
      hint: "Set them in the process environment, e.g. the Deployment's env written by toEnv(ctx)",
    });
  }
  return ctx;
}

/** The variables that carry each required value, in the conventions' order. */
function requiredNames(
  require: ReadonlyArray<RequiredEnvField> | undefined,
  conventions: EnvConventions,
): Array<{ label: string; names: readonly string[] }> {
  if (require === undefined) return [];
  const issues: ValidationIssue[] = [];
  const out: Array<{ label: string; names: readonly string[] }> = [];
  if (!Array.isArray(require)) {
    throw new ValidationError("Invalid fromEnv options", {
      issues: [{ path: "require", message: "must be an array of field names" }],
    });
  }
  require.forEach((field, i) => {
    if (field === "runId") {
      const names = [
        ...(conventions.runId ? [conventions.runId] : []),
        ...conventions.fields["job.runId"],
        ...conventions.fields["model.mlflowRunId"],
      ];
      if (names.length === 0) {
        issues.push({ path: `require[${i}]`, message: "the conventions carry no run id in the environment" });
      } else out.push({ label: "the run id", names });
    } else if ((SCALAR_FIELDS as readonly string[]).includes(field)) {
      const names = conventions.fields[field as ScalarField];
      if (names.length === 0) {
        issues.push({
          path: `require[${i}]`,
          message: `${field} has no environment variable in the conventions`,
        });
      } else out.push({ label: field, names });
    } else {
      issues.push({
        path: `require[${i}]`,
        message: `unknown field ${JSON.stringify(field)}; expected "runId" or one of ${SCALAR_FIELDS.join(", ")}`,
      });
    }
  });
  if (issues.length > 0) throw new ValidationError("Invalid fromEnv options", { issues });
  return out;
}
