import nunjucks from "nunjucks";

/**
 * Compiles a nunjucks template so that every `{{ expression }}` output goes through one hook instead of
 * being concatenated as text. The hook receives the value and the id of the output site, so the caller can
 * emit a placeholder and encode the value later, once it knows where in the JSON/YAML document it landed.
 *
 * nunjucks has no public output hook (Jinja's `finalize`), so this uses its exported parser and compiler
 * (`nunjucks.parser`, `nunjucks.compiler.Compiler`) and replaces the compiler's `compileOutput` on one
 * instance; the result is loaded as a precompiled template (`{ type: "code" }`), the same path nunjucks
 * uses for precompiled templates. The generated code is what nunjucks itself generates, except that each
 * output expression is wrapped in `env.getFilter(<hook>).call(context, <expr>, <siteId>)`.
 */

/** The name under which the output hook is registered as a filter on the rendering environment. */
export const OUTPUT_HOOK_FILTER = "__modeltrail_output";

/** One `{{ ... }}` output site of the template. */
export interface OutputSite {
  /** 1-based line of the `{{`. */
  line: number;
  /** A readable rendering of the expression (`ctx.code.gitSha`, `name | upper`). */
  expression: string;
  /** When the expression is a plain variable path (`ctx.code.gitSha`), its segments. */
  path: string[] | undefined;
}

/** A compiled template and its output sites. */
export interface CompiledValueTemplate {
  template: nunjucks.Template;
  sites: OutputSite[];
}

interface NjNode {
  typename: string;
  lineno: number;
  colno: number;
  value?: unknown;
  target?: NjNode;
  val?: NjNode;
  name?: NjNode;
  args?: { children: NjNode[] };
  children?: NjNode[];
}

interface NjCompiler {
  buffer: string;
  _emit(code: string): void;
  _emitLine(code: string): void;
  compile(node: NjNode, frame: unknown): void;
  compileLiteral(node: NjNode, frame: unknown): void;
  compileOutput: (node: NjNode, frame: unknown) => void;
  getCode(): string;
}

interface NjInternals {
  parser: { parse(src: string, extensions: unknown[], opts: object): NjNode };
  compiler: { Compiler: new (name: string, throwOnUndefined: boolean) => NjCompiler };
  nodes: { TemplateData: new (...args: unknown[]) => NjNode };
}

const internals = nunjucks as unknown as NjInternals;

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
  if (p)
    return p
      .map((s, i) => (i === 0 || /^[A-Za-z_]\w*$/.test(s) ? (i ? `.${s}` : s) : `[${JSON.stringify(s)}]`))
      .join("");
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
      return `expression (${node.typename})`;
  }
}

/**
 * Parses and compiles `source` with every output expression routed through the {@link OUTPUT_HOOK_FILTER}
 * filter of `env`. Throws nunjucks' own Template error on syntax errors (the caller turns it into a
 * ValidationError).
 */
export function compileValueTemplate(
  source: string,
  env: nunjucks.Environment,
  name: string,
): CompiledValueTemplate {
  const sites: OutputSite[] = [];
  const ast = internals.parser.parse(source, [], {});
  const c = new internals.compiler.Compiler(name, true);
  c.compileOutput = function compileOutput(this: NjCompiler, node: NjNode, frame: unknown) {
    for (const child of node.children ?? []) {
      if (child instanceof internals.nodes.TemplateData) {
        if (child.value) {
          this._emit(`${this.buffer} += `);
          this.compileLiteral(child, frame);
          this._emitLine(";");
        }
        continue;
      }
      const id = sites.length;
      sites.push({ line: node.lineno + 1, expression: describe(child), path: variablePath(child) });
      this._emit(
        `${this.buffer} += runtime.suppressValue(env.getFilter("${OUTPUT_HOOK_FILTER}").call(context, `,
      );
      this.compile(child, frame);
      this._emit(`, ${id}), env.opts.autoescape);\n`);
    }
  };
  c.compile(ast, undefined);
  // nunjucks itself loads compiled templates this way (see its precompiled loader).
  const props = new Function(c.getCode())() as object;
  const template = new nunjucks.Template({ type: "code", obj: props } as never, env, name);
  return { template, sites };
}
