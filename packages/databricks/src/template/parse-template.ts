import { dynamicValueReferencePattern } from "../dynamic-values.js";
import { type NjNode, type NjToken, type NjTokenizer, nj, TOKEN } from "./nunjucks-internals.js";
import { DATABRICKS_RESERVED_NAMES } from "./reserved-names.js";
import { templateError } from "./template-error.js";

/**
 * Parses a job template with nunjucks' own lexer and parser, except for one thing: where template text
 * holds a Databricks reference (`{{job.run_id}}`, `{{ tasks.prep.values.rows }}`,
 * ``{{job.parameters.`run-date`}}``, `{{secrets/scope/key}}`), the lexer hands the parser a string literal
 * with the reference's exact text instead, so the reference is an ordinary string value from then on. The
 * check happens only where nunjucks' lexer itself is about to read `{{` in template text, so references in
 * `{% raw %}` blocks, comments and string literals are left to nunjucks.
 *
 * A `{{` that starts with a Databricks name but is not a reference as Databricks writes it is refused: a
 * name with characters other than letters, digits and `_` needs backticks on Databricks, and filters,
 * operators or whitespace control cannot apply to a value only Databricks knows.
 */

const RESERVED_ALTERNATIVES = [...DATABRICKS_RESERVED_NAMES].join("|");
const REFERENCE = new RegExp(dynamicValueReferencePattern().source, "y");
/** `{{secrets/<scope>/<key>}}`: Databricks' secret references (scope and key names as Databricks allows them). */
const SECRET_REFERENCE = /\{\{secrets\/[A-Za-z0-9_.@-]{1,128}\/[A-Za-z0-9_.-]{1,128}\}\}/y;
const RESERVED_START = new RegExp(String.raw`\{\{-?[ \t]*(${RESERVED_ALTERNATIVES})(?![A-Za-z0-9_])`, "y");
const SECRET_START = /\{\{-?[ \t]*secrets[ \t]*\//y;
/** A dotted path whose segments may hold characters Databricks only accepts in backticks. */
const LOOSE_SEGMENT = String.raw`(?:\x60[^\x60\n]*\x60|\[[A-Za-z0-9_]+\]|[^\s.\x60|(){}\[\]~+*/%,'"<>=!?:]+)`;
const LOOSE_PATH = new RegExp(String.raw`^(?:${RESERVED_ALTERNATIVES})(?:\.${LOOSE_SEGMENT})*$`);

function matchAt(re: RegExp, text: string, index: number): RegExpExecArray | null {
  re.lastIndex = index;
  return re.exec(text);
}

/** The text of a `{{ ... }}` starting at `index`, up to its `}}` (or the end of the line), for messages. */
function tagText(source: string, index: number): { whole: string; inner: string } {
  const end = source.indexOf("}}", index + 2);
  const eol = source.indexOf("\n", index);
  const stop = end >= 0 && (eol < 0 || end < eol) ? end + 2 : eol < 0 ? source.length : eol;
  const whole = source.slice(index, Math.min(stop, index + 200));
  const inner = whole.replace(/^\{\{-?/, "").replace(/-?\}\}$/, "");
  return { whole, inner };
}

function withBackticks(path: string): string {
  const segments = path.match(new RegExp(LOOSE_SEGMENT, "g")) ?? [];
  return segments
    .map((s, i) =>
      i === 0 || /^[A-Za-z0-9_]+$/.test(s) || s.startsWith("`") || s.startsWith("[") ? s : `\`${s}\``,
    )
    .join(".");
}

function refuseReservedStart(source: string, index: number, line: number): never {
  const { whole, inner } = tagText(source, index);
  const path = inner.trim();
  if (!whole.startsWith("{{-") && !whole.endsWith("-}}") && LOOSE_PATH.test(path)) {
    throw templateError(
      line,
      `${whole} is not a Databricks dynamic value reference as Databricks reads it: names with characters other than letters, digits and "_" must be in backticks, as in {{${withBackticks(path)}}}`,
    );
  }
  const name = /^[A-Za-z_]\w*/.exec(path)?.[0] ?? path;
  throw templateError(
    line,
    `${whole} uses the Databricks name "${name}" in a template expression. Databricks fills in {{${name}...}} references when the job runs, so the template cannot compute with them; to pass a reference through, write it alone, as in {{job.parameters.env}} (no filters, operators or "-")`,
  );
}

function referenceHook(tokens: NjTokenizer): void {
  const source = tokens.str;
  const next = tokens.nextToken.bind(tokens);
  const queue: NjToken[] = [];
  tokens.nextToken = () => {
    const queued = queue.shift();
    if (queued) return queued;
    const i = tokens.index;
    if (tokens.in_code || tokens.isFinished() || !source.startsWith("{{", i)) return next();
    const ref = matchAt(REFERENCE, source, i) ?? matchAt(SECRET_REFERENCE, source, i);
    const { lineno, colno } = tokens;
    if (ref) {
      tokens.forwardN(ref[0].length);
      queue.push(
        { type: TOKEN.string, value: ref[0], lineno, colno: colno + 2 },
        { type: TOKEN.variableEnd, value: "}}", lineno, colno: colno + ref[0].length - 2 },
      );
      return { type: TOKEN.variableStart, value: "{{", lineno, colno };
    }
    if (matchAt(RESERVED_START, source, i)) refuseReservedStart(source, i, lineno + 1);
    if (matchAt(SECRET_START, source, i)) {
      throw templateError(
        lineno + 1,
        `${tagText(source, i).whole} is not a Databricks secret reference as Databricks reads it: write {{secrets/<scope>/<key>}}, without spaces, with names of letters, digits, "-", "_" and "."`,
      );
    }
    return next();
  };
}

/**
 * Parses `source` into nunjucks' syntax tree, with Databricks references in template text turned into
 * string literals (see the module comment). Throws ValidationError for a `{{` that starts with a
 * Databricks name but is not a valid reference; lets nunjucks' own errors (template syntax) through.
 */
export function parseJobTemplate(source: string): NjNode {
  const tokens = nj.lexer.lex(source, {});
  referenceHook(tokens);
  const parser = new nj.parser.Parser(tokens);
  parser.extensions = [];
  return parser.parseAsRoot();
}
