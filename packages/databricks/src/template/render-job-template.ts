import { ValidationError } from "@modeltrail/core";
import nunjucks from "nunjucks";
import {
  DEPRECATED_DYNAMIC_VALUES,
  DYNAMIC_VALUE_NAMESPACES,
  dynamicValueReferencePattern,
  findDynamicValueReferences,
} from "../dynamic-values.js";
import type { JobSettings } from "../job-settings/job-settings-schema.js";
import { validateJobSettings } from "../job-settings/validate-job-settings.js";
import { decodeJson, decodeYaml } from "./decode-document.js";
import { PlaceholderTable } from "./placeholders.js";
import { compileValueTemplate, OUTPUT_HOOK_FILTER, type OutputSite } from "./value-compiler.js";

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

const RESERVED = new Set<string>([
  "ctx",
  ...DYNAMIC_VALUE_NAMESPACES,
  ...Object.keys(DEPRECATED_DYNAMIC_VALUES),
]);

function templateIssue(line: number | string, message: string): ValidationError {
  return new ValidationError("Invalid job template", {
    issues: [{ path: typeof line === "number" ? `template:${line}` : line, message }],
  });
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

function explainUndefined(site: OutputSite, scope: Record<string, unknown>): string {
  const path = site.path;
  if (path) {
    let cur: unknown = scope;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const next =
        cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[seg] : undefined;
      if (next === undefined || next === null) {
        const name = path.slice(0, i + 1).join(".");
        if (i === 0 && !Object.hasOwn(scope, seg) && path.length > 1) break; // a loop or {% set %} variable
        if (i === 0) {
          const known = Object.keys(scope).sort().join(", ");
          const hint =
            seg === "git_sha"
              ? "; pass `ctx` (a TraceContext with code.gitSha) or vars.git_sha"
              : `; known variables: ${known || "(none)"}`;
          return `undefined variable "${name}"${hint}`;
        }
        const parent = path.slice(0, i).join(".");
        const keys =
          cur !== null && typeof cur === "object"
            ? Object.keys(cur as object)
                .sort()
                .join(", ")
            : "";
        return `undefined value "${name}" (${parent} has: ${keys || "nothing"})`;
      }
      cur = next;
    }
  }
  return `"${site.expression}" is undefined or null (known variables: ${Object.keys(scope).sort().join(", ") || "none"})`;
}

function checkShadowing(source: string): void {
  const binders = [
    /\{%-?\s*for\s+([\w\s,]+?)\s+in\s/g,
    /\{%-?\s*set\s+([\w\s,]+?)\s*(?:=|-?%\})/g,
    /\{%-?\s*macro\s+\w+\s*\(([^)]*)\)/g,
  ];
  for (const re of binders) {
    for (const m of source.matchAll(re)) {
      for (const raw of m[1]!.split(",")) {
        const name = raw.split("=")[0]!.trim();
        if (RESERVED.has(name)) {
          const line = source.slice(0, m.index).split("\n").length;
          throw templateIssue(
            line,
            `"${name}" is reserved for Databricks dynamic value references ({{${name}...}} passes through to Databricks); choose another variable name`,
          );
        }
      }
    }
  }
}

/**
 * Renders a Databricks job definition template (JSON or YAML) with nunjucks and returns the text, the
 * parsed settings and warnings.
 *
 * Variables: `git_sha` (the context's `code.gitSha`, or `vars.git_sha`), `ctx` (the TraceContext JSON)
 * and every key of `vars`. Autoescape is off; every `{{ expression }}` produces a *value*, never syntax:
 *
 * - A whole value outside quotes (`"timeout_seconds": {{ timeout }}`, YAML `timeout_seconds: {{ timeout }}`)
 *   keeps its JSON type: a string stays a string, numbers, booleans, arrays and objects stay what they are.
 * - Inside a quoted string, or mixed with other text (`"name": "train-{{ git_sha }}"`, YAML
 *   `name: train-{{ git_sha }}`), the value's text (strings as-is, numbers/booleans via String(),
 *   objects as compact JSON) becomes part of that string. The result is always a string, escaped for
 *   its place (JSON escapes; YAML quoting chosen by the YAML library), so quotes, backslashes, newlines,
 *   control characters, unicode, `{{` and `{%` in values are just data.
 * - In JSON, a bare expression glued to other bare text (`{{ n }}0`) is an error; quote it.
 * - `| safe` (and macro output) inserts raw text: that is the escape hatch for generating structure, and
 *   the author's responsibility. Control structure belongs in `{% %}` tags.
 *
 * Databricks dynamic value references (`{{job.run_id}}`, `{{ task.name }}`, `{{tasks.prep.values.n}}`,
 * the deprecated `{{run_id}}` ...) pass through exactly as written without `{% raw %}`; they end up as
 * string values (a bare reference becomes a string). Their namespaces (`job`, `task`, `tasks`,
 * `workspace`, `backfill`, `input`) and the deprecated names are therefore reserved: a variable or loop
 * variable with such a name is an error. Deprecated references produce a warning naming the replacement;
 * references in a reserved namespace that are not documented produce a warning (Databricks rejects them).
 * Values are data for this renderer, but Databricks still resolves `{{...}}` references inside parameter
 * values at run time: a value containing `{{job.id}}` will be substituted by Databricks (there is no
 * escape for that on Databricks).
 *
 * Throws ValidationError for: template syntax errors, an undefined or null value (naming the variable,
 * the missing key and the line), a reserved variable name, a non-JSON value (NaN, bigint, function),
 * output that is not valid JSON/YAML (with its line), and (unless `validate: false`) invalid job settings.
 */
export function renderJobTemplate(
  template: string,
  options: RenderJobTemplateOptions = {},
): RenderedJobTemplate {
  const name = options.name ?? "job template";
  const vars = options.vars ?? {};
  for (const key of Object.keys(vars)) {
    if (RESERVED.has(key)) {
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

  const table = new PlaceholderTable();
  const protectedSource = template.replace(dynamicValueReferencePattern(), (whole) => table.reference(whole));
  checkShadowing(protectedSource);

  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  let pending: Error | undefined;
  let sites: OutputSite[] = [];
  env.addFilter(OUTPUT_HOOK_FILTER, (value: unknown, id: number) => {
    const site = sites[id]!;
    if (value === undefined || value === null) {
      pending = templateIssue(site.line, explainUndefined(site, scope));
      throw pending;
    }
    if (value instanceof nunjucks.runtime.SafeString) return String(value);
    if (typeof value === "string" && table.has(value)) {
      // A string captured from template output ({% set x %}...{% endset %}): its inner values become text.
      return table.value(table.expand(value, true), site.line);
    }
    return table.value(value, site.line);
  });

  let rendered: string;
  try {
    const compiled = compileValueTemplate(protectedSource, env, name);
    sites = compiled.sites;
    rendered = compiled.template.render(scope);
  } catch (err) {
    if (pending) throw pending;
    if (err instanceof ValidationError) throw err;
    const msg = (err as Error).message ?? String(err);
    const lineno = (err as { lineno?: unknown }).lineno;
    const pos = /\[Line (\d+), Column (\d+)\]/.exec(msg);
    const line = typeof lineno === "number" ? lineno : pos ? Number(pos[1]) : undefined;
    const detail = msg
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("(") && !/^\[Line/.test(l))
      .join(" ")
      .replace(/^Error: /, "")
      .replaceAll(table.prefix, "");
    throw templateIssue(line ?? name, detail || msg);
  }

  const trimmed = rendered.trimStart();
  const format: "json" | "yaml" =
    options.format ?? (trimmed.startsWith("{") || trimmed.startsWith("[") ? "json" : "yaml");
  const decoded = format === "json" ? decodeJson(rendered, table) : decodeYaml(rendered, table);
  const warnings: string[] = [];
  warnings.push(...dynamicReferenceWarnings(decoded.data));
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
