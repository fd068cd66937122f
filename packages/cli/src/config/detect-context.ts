import { type DetectionResult, detectTraceContext, type TraceContextInput } from "@modeltrail/core";
import type { CliIo } from "../cli/cli-io.js";

/**
 * The TraceContext of the place the CLI runs in: CI provider, git work tree at the working
 * directory, container env, runtime (core's `detectTraceContext`). The CLI's own arguments are never
 * read as Databricks task parameters.
 */
export function detectContext(io: CliIo, overrides?: TraceContextInput): Promise<DetectionResult> {
  return detectTraceContext({
    env: io.env,
    cwd: io.cwd,
    argv: [],
    ...(overrides ? { overrides } : {}),
  });
}
