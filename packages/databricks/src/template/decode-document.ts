import { ValidationError, type ValidationIssue } from "@modeltrail/core";
import { isNode, isScalar, parseDocument, visit } from "yaml";
import type { PlaceholderTable } from "./placeholders.js";

/** A parsed rendered template: its data and its final text. */
export interface DecodedDocument {
  data: unknown;
  text: string;
}

const BEFORE_BARE = new Set(["[", "{", ":", ","]);
const AFTER_BARE = new Set(["]", "}", ",", ":"]);
const isWs = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function invalid(issues: ValidationIssue[]): ValidationError {
  return new ValidationError("Invalid job template", { issues });
}

/** Replaces tokens inside parsed data: see `renderJobTemplate` for the rules. */
function resolveData(value: unknown, table: PlaceholderTable, bare: Set<string>): unknown {
  if (typeof value === "string") {
    if (!table.has(value)) return value;
    const id = table.soleValueId(value);
    if (id !== undefined && bare.has(value)) return table.data(id);
    return table.expand(value);
  }
  if (Array.isArray(value)) return value.map((v) => resolveData(v, table, bare));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = table.has(k) ? table.expand(k) : k;
      if (Object.hasOwn(out, key)) {
        throw invalid([{ path: key, message: "duplicate key after rendering" }]);
      }
      out[key] = resolveData(v, table, bare);
    }
    return out;
  }
  return value;
}

/**
 * Parses rendered JSON that still contains placeholder tokens. A token outside any JSON string (a bare
 * `{{ expr }}` used as a whole value) is quoted first and later replaced by the typed value; a token
 * inside a string is replaced by the value's text, JSON-escaped on output. Throws ValidationError on JSON
 * syntax errors (with the rendered line) and when a bare expression is glued to other bare text.
 */
export function decodeJson(rendered: string, table: PlaceholderTable): DecodedDocument {
  const bare = new Set<string>();
  const pattern = new RegExp(table.pattern().source, "y");
  let out = "";
  let inString = false;
  for (let i = 0; i < rendered.length; ) {
    const c = rendered[i]!;
    if (inString) {
      if (c === "\\") {
        out += rendered.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      out += c;
      i++;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      i++;
      continue;
    }
    pattern.lastIndex = i;
    const m = pattern.exec(rendered);
    if (m) {
      const before = rendered[i - 1];
      const after = rendered[i + m[0].length];
      const okBefore = before === undefined || isWs(before) || BEFORE_BARE.has(before);
      const okAfter = after === undefined || isWs(after) || AFTER_BARE.has(after);
      if (!okBefore || !okAfter) {
        throw invalid([
          {
            path: `line ${lineAt(rendered, i)}`,
            message:
              'an expression outside a JSON string must be a whole value; to build a string, put it inside quotes ("prefix-{{ expr }}")',
          },
        ]);
      }
      bare.add(m[0]);
      out += `"${m[0]}"`;
      i += m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? lineAt(out, Number(pos[1])) : undefined;
    throw invalid([
      { path: line === undefined ? "(json)" : `line ${line}`, message: `not valid JSON: ${msg}` },
    ]);
  }
  const data = resolveData(parsed, table, bare);
  const text = `${JSON.stringify(data, null, 2)}\n`;
  if (table.has(text)) throw new Error("internal error: a template placeholder survived JSON rendering");
  return { data, text };
}

/**
 * Parses rendered YAML that still contains placeholder tokens, replacing them in the document tree (so
 * comments and layout survive): a token that is a whole plain (unquoted) scalar becomes the typed value; a
 * token in a quoted or block scalar, in a key, mixed with other text, or in a comment becomes the value's
 * text, and the YAML library quotes it as needed on output. Throws ValidationError on YAML errors.
 */
export function decodeYaml(rendered: string, table: PlaceholderTable): DecodedDocument {
  const doc = parseDocument(rendered, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}` : "(yaml)",
        message: `not valid YAML: ${e.message.split("\n")[0]}`,
      })),
    );
  }
  const fixComments = (n: { comment?: string | null; commentBefore?: string | null }) => {
    if (n.comment && table.has(n.comment)) n.comment = table.expand(n.comment);
    if (n.commentBefore && table.has(n.commentBefore)) n.commentBefore = table.expand(n.commentBefore);
  };
  fixComments(doc);
  visit(doc, (key, node) => {
    if (isNode(node)) fixComments(node);
    if (!isScalar(node) || typeof node.value !== "string" || !table.has(node.value)) return undefined;
    const id = table.soleValueId(node.value);
    if (id !== undefined && key !== "key" && node.type === "PLAIN") {
      const data = table.data(id);
      if (data !== null && typeof data === "object") return doc.createNode(data);
      node.value = data;
      if (typeof data === "string") node.type = undefined;
      return undefined;
    }
    node.value = table.expand(node.value);
    if (node.type === "PLAIN") node.type = undefined;
    return undefined;
  });
  const text = doc.toString();
  if (table.has(text)) {
    throw new Error("internal error: a template placeholder survived YAML rendering");
  }
  return { data: doc.toJS(), text };
}
