import type { DetectionResult, TraceContext } from "@modeltrail/core";
import { type RenderedJobTemplate, renderJobTemplate } from "@modeltrail/databricks";
import type { Command } from "commander";
import type { RunContext } from "../cli/cli-app.js";
import { readInputFile, readObjectFile } from "../cli/files.js";
import { gitShaPrefix, keyValue } from "../cli/option-parsers.js";
import { UsageError } from "../cli/usage-error.js";
import { detectContext } from "../config/detect-context.js";

/** The options every command that renders a job template takes. */
export interface JobTemplateOptions {
  var?: Record<string, string>;
  varsFile?: string;
  gitSha?: string;
  validate?: boolean;
}

/** Adds `--var`, `--vars-file`, `--git-sha` and `--no-validate` to a command. */
export function addJobTemplateOptions(cmd: Command): Command {
  return cmd
    .option("--var <key=value>", "a template variable (repeatable; a string)", keyValue)
    .option("--vars-file <file>", "template variables from a JSON or YAML object (typed values)")
    .option("--git-sha <sha>", "the commit to inject (default: detected from CI or git)", fullSha)
    .option("--no-validate", "do not check the rendered settings against the Jobs API schema");
}

function fullSha(value: string): string {
  const sha = gitShaPrefix(value);
  if (sha.length !== 40)
    throw new UsageError(`--git-sha needs the full 40-character commit SHA, got "${value}"`);
  return sha;
}

/** A rendered template with the context it was rendered with. */
export interface RenderedWithContext {
  rendered: RenderedJobTemplate;
  ctx: TraceContext;
  detected: DetectionResult;
}

/**
 * Detects the context (with `--git-sha` as an override), reads the template and the variables, and
 * renders the template with the commit injected. Throws ConfigError for unreadable files and
 * ValidationError for a template that does not render or validate.
 */
export async function renderTemplateFromOptions(
  run: RunContext<JobTemplateOptions>,
  templatePath: string,
): Promise<RenderedWithContext> {
  const { io, opts } = run;
  const detected = await detectContext(io, opts.gitSha ? { code: { gitSha: opts.gitSha } } : undefined);
  const template = await readInputFile(io.cwd, templatePath, "job template");
  const fileVars = opts.varsFile ? await readObjectFile(io.cwd, opts.varsFile, "vars file") : {};
  const vars = { ...fileVars, ...(opts.var ?? {}) };
  const rendered = renderJobTemplate(template, {
    ctx: detected.context,
    vars,
    validate: opts.validate !== false,
    name: templatePath,
  });
  for (const w of rendered.warnings) run.out.warn(w);
  return { rendered, ctx: detected.context, detected };
}
