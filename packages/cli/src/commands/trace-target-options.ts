import { parseTraceHandle, type TraceHandle, ValidationError } from "@modeltrail/core";
import type { Command } from "commander";
import { collect } from "../cli/option-parsers.js";
import { UsageError } from "../cli/usage-error.js";

/** What `trace` and `verify` start from, as their help explains it. */
export const HANDLE_HELP =
  "what you have in hand: a log line (JSON), deployment/NAMESPACE/NAME, pod/NAMESPACE/NAME, an image reference, models:/NAME/VERSION, a run id (Databricks job run or MLflow), or a commit SHA";

/** Adds the options that say where `trace` and `verify` look. */
export function addTraceTargetOptions(cmd: Command): Command {
  return cmd
    .option(
      "--repository <repo>",
      "a registry repository to search for images by run id or commit (repeatable; also MODELTRAIL_REGISTRY)",
      collect,
    )
    .option(
      "-n, --namespace <ns>",
      "a Kubernetes namespace to search (repeatable; default: the context's)",
      collect,
    )
    .option("--kubeconfig <file>", "the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "the kubeconfig context (default: the current one)")
    .option(
      "--public-key <file>",
      "a PEM public key to verify image provenance signatures with (default: MODELTRAIL_PUBLIC_KEY)",
    );
}

/** Reads the handle argument; a handle trace() cannot read is a usage error (exit 2). */
export function readHandle(text: string): TraceHandle {
  try {
    return parseTraceHandle(text);
  } catch (err) {
    if (err instanceof ValidationError)
      throw new UsageError(`Cannot read the handle ${JSON.stringify(text.slice(0, 120))}: ${err.message}`, {
        hint: `give ${HANDLE_HELP}`,
      });
    throw err;
  }
}
