import type { ValidationError } from "@modeltrail/core";
import type { OutputSite } from "./compile-template.js";
import { appendFragment, appendText, appendValue, Fragment, JsonText } from "./fragment.js";
import { textOf, toJsonData, UnrepresentableValue } from "./json-value.js";
import { templateError } from "./template-error.js";

/**
 * What a compiled job template calls while it renders (see compile-template.ts): it creates the output
 * buffers (fragments), appends template text, and turns each `{{ expression }}`'s value into an output
 * value: checked, copied as JSON data, with its text form. One instance per render.
 */
export class OutputRuntime {
  /** The first error this runtime raised; nunjucks wraps errors, so the renderer rethrows this one. */
  failure: ValidationError | undefined;

  constructor(
    private readonly sites: readonly OutputSite[],
    private readonly scope: Readonly<Record<string, unknown>>,
  ) {}

  /** A new, empty output buffer. */
  fragment(): Fragment {
    return new Fragment();
  }

  /** Appends template text to a buffer. */
  text(buffer: Fragment, text: string): void {
    appendText(buffer, text);
  }

  /**
   * Appends the value of output site `siteId` to a buffer: a fragment (a macro's output) is spliced, JSON
   * text from `tojson`/`dump` becomes the value it spells, anything else is copied as JSON data. Throws
   * ValidationError for undefined and null, and for values JSON cannot hold.
   */
  value(buffer: Fragment, value: unknown, siteId: number): void {
    const site = this.sites[siteId]!;
    if (value === undefined || value === null)
      throw this.fail(templateError(site.line, this.explainMissing(site, value)));
    if (value instanceof Fragment) {
      appendFragment(buffer, value);
      return;
    }
    if (value instanceof JsonText) {
      const text = String(value);
      appendValue(buffer, { kind: "value", data: JSON.parse(text), text, line: site.line });
      return;
    }
    let data: unknown;
    try {
      data = toJsonData(value);
    } catch (err) {
      if (!(err instanceof UnrepresentableValue)) throw err;
      const where = err.path ? `${site.expression}: ${err.path}` : site.expression;
      throw this.fail(
        templateError(
          site.line,
          `the value of ${where} ${err.what}, so it cannot be written into a job definition`,
        ),
      );
    }
    appendValue(buffer, { kind: "value", data, text: textOf(data), line: site.line });
  }

  /** The result of a `{% set x %}...{% endset %}` block: its text. */
  captureText(buffer: Fragment): string {
    return buffer.val;
  }

  /** The result of a `{% filter %}` block's body: the fragment itself (template text stays template text). */
  captureFragment(buffer: Fragment): Fragment {
    return buffer;
  }

  private fail(error: ValidationError): ValidationError {
    this.failure ??= error;
    return error;
  }

  private explainMissing(site: OutputSite, value: undefined | null): string {
    const what = value === null ? "null" : "undefined";
    const fix =
      value === null
        ? "; a job definition has no place for null from a template (leave the field out with {% if %}, or give a value with | default(..., true))"
        : "";
    const path = site.path;
    if (path) {
      let cur: unknown = this.scope;
      for (let i = 0; i < path.length; i++) {
        const seg = path[i]!;
        const known = cur !== null && typeof cur === "object" && Object.hasOwn(cur, seg);
        const next = known ? (cur as Record<string, unknown>)[seg] : undefined;
        const name = path.slice(0, i + 1).join(".");
        if (i === 0 && !Object.hasOwn(this.scope, seg)) {
          if (path.length > 1 || value === null) break; // a loop, {% set %} or macro variable
          const hint =
            seg === "git_sha"
              ? "pass `ctx` (a TraceContext with code.gitSha) or vars.git_sha"
              : `known variables: ${Object.keys(this.scope).sort().join(", ") || "(none)"}`;
          return `undefined variable "${name}"; ${hint}`;
        }
        if (next === null && i === path.length - 1) return `"${name}" is null${fix}`;
        if (next === undefined || next === null) {
          const parent = path.slice(0, i).join(".");
          const keys = cur !== null && typeof cur === "object" ? Object.keys(cur).sort().join(", ") : "";
          if (next === null) return `"${name}" is null, so "${path.join(".")}" is undefined`;
          return `undefined value "${name}" (${parent || "the template"} has: ${keys || "nothing"})`;
        }
        cur = next;
      }
    }
    return `"${site.expression}" is ${what}${fix}`;
  }
}
