import { redactText } from "@modeltrail/core/internal";
import type { CliOutcome } from "../cli/cli-app.js";
import { EXIT_CODES } from "../cli/exit-codes.js";

/** `runId` -> `run-id`: GitHub's convention for input and output names. */
export function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** The result as JSON, redacted (registered secrets, tokens, credentials in URLs). */
export function resultJson(outcome: CliOutcome): string {
  return redactText(JSON.stringify(outcome.data ?? null));
}

/**
 * The step's outputs for an outcome: `exit-code`, `result` (the command's whole JSON result, as
 * `--json` prints it), `error` and `hint` on failure, and every top-level string, number or
 * boolean field of the result under its kebab-case name (`runId` -> `run-id`, `gitSha` ->
 * `git-sha`, `digest`, `version`, ...); a result with a trace (`context`) also gives `git-sha`,
 * `run-id`, `job-id` and `mlflow-run-id` from it when the top level has none. All redacted.
 */
export function actionOutputs(outcome: CliOutcome): Record<string, string> {
  const outputs: Record<string, string> = {};
  const data = outcome.data;
  if (data && typeof data === "object" && !Array.isArray(data)) {
    for (const [key, value] of Object.entries(data)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        outputs[kebabCase(key)] = redactText(String(value));
    }
  }
  // a result that carries a trace (`context`) also gives its main ids, when not already set
  const ctx = data && typeof data === "object" ? (data as { context?: unknown }).context : undefined;
  if (ctx && typeof ctx === "object") {
    const c = ctx as {
      code?: { gitSha?: unknown };
      job?: { runId?: unknown; jobId?: unknown };
      model?: { mlflowRunId?: unknown };
    };
    const ids: Array<[string, unknown]> = [
      ["git-sha", c.code?.gitSha],
      ["run-id", c.job?.runId ?? c.model?.mlflowRunId],
      ["job-id", c.job?.jobId],
      ["mlflow-run-id", c.model?.mlflowRunId],
    ];
    for (const [name, value] of ids)
      if (outputs[name] === undefined && (typeof value === "string" || typeof value === "number"))
        outputs[name] = redactText(String(value));
  }
  outputs.result = resultJson(outcome);
  outputs["exit-code"] = String(outcome.exitCode);
  if (outcome.error) {
    outputs.error = outcome.error.message;
    outputs.hint = outcome.error.hint;
  }
  return outputs;
}

/** What an exit code means, for the summary. */
function status(outcome: CliOutcome, command: string): string {
  switch (outcome.exitCode) {
    case EXIT_CODES.ok:
      return "succeeded";
    case EXIT_CODES.usage:
      return "failed: usage error (exit 2)";
    case EXIT_CODES.verifyFailed:
      return command.split(" ")[0] === "deploy"
        ? "failed: the deploy gate refused the image (exit 3)"
        : "failed: verify found failing checks (exit 3)";
    case EXIT_CODES.reproduceDiffers:
      return "failed: reproduce ran and the result differs from the original run (exit 4)";
    case EXIT_CODES.interrupted:
      return "interrupted (exit 130)";
    default:
      return `failed (exit ${outcome.exitCode})`;
  }
}

/** A Markdown table cell: one line, pipes and HTML escaped. */
function cell(value: string): string {
  return value
    .replace(/\r?\n/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|");
}

/** A check as a deploy result lists it under `verification.checks` (or `refused`). */
interface GateCheckRow {
  id?: unknown;
  status?: unknown;
  message?: unknown;
}

/**
 * The deploy gate's part of the summary, for a `deploy` result with the gate on: whether it passed
 * or refused the image, and its checks as a table (the refused ones first).
 */
function gateSummary(data: unknown): string[] {
  if (!data || typeof data !== "object") return [];
  const d = data as { gate?: unknown; image?: unknown; refused?: unknown; verification?: unknown };
  if (d.gate !== "passed" && d.gate !== "refused") return [];
  const v = (d.verification ?? {}) as { checks?: unknown; requireProvenance?: unknown; strict?: unknown };
  const refused = Array.isArray(d.refused) ? (d.refused as GateCheckRow[]) : [];
  const all = Array.isArray(v.checks) ? (v.checks as GateCheckRow[]) : [];
  const key = (c: GateCheckRow) => `${String(c.id)} ${String(c.message)}`;
  const shown = new Set(refused.map(key));
  const rows = [...refused, ...all.filter((c) => !shown.has(key(c)))];
  const settings = `provenance ${v.requireProvenance === false ? "not required" : "required"}${v.strict === true ? ", strict" : ""}`;
  const out = [
    d.gate === "passed"
      ? `**Deploy gate:** passed (${settings})`
      : `**Deploy gate:** refused ${cell(String(d.image ?? "the image"))} (${settings}); nothing was applied or started`,
    "",
  ];
  if (rows.length > 0) {
    out.push("| check | status | what it found |", "|---|---|---|");
    for (const c of rows)
      out.push(
        `| ${cell(redactText(String(c.id)))} | ${refused.includes(c) ? `**${cell(String(c.status))}** (refused)` : cell(String(c.status))} | ${cell(redactText(String(c.message ?? "")))} |`,
      );
    out.push("");
  }
  return out;
}

/**
 * The job summary of one command (`$GITHUB_STEP_SUMMARY`, Markdown): its status, the error and
 * hint when it failed, the deploy gate's verdict and checks when a deploy was gated, the result's
 * top-level values as a table and the whole result in a collapsed JSON block. Redacted.
 */
export function summaryMarkdown(command: string, outcome: CliOutcome): string {
  const lines = [`### modeltrail ${cell(command)}: ${status(outcome, command)}`, ""];
  if (outcome.error) {
    lines.push(`**Error:** ${cell(outcome.error.message)}`, "", `**Hint:** ${cell(outcome.error.hint)}`, "");
  }
  lines.push(...gateSummary(outcome.data));
  const outputs = actionOutputs(outcome);
  const rows = Object.entries(outputs).filter(([k]) => !["result", "exit-code", "error", "hint"].includes(k));
  if (rows.length > 0) {
    lines.push("| output | value |", "|---|---|");
    for (const [k, v] of rows)
      lines.push(`| ${cell(k)} | ${v === "" ? "" : `\`${cell(v).replace(/`/g, "'")}\``} |`);
    lines.push("");
  }
  if (outcome.data !== undefined) {
    const json = redactText(JSON.stringify(outcome.data, null, 2)).replace(/```/g, "'''");
    lines.push("<details><summary>result (JSON)</summary>", "", "```json", json, "```", "", "</details>", "");
  }
  return `${lines.join("\n")}\n`;
}
