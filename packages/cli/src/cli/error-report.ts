import {
  AbortError,
  ApiError,
  ConfigError,
  ForbiddenError,
  isModelTrailError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  UnauthorizedError,
  ValidationError,
} from "@modeltrail/core";
import { redactText } from "@modeltrail/core/internal";
import { CommanderError } from "commander";
import { CommandFailedError } from "./command-failed-error.js";
import { EXIT_CODES, type ExitCode } from "./exit-codes.js";
import { UsageError } from "./usage-error.js";

/** An error as the CLI shows it: one line, a hint, and the exit code it ends with. */
export interface ErrorReport {
  /** One line: what went wrong. */
  message: string;
  /** One line: what to do about it. */
  hint: string;
  exitCode: ExitCode;
  /** The error's stable code (`CONFIG_ERROR`, `NOT_FOUND`, ...; `USAGE` for command-line errors). */
  code: string;
  /** The error class name. */
  name: string;
}

/** Credentials each service reads, named in the hint of a 401/403. */
const CREDENTIAL_HINTS: Record<string, string> = {
  databricks:
    "check DATABRICKS_HOST and its credentials (DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/SECRET, ARM_CLIENT_ID/SECRET or a ~/.databrickscfg profile)",
  mlflow:
    "check MLFLOW_TRACKING_URI and its credentials (MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)",
  kubernetes: "check the kubeconfig user (KUBECONFIG, --context) and its RBAC permissions",
  "oci-registry":
    "check the registry credentials (docker login / ~/.docker/config.json, or AZURE_CLIENT_ID/SECRET/TENANT_ID for ACR) and the repository's permissions",
};

/**
 * Describes an error for the terminal: its message on one line (issue lists joined with `; `), a
 * hint (the error's own, else one chosen by its kind), the exit code (2 for usage errors, 3 for a
 * failing verify, 130 for an interruption, 1 otherwise) and its code. Everything is redacted.
 */
export function describeError(err: unknown, command?: string): ErrorReport {
  const helpHint = `run "modeltrail ${command ? `${command} ` : ""}--help" for usage and an example`;
  if (err instanceof CommanderError) {
    return {
      message: oneLine(err.message.replace(/^error:\s*/i, "")),
      hint: helpHint,
      exitCode: EXIT_CODES.usage,
      code: "USAGE",
      name: "UsageError",
    };
  }
  if (err instanceof UsageError) {
    return {
      message: oneLine(stripHint(err.message, err.hint)),
      hint: err.hint ?? helpHint,
      exitCode: EXIT_CODES.usage,
      code: "USAGE",
      name: "UsageError",
    };
  }
  if (err instanceof CommandFailedError) {
    return {
      message: oneLine(err.message),
      hint: err.hint ?? "see the output above",
      exitCode: err.exitCode,
      code: err.exitCode === EXIT_CODES.verifyFailed ? "VERIFY_FAILED" : "COMMAND_FAILED",
      name: err.name,
    };
  }
  if (isModelTrailError(err)) {
    const e = err as Error & { code: string; hint?: string | undefined };
    return {
      message: oneLine(stripHint(e.message, e.hint)),
      hint: oneLine(e.hint ?? defaultHint(err)),
      exitCode: err instanceof AbortError ? EXIT_CODES.interrupted : EXIT_CODES.failure,
      code: e.code,
      name: e.name,
    };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return {
    message: oneLine(message),
    hint: "this looks like a bug in modeltrail: run again with --debug and report the stack trace",
    exitCode: EXIT_CODES.failure,
    code: "INTERNAL",
    name: err instanceof Error ? err.name : "Error",
  };
}

/** The stack trace to show with `--debug`, redacted, with the causes. */
export function debugStack(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) parts.push(current.stack ?? `${current.name}: ${current.message}`);
    else parts.push(String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push("caused by:");
  }
  return redactText(parts.join("\n"));
}

function defaultHint(err: unknown): string {
  if (err instanceof ConfigError) return "set the variables or options named above";
  if (err instanceof UnauthorizedError || err instanceof ForbiddenError) {
    const svc = (err as ApiError).service;
    return CREDENTIAL_HINTS[svc] ?? "check the credentials and their permissions";
  }
  if (err instanceof NotFoundError) return "check the name or id; it does not exist where modeltrail looked";
  if (err instanceof RateLimitError) return "the service is throttling requests: wait and try again";
  if (err instanceof ApiError) return `the ${err.service} service refused the request; see its message above`;
  if (err instanceof TimeoutError) return "raise --timeout, or check that the service is responding";
  if (err instanceof NetworkError) return "check the URL and that the server is reachable from here";
  if (err instanceof AbortError) return "the command was interrupted";
  if (err instanceof ValidationError) return "fix the values listed above";
  return "run again with --debug for details";
}

/** Removes the `. <hint>` suffix ModelTrailError appends to its message, so the hint is shown once. */
function stripHint(message: string, hint: string | undefined): string {
  if (!hint) return message;
  const suffix = `. ${hint}`;
  const idx = message.lastIndexOf(suffix);
  if (idx === -1) return message;
  // the hint is appended after the first line; issue lines may follow it
  return message.slice(0, idx) + message.slice(idx + suffix.length);
}

/** Collapses a multi-line message (issue lists) onto one line. */
function oneLine(text: string): string {
  return redactText(
    text
      .split("\n")
      .map((l) => l.trim().replace(/^- /, ""))
      .filter((l) => l !== "")
      .join("; "),
  );
}
