import nunjucks from "nunjucks";
import { Fragment, fragmentOf, JsonText, type Segment, segmentsOf } from "./fragment.js";
import { toJsonData, UnrepresentableValue } from "./json-value.js";

/**
 * The filters a job template's environment adds or replaces. Values are encoded for their place in the
 * document when they are output, so escaping filters have nothing left to do, and JSON filters produce JSON
 * text that, output whole, is the value it spells:
 *
 * - `tojson(indent?)` (Jinja's name) and `dump(indent?)` (nunjucks' name): the value as JSON text (a
 *   string to every filter, test and comparison). Output as a whole value it is that value with its type
 *   (`"timeout_seconds": {{ t | tojson }}` is a number); inside a string it is its JSON text.
 * - `escape`, `e`, `forceescape`: the value's text, unchanged (no HTML entities); `safe`: the value
 *   unchanged. Neither can insert raw text: nothing can.
 * - `indent` and `trim` on a macro's output or a `{% filter %}` block indent or trim its template text
 *   and keep it template text; on anything else they are nunjucks' own.
 *
 * All four escaping filters leave undefined and null as they are, so the output reports them.
 */

const SafeString = nunjucks.runtime.SafeString;

type Filter = (this: unknown, ...args: never[]) => unknown;

function jsonText(value: unknown, indent: unknown, filter: string): JsonText | undefined {
  if (value === undefined) return undefined;
  let data: unknown;
  try {
    data = toJsonData(value);
  } catch (err) {
    if (!(err instanceof UnrepresentableValue)) throw err;
    throw new Error(
      `${filter}: the value${err.path ? ` at ${err.path}` : ""} ${err.what}, so it cannot be written as JSON`,
    );
  }
  const spaces = typeof indent === "number" || typeof indent === "string" ? indent : undefined;
  return new JsonText(JSON.stringify(data, null, spaces));
}

function textUnchanged(value: unknown): unknown {
  if (value === undefined || value === null || value instanceof SafeString) return value;
  return String(value);
}

function indentFragment(fragment: Fragment, width: number, first: boolean): Fragment {
  const pad = " ".repeat(width);
  const out: Segment[] = [];
  let atStart = true;
  for (const s of segmentsOf(fragment)) {
    if (s.kind === "value") {
      if (atStart && first) out.push({ kind: "text", text: pad });
      out.push(s);
    } else {
      const text = (atStart && first ? pad : "") + s.text.replaceAll("\n", `\n${pad}`);
      out.push({ kind: "text", text });
    }
    atStart = false;
  }
  return fragmentOf(out);
}

function trimFragment(fragment: Fragment): Fragment {
  const segments = [...segmentsOf(fragment)];
  const trimAt = (i: number, trim: (s: string) => string) => {
    const s = segments[i];
    if (s?.kind === "text") segments[i] = { kind: "text", text: trim(s.text) };
  };
  trimAt(0, (s) => s.trimStart());
  trimAt(segments.length - 1, (s) => s.trimEnd());
  return fragmentOf(segments);
}

/** Adds the job template filters to `env` (see the module comment). */
export function addJobTemplateFilters(env: nunjucks.Environment): void {
  const stockIndent = env.getFilter("indent") as Filter;
  const stockTrim = env.getFilter("trim") as Filter;
  const filters: Record<string, Filter> = {
    tojson: (value: unknown, indent?: unknown) => jsonText(value, indent, "tojson"),
    dump: (value: unknown, indent?: unknown) => jsonText(value, indent, "dump"),
    escape: textUnchanged,
    e: textUnchanged,
    forceescape: textUnchanged,
    safe: (value: unknown) => value,
    indent(this: unknown, value: unknown, width?: unknown, first?: unknown) {
      if (!(value instanceof Fragment))
        return (stockIndent as (...a: unknown[]) => unknown).call(this, value, width, first);
      if (value.val === "") return value;
      // As nunjucks: a missing or zero width means 4.
      const w = Number(width) || 4;
      return indentFragment(value, Math.max(w, 0), Boolean(first));
    },
    trim(this: unknown, value: unknown) {
      if (!(value instanceof Fragment)) return (stockTrim as (...a: unknown[]) => unknown).call(this, value);
      return trimFragment(value);
    },
  };
  for (const [name, fn] of Object.entries(filters))
    env.addFilter(name, fn as (...args: unknown[]) => unknown);
}
