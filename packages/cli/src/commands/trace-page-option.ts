import type { TraceReport, VerifyCheck } from "@modeltrail/core";
import type { Command } from "commander";
import { writeFileAtomic } from "../cli/files.js";

/** Adds `--html FILE` to `trace` and `verify`. */
export function addTracePageOption(cmd: Command): Command {
  return cmd.option(
    "--html <file>",
    "also write the trace as one self-contained HTML page (the lineage graph with each object's facts and links, failing checks in red; no scripts, nothing fetched) to FILE",
  );
}

/**
 * Renders the report (with the checks of a verify, when given) as the trace page of
 * `@modeltrail/trace-html` and writes it to `file` relative to `cwd` atomically (a temporary file,
 * read back, renamed over the target). The renderer is imported only when a page is asked for.
 * Returns the absolute path. Throws ConfigError when the file cannot be written; nothing is left
 * half-written.
 */
export async function writeTracePage(
  cwd: string,
  file: string,
  report: TraceReport,
  checks?: VerifyCheck[],
): Promise<string> {
  const { renderTraceHtml } = await import("@modeltrail/trace-html");
  const html = renderTraceHtml(report, checks ? { checks } : undefined);
  return writeFileAtomic(cwd, file, html);
}
