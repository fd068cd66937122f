import nunjucks from "nunjucks";
import type { TemplateFacts } from "./check-template.js";
import { type NjCompiler, type NjNode, nj } from "./nunjucks-internals.js";

/**
 * Compiles a checked job template so that its output is built as a {@link Fragment} (template text and
 * values kept apart) instead of being concatenated into one string.
 *
 * nunjucks has no output hook (Jinja's `finalize`), so this uses its exported compiler and replaces, on one
 * compiler instance, the few methods that write output buffers: the root function's buffer, the buffers of
 * macros and `{% call %}` blocks (`_pushBuffer`), captures (`{% set %}...{% endset %}` and
 * `{% filter %}` blocks) and `{{ }}` output itself. Every buffer is a Fragment; template text is appended
 * as text, and each `{{ expression }}` hands its value, with the id of its output site, to the render's
 * {@link OutputRuntime} (found on the environment as {@link OUTPUT_RUNTIME_KEY}). Everything else is the
 * code nunjucks generates. The result is loaded as a precompiled template (`{ type: "code" }`), the way
 * nunjucks loads its own precompiled templates.
 */

/** The property of the nunjucks Environment under which the compiled code finds the render's OutputRuntime. */
export const OUTPUT_RUNTIME_KEY = "modeltrailOutput";

const RT = `env.${OUTPUT_RUNTIME_KEY}`;

/** One `{{ ... }}` output site of the template. */
export interface OutputSite {
  /** 1-based template line of the expression. */
  line: number;
  /** A readable rendering of the expression (`ctx.code.gitSha`, `name | upper`). */
  expression: string;
  /** When the expression is a plain variable path (`ctx.code.gitSha`), its segments. */
  path: string[] | undefined;
}

/** A compiled template and its output sites (by id). */
export interface CompiledJobTemplate {
  template: nunjucks.Template;
  sites: OutputSite[];
}

function variablePath(node: NjNode): string[] | undefined {
  if (node.typename === "Symbol" && typeof node.value === "string") return [node.value];
  if (node.typename === "LookupVal" && node.target && node.val) {
    const base = variablePath(node.target);
    const key = node.val.typename === "Literal" ? node.val.value : undefined;
    if (base && (typeof key === "string" || typeof key === "number")) return [...base, String(key)];
  }
  return undefined;
}

function describe(node: NjNode): string {
  const p = variablePath(node);
  if (p) {
    return p
      .map((s, i) => (i === 0 ? s : /^[A-Za-z_]\w*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
      .join("");
  }
  switch (node.typename) {
    case "Literal":
      return JSON.stringify(node.value);
    case "Filter": {
      const [first] = node.args?.children ?? [];
      const name = node.name ? describe(node.name) : "filter";
      return first ? `${describe(first)} | ${name}` : name;
    }
    case "FunCall":
      return `${node.name ? describe(node.name) : "call"}(...)`;
    default:
      return `an expression (${node.typename})`;
  }
}

/**
 * Compiles a parsed and checked job template for `env` (whose {@link OUTPUT_RUNTIME_KEY} must hold an
 * OutputRuntime when it renders). Throws nunjucks' own errors for what its compiler refuses.
 */
export function compileJobTemplate(
  root: NjNode,
  facts: TemplateFacts,
  env: nunjucks.Environment,
  name: string,
): CompiledJobTemplate {
  const sites: OutputSite[] = [];
  const c = new nj.compiler.Compiler(name, true);
  const beginFunction = c._emitFuncBegin.bind(c);
  c._emitFuncBegin = function emitFuncBegin(this: NjCompiler, node: NjNode, fnName: string) {
    beginFunction(node, fnName);
    // nunjucks declared `var output = "";`; make the root buffer a fragment.
    this._emitLine(`${this.buffer} = ${RT}.fragment();`);
  };
  c._pushBuffer = function pushBuffer(this: NjCompiler) {
    const id = this._tmpid();
    this.bufferStack.push(this.buffer);
    this.buffer = id;
    this._emit(`var ${id} = ${RT}.fragment();`);
    return id;
  };
  c.compileCapture = function compileCapture(this: NjCompiler, node: NjNode, frame: unknown) {
    const outer = this.buffer;
    this.buffer = "output";
    this._emitLine("(function() {");
    this._emitLine(`var output = ${RT}.fragment();`);
    this._withScopedSyntax(() => {
      this.compile(node.body as NjNode, frame);
    });
    this._emitLine(
      `return ${RT}.${facts.setCaptures.has(node) ? "captureText" : "captureFragment"}(output);`,
    );
    this._emitLine("})()");
    this.buffer = outer;
  };
  c.compileOutput = function compileOutput(this: NjCompiler, node: NjNode, frame: unknown) {
    for (const child of node.children ?? []) {
      if (child.typename === "TemplateData") {
        if (child.value) {
          this._emit(`${RT}.text(${this.buffer}, `);
          this.compileLiteral(child, frame);
          this._emitLine(");");
        }
        continue;
      }
      const id = sites.length;
      sites.push({ line: child.lineno + 1, expression: describe(child), path: variablePath(child) });
      this._emit(`${RT}.value(${this.buffer}, `);
      this.compile(child, frame);
      this._emitLine(`, ${id});`);
    }
  };
  c.compile(root, undefined);
  // nunjucks itself loads compiled templates this way (see its precompiled loader).
  const props = new Function(c.getCode())() as object;
  const template = new nunjucks.Template({ type: "code", obj: props } as never, env, name);
  return { template, sites };
}
