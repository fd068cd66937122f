import { isDeepStrictEqual } from "node:util";
import { ValidationError, type ValidationIssue } from "@modeltrail/core";
import { type Document, isAlias, isMap, isNode, isScalar, type Node, parseDocument, visit } from "yaml";
import type { PlaceholderTable } from "./placeholders.js";
import { templateError } from "./template-error.js";

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

function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a key named "__proto__" stays an ordinary key.
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Replaces tokens inside parsed JSON data: a bare token is its value, tokens in strings are text. */
function resolveData(value: unknown, table: PlaceholderTable, bare: Set<string>): unknown {
  if (typeof value === "string") {
    if (!table.has(value)) return value;
    const sole = bare.has(value) ? table.sole(value) : undefined;
    return sole ? sole.data : table.expand(value);
  }
  if (Array.isArray(value)) return value.map((v) => resolveData(v, table, bare));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    const written = new Map<string, string>();
    for (const [k, v] of Object.entries(value)) {
      const key = table.has(k) ? table.expand(k) : k;
      if (Object.hasOwn(out, key)) {
        const where = table.first(k) ?? table.first(written.get(key) ?? "");
        throw invalid([
          {
            path: where ? `template:${where.line}` : key,
            message: `the key ${JSON.stringify(key)} appears twice after rendering`,
          },
        ]);
      }
      written.set(key, k);
      setKey(out, key, resolveData(v, table, bare));
    }
    return out;
  }
  return value;
}

/**
 * The first key that appears twice in one object of a valid JSON text (JSON.parse keeps the last of two
 * equal keys; a job definition must not lose the first silently), with its offset.
 */
function duplicateKey(json: string): { key: string; offset: number } | undefined {
  const stack: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === "{") stack.push({ keys: new Set(), expectKey: true });
    else if (c === "[") stack.push({ keys: undefined, expectKey: false });
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return { key, offset: i };
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    }
  }
  return undefined;
}

/**
 * Parses the rendered text of a JSON template, in which every output value is a token. A token outside
 * any JSON string (a bare `{{ expr }}` used as a whole value) is quoted first and replaced by the typed
 * value after parsing; a token inside a string is replaced by the value's text, JSON-escaped on output.
 * Throws ValidationError on JSON syntax errors (with the rendered line) and when a bare expression is
 * glued to other bare text.
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
        throw templateError(
          table.sole(m[0])?.line ?? `line ${lineAt(rendered, i)}`,
          'an expression outside a JSON string must be a whole value; to build a string, put it inside quotes ("prefix-{{ expr }}")',
        );
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
    const msg = (err as Error).message.replaceAll(table.prefix, "MTPH");
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? lineAt(out, Number(pos[1])) : undefined;
    throw invalid([
      { path: line === undefined ? "(json)" : `line ${line}`, message: `not valid JSON: ${msg}` },
    ]);
  }
  const dup = duplicateKey(out);
  if (dup) {
    throw invalid([
      {
        path: `line ${lineAt(out, dup.offset)}`,
        message: `the key ${JSON.stringify(table.expand(dup.key))} appears twice in one object`,
      },
    ]);
  }
  const text = `${JSON.stringify(resolveData(parsed, table, bare), null, 2)}\n`;
  return { data: JSON.parse(text), text };
}

const YAML_OPTIONS = { prettyErrors: true, uniqueKeys: true } as const;

/** The data of a parsed YAML document; throws ValidationError when it cannot be read (an alias bomb). */
function readYaml(doc: Document.Parsed): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw invalid([
      { path: "(yaml)", message: `the YAML document cannot be read: ${(err as Error).message}` },
    ]);
  }
}

/** The template line of the first token in `s`, or the rendered line of `node`. */
function whereIn(
  s: string,
  table: PlaceholderTable,
  node: Node | undefined,
  rendered: string,
): string | number {
  const value = table.first(s);
  if (value) return value.line;
  const offset = node?.range?.[0];
  return offset === undefined ? "(yaml)" : `line ${lineAt(rendered, offset)}`;
}

/**
 * Parses the rendered text of a YAML template, in which every output value is a token, and replaces the
 * tokens in the document tree (so comments and layout survive): a token that is a whole untagged plain
 * scalar becomes the typed value (keeping the scalar's anchor); a token in a quoted or block scalar, a key,
 * a tagged scalar, mixed with other text, or in a comment becomes the value's text, and the YAML library
 * quotes it as needed on output. Throws ValidationError on YAML errors, and for an expression in an
 * anchor, alias or tag name.
 */
export function decodeYaml(rendered: string, table: PlaceholderTable): DecodedDocument {
  const doc = parseDocument(rendered, YAML_OPTIONS);
  if (doc.errors.length > 0) {
    throw invalid(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}` : "(yaml)",
        message: `not valid YAML: ${table.expand(e.message.split("\n")[0] ?? "")}`,
      })),
    );
  }
  const fixComments = (n: { comment?: string | null; commentBefore?: string | null }) => {
    if (n.comment && table.has(n.comment)) n.comment = table.expand(n.comment);
    if (n.commentBefore && table.has(n.commentBefore)) n.commentBefore = table.expand(n.commentBefore);
  };
  const refuseIn = (what: string, name: string | null | undefined, node: Node) => {
    if (name && table.has(name)) {
      throw templateError(
        whereIn(name, table, node, rendered),
        `an expression cannot be used in a YAML ${what}; write the ${what} in template text`,
      );
    }
  };
  fixComments(doc);
  const keySources = new Map<Node, string>();
  visit(doc, (key, node) => {
    if (isNode(node)) {
      fixComments(node);
      refuseIn("anchor name", node.anchor, node);
      refuseIn("tag", node.tag, node);
    }
    if (isAlias(node)) refuseIn("alias name", node.source, node);
    if (!isScalar(node) || typeof node.value !== "string" || !table.has(node.value)) return undefined;
    const sole = table.sole(node.value);
    if (sole && key !== "key" && node.type === "PLAIN" && !node.tag) {
      const data = sole.data;
      if (data !== null && typeof data === "object") {
        const replacement = doc.createNode(data);
        if (node.anchor) replacement.anchor = node.anchor;
        replacement.comment = node.comment;
        replacement.commentBefore = node.commentBefore;
        replacement.spaceBefore = node.spaceBefore;
        return replacement;
      }
      node.value = data;
      if (typeof data === "string") node.type = undefined;
      return undefined;
    }
    if (key === "key") keySources.set(node, node.value);
    node.value = table.expand(node.value);
    if (node.type === "PLAIN") node.type = undefined;
    return undefined;
  });
  // The parser refused repeated keys in the template text; keys built from values can repeat too.
  visit(doc, (_key, node) => {
    if (!isMap(node)) return;
    const first = new Map<string, Node>();
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const earlier = first.get(key);
      if (earlier) {
        const source = keySources.get(pair.key) ?? keySources.get(earlier) ?? "";
        throw templateError(
          whereIn(source, table, pair.key, rendered),
          `the key ${JSON.stringify(key)} appears twice after rendering`,
        );
      }
      first.set(key, pair.key);
    }
  });
  let text = doc.toString();
  if (table.has(text)) {
    const where = table.first(text);
    throw templateError(
      where?.line ?? "(yaml)",
      "an expression landed where YAML allows no value (a directive or document marker); move it into a value",
    );
  }
  const data = readYaml(doc);
  if (!isDeepStrictEqual(readYaml(parseDocument(text, YAML_OPTIONS)), data)) {
    // The YAML writer cannot write some strings as block scalars faithfully (a first line of only
    // spaces, leading spaces at the top level): write multi-line and space-edged strings double-quoted,
    // in JSON's escapes (the writer's folded double-quoted form loses a line of only a space).
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === "string" && /\n|^\s|\s$/.test(node.value)) node.type = "QUOTE_DOUBLE";
      },
    });
    text = doc.toString({ doubleQuotedAsJSON: true });
    if (!isDeepStrictEqual(readYaml(parseDocument(text, YAML_OPTIONS)), data)) {
      throw templateError(
        "(yaml)",
        "the rendered YAML does not read back as the same data; write the template as JSON",
      );
    }
  }
  return { data, text };
}
