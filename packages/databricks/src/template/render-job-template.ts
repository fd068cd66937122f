import { ValidationError } from "@modeltrail/core";
import nunjucks from "nunjucks";
import { findDynamicValueReferences } from "../dynamic-values.js";
import type { JobSettings } from "../job-settings/job-settings-schema.js";
import { validateJobSettings } from "../job-settings/validate-job-settings.js";
import { checkJobTemplate } from "./check-template.js";
import { compileJobTemplate, OUTPUT_RUNTIME_KEY } from "./compile-template.js";
import { decodeJson, decodeYaml } from "./decode-document.js";
import { Fragment } from "./fragment.js";
import { OutputRuntime } from "./output-runtime.js";
import { parseJobTemplate } from "./parse-template.js";
import { PlaceholderTable } from "./placeholders.js";
import { RESERVED_TEMPLATE_NAMES } from "./reserved-names.js";
import { templateError } from "./template-error.js";
import { addJobTemplateFilters } from "./template-filters.js";

/**
 * Anything that serialises to the TraceContext JSON (a core `TraceContext`, or its JSON form): the
 * template sees it as `ctx` (`ctx.code.gitSha`, `ctx.ci.runId`, ...).
 */
export type TemplateTraceContext = { toJSON(): unknown } | Readonly<Record<string, unknown>>;

/** Options of {@link renderJobTemplate}. */
export interface RenderJobTemplateOptions {
  /** The trace context; available as `ctx`, and its `code.gitSha` as `git_sha`. */
  ctx?: TemplateTraceContext;
  /** Extra variables, available by name at the top level of the template. */
  vars?: Record<string, unknown>;
  /** The template's format. Default: JSON when the rendered text starts with `{` or `[`, else YAML (a JSON-looking text is never reinterpreted as YAML, so JSON errors stay JSON errors). */
  format?: "json" | "yaml";
  /** Validate the result with {@link validateJobSettings} (default true). */
  validate?: boolean;
  /** Name of the template, used in messages (default "job template"). */
  name?: string;
}

/** The result of {@link renderJobTemplate}. */
export interface RenderedJobTemplate {
  /** The rendered document: JSON (2-space indented) or YAML (comments and layout kept). */
  text: string;
  /** The parsed job settings. */
  settings: JobSettings;
  /** The format that was rendered. */
  format: "json" | "yaml";
  /** Advice that did not stop rendering: deprecated or unknown dynamic value references. */
  warnings: string[];
}

function contextJson(ctx: TemplateTraceContext | undefined): Record<string, unknown> | undefined {
  if (ctx === undefined) return undefined;
  const json = JSON.parse(JSON.stringify(ctx)) as unknown;
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new ValidationError("Invalid job template context", {
      issues: [{ path: "ctx", message: "expected a TraceContext (an object)" }],
    });
  }
  return json as Record<string, unknown>;
}

function templateScope(options: RenderJobTemplateOptions): Record<string, unknown> {
  const vars = options.vars ?? {};
  for (const key of Object.keys(vars)) {
    if (RESERVED_TEMPLATE_NAMES.has(key)) {
      throw new ValidationError("Invalid job template variables", {
        issues: [
          {
            path: `vars.${key}`,
            message: `"${key}" is reserved (${key === "ctx" ? "the trace context" : "Databricks dynamic value references"}); rename the variable`,
          },
        ],
      });
    }
  }
  const ctx = contextJson(options.ctx);
  const ctxSha = (ctx?.code as Record<string, unknown> | undefined)?.gitSha;
  if (ctxSha !== undefined && vars.git_sha !== undefined && vars.git_sha !== ctxSha) {
    throw new ValidationError("Invalid job template variables", {
      issues: [{ path: "vars.git_sha", message: "differs from ctx.code.gitSha; pass only one of them" }],
    });
  }
  const scope: Record<string, unknown> = { ...vars };
  if (ctx !== undefined) scope.ctx = ctx;
  if (ctxSha !== undefined) scope.git_sha = ctxSha;
  return scope;
}

/** A nunjucks error (syntax, or a failure while rendering) as the ValidationError of a job template. */
function nunjucksError(err: unknown, name: string): ValidationError {
  const msg = err instanceof Error ? err.message : String(err);
  const lineno = (err as { lineno?: unknown }).lineno;
  const pos = /\[Line (\d+), Column (\d+)\]/.exec(msg);
  const line = typeof lineno === "number" ? lineno : pos ? Number(pos[1]) : undefined;
  const detail = msg
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("(") && !/^\[Line/.test(l))
    .join(" ")
    .replace(/^(Template render )?Error: /, "");
  return templateError(line ?? name, detail || msg);
}

/** Renders the template to a fragment (template text and values apart). */
function renderFragment(template: string, scope: Record<string, unknown>, name: string): Fragment {
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  addJobTemplateFilters(env);
  let runtime: OutputRuntime | undefined;
  try {
    const ast = parseJobTemplate(template);
    const facts = checkJobTemplate(ast);
    const compiled = compileJobTemplate(ast, facts, env, name);
    runtime = new OutputRuntime(compiled.sites, scope);
    (env as unknown as Record<string, unknown>)[OUTPUT_RUNTIME_KEY] = runtime;
    const output = compiled.template.render(scope) as unknown;
    if (!(output instanceof Fragment))
      throw new Error("internal error: the template did not render to a fragment");
    return output;
  } catch (err) {
    if (runtime?.failure) throw runtime.failure;
    if (err instanceof ValidationError) throw err;
    throw nunjucksError(err, name);
  }
}

/**
 * Renders a Databricks job definition template (JSON or YAML) with nunjucks and returns the text, the
 * parsed settings and warnings.
 *
 * Variables: `git_sha` (the context's `code.gitSha`, or `vars.git_sha`), `ctx` (the TraceContext JSON)
 * and every key of `vars`. Every expression, filter, test, `{% set %}` and macro works on the real values;
 * a value becomes document text only where a `{{ expression }}` outputs it, encoded for that place, so
 * no value and no filter can change the document's structure or another value's type:
 *
 * - A whole value outside quotes (`"timeout_seconds": {{ timeout }}`, YAML `timeout_seconds: {{ timeout }}`)
 *   keeps its JSON type: a string stays a string, numbers, booleans, arrays and objects stay what they are.
 * - Inside a quoted string, or mixed with other text (`"name": "train-{{ git_sha }}"`, YAML
 *   `name: train-{{ git_sha }}`), the value's text (strings as they are, numbers and booleans as written,
 *   arrays and objects as compact JSON) becomes part of that string, escaped for its place (JSON escapes;
 *   YAML quoting chosen by the YAML library), so quotes, backslashes, newlines, control characters,
 *   unicode, `{{` and `{%` in values are just data.
 * - `| tojson` / `| dump` give JSON text; output as a whole value it is the value it spells. `| e`,
 *   `| escape`, `| forceescape` and `| safe` change nothing (values are always encoded); nothing inserts
 *   raw text. In JSON, a bare expression glued to other bare text (`{{ n }}0`) is an error; quote it.
 * - `{% set x %}...{% endset %}` makes a string. A macro's output (and a `{% call %}` or `{% filter %}`
 *   block's) output as it is, or through `indent` or `trim`, stays template text, with its own values
 *   still encoded where they land; used in any other way (another filter, `~`, a test) it is its text.
 * - undefined and null values are errors, as are values JSON cannot hold (NaN, bigint, functions).
 *
 * Databricks references in template text (`{{job.run_id}}`, `{{ task.name }}`,
 * ``{{tasks.`prep-data`.values.rows}}``, `{{secrets/scope/key}}`, the deprecated `{{run_id}}` ...) pass
 * through exactly as written, as strings, without `{% raw %}`. Their names (`job`, `task`, `tasks`,
 * `workspace`, `backfill`, `input` and the deprecated ones) are reserved: no variable may take them and no
 * expression may use them, and a `{{` that starts with one but is not a reference as Databricks writes it
 * (a filter, an operator, a name with `-` outside backticks) is an error. Deprecated references produce a
 * warning naming the replacement; references in a Databricks namespace that are not documented produce a
 * warning (Databricks rejects them). Databricks still resolves `{{...}}` references inside parameter
 * values at run time: a value containing `{{job.id}}` is substituted by Databricks (it has no escape).
 *
 * Throws ValidationError for: template syntax errors and tags a single-string template cannot use
 * (`include`, `extends`, `import`, ...), an undefined or null value (naming the variable, the missing key
 * and the line), a reserved variable name or a Databricks name in an expression, a non-JSON value,
 * output that is not valid JSON/YAML (with its line) or repeats a key, and (unless `validate: false`)
 * invalid job settings.
 */
export function renderJobTemplate(
  template: string,
  options: RenderJobTemplateOptions = {},
): RenderedJobTemplate {
  const name = options.name ?? "job template";
  const scope = templateScope(options);
  const output = renderFragment(template, scope, name);
  const table = new PlaceholderTable();
  const rendered = table.documentText(output);
  const trimmed = rendered.trimStart();
  const format: "json" | "yaml" =
    options.format ?? (trimmed.startsWith("{") || trimmed.startsWith("[") ? "json" : "yaml");
  const decoded = format === "json" ? decodeJson(rendered, table) : decodeYaml(rendered, table);
  const warnings = dynamicReferenceWarnings(decoded.data);
  const settings =
    options.validate === false ? (decoded.data as JobSettings) : validateJobSettings(decoded.data);
  return { text: decoded.text, settings, format, warnings };
}

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      collectStrings(v, out);
    }
  }
}

/** Warnings for deprecated and undocumented dynamic value references found anywhere in `data`. Never throws. */
export function dynamicReferenceWarnings(data: unknown): string[] {
  const strings: string[] = [];
  collectStrings(data, strings);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of strings) {
    for (const ref of findDynamicValueReferences(s)) {
      if (ref.kind === "documented" || seen.has(ref.text)) continue;
      seen.add(ref.text);
      if (ref.kind === "deprecated") {
        out.push(`${ref.text} is a deprecated dynamic value reference; use {{${ref.replacement}}} instead`);
      } else {
        out.push(
          `${ref.text} is in the Databricks "${ref.segments[0]}" namespace but is not a documented dynamic value reference (a typo?); Databricks rejects unknown references in known namespaces`,
        );
      }
    }
  }
  return out;
}
