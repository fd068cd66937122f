import { childNodes, type NjNode } from "./nunjucks-internals.js";
import { DATABRICKS_RESERVED_NAMES, RESERVED_TEMPLATE_NAMES } from "./reserved-names.js";
import { templateError } from "./template-error.js";

/** Tags a job template cannot use, with the reason given to its author. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  Extends: "{% extends %} needs a template loader; a job template is rendered from one string",
  Block: "{% block %} only serves {% extends %}, which a job template cannot use; use a macro",
  Super: "super() only serves {% extends %}, which a job template cannot use",
  Include: "{% include %} needs a template loader; a job template is rendered from one string (use a macro)",
  Import: "{% import %} needs a template loader; define the macro in the same template",
  FromImport: "{% from ... import %} needs a template loader; define the macro in the same template",
  IfAsync: "{% ifAsync %} is for asynchronous rendering; use {% if %}",
  AsyncEach: "{% asyncEach %} is for asynchronous rendering; use {% for %}",
  AsyncAll: "{% asyncAll %} is for asynchronous rendering; use {% for %}",
  FilterAsync: "asynchronous filters are not available in job templates",
  CallExtension: "template extensions are not available in job templates",
  CallExtensionAsync: "template extensions are not available in job templates",
};

/** What a job template's syntax tree holds that the compiler needs to know. */
export interface TemplateFacts {
  /** The bodies of block `{% set x %}...{% endset %}` tags: they capture text (a string). */
  setCaptures: ReadonlySet<NjNode>;
}

function line(node: NjNode): number {
  return node.lineno + 1;
}

function reservedBinding(name: string, node: NjNode): Error {
  const what =
    name === "ctx"
      ? "the trace context"
      : `Databricks dynamic value references ({{${name}...}} passes through to Databricks)`;
  return templateError(line(node), `"${name}" is reserved for ${what}; choose another variable name`);
}

function reservedUse(name: string, node: NjNode): Error {
  return templateError(
    line(node),
    `"${name}" is a Databricks dynamic value namespace, not a template variable: Databricks fills in {{${name}...}} references when the job runs, so no template expression, filter, test or tag can use it. To pass a reference through, write it alone in template text, as in {{job.parameters.env}}`,
  );
}

/** The names a node binds: `{% set %}` targets, loop variables, macro parameters. */
function boundNames(node: NjNode): NjNode[] {
  switch (node.typename) {
    case "Set":
      return node.targets ?? [];
    case "For":
    case "AsyncEach":
    case "AsyncAll": {
      const name = node.name as NjNode;
      return name.typename === "Symbol" ? [name] : (name.children ?? []);
    }
    case "Macro":
    case "Caller": {
      const params = (node.args?.children ?? []).flatMap((a) =>
        a.typename === "KeywordArgs" ? (a.children ?? []).map((p) => p.key as NjNode) : [a],
      );
      return node.typename === "Macro" && node.name ? [node.name, ...params] : params;
    }
    default:
      return [];
  }
}

/**
 * Checks a parsed job template before it is compiled: refuses tags that need a loader or asynchronous
 * rendering, variables named like Databricks namespaces or `ctx`, and any use of a Databricks name in an
 * expression (Databricks references pass through only when written alone in template text). Throws
 * ValidationError naming the line.
 */
export function checkJobTemplate(root: NjNode): TemplateFacts {
  const setCaptures = new Set<NjNode>();
  /** Symbols that name something other than a variable: bound names, filter and test names. */
  const notVariables = new Set<NjNode>();
  const visit = (node: NjNode): void => {
    const reason = UNSUPPORTED[node.typename];
    if (reason) throw templateError(line(node), reason);
    if (node.typename === "Set" && node.body) setCaptures.add(node.body);
    for (const bound of boundNames(node)) {
      notVariables.add(bound);
      const name = String(bound.value);
      if (RESERVED_TEMPLATE_NAMES.has(name)) throw reservedBinding(name, bound);
    }
    if (node.typename === "Filter" && node.name) notVariables.add(node.name);
    if (node.typename === "Is" && node.right) {
      // `x is odd` names the test with a Symbol; `x is divisibleby(3)` with a call.
      notVariables.add(node.right.typename === "FunCall" ? (node.right.name as NjNode) : node.right);
    }
    if (node.typename === "Symbol" && !notVariables.has(node)) {
      const name = String(node.value);
      if (DATABRICKS_RESERVED_NAMES.has(name)) throw reservedUse(name, node);
    }
    for (const child of childNodes(node)) visit(child);
  };
  visit(root);
  return { setCaptures };
}
