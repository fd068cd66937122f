import { ValidationError } from "@modeltrail/core";
import fc from "fast-check";
import nunjucks from "nunjucks";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { textOf, toJsonData } from "../src/template/json-value.js";
import { renderJobTemplate } from "../src/template/render-job-template.js";

/**
 * Property: for every stock nunjucks filter and hostile values, what lands in the job definition is the
 * filter's real result (computed here by calling nunjucks' own filter), with its type where the value is
 * whole and as its text inside a string, in JSON and YAML; no value or filter adds, removes or reshapes a
 * key; and every failure is a ValidationError.
 */

const stock = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
const STOCK_NAMES = Object.keys((stock as unknown as { filters: Record<string, unknown> }).filters).sort();

/** Each stock filter with arguments that exercise it; `random` is checked on its own (it is random). */
const FILTERS: [string, unknown[]][] = [
  ["abs", []],
  ["batch", [2]],
  ["capitalize", []],
  ["center", [12]],
  ["default", ["d"]],
  ["d", ["d", true]],
  ["dictsort", []],
  ["dump", []],
  ["dump", [2]],
  ["escape", []],
  ["e", []],
  ["first", []],
  ["float", [1.5]],
  ["forceescape", []],
  ["groupby", ["k"]],
  ["indent", [2]],
  ["indent", [1, true]],
  ["int", [7]],
  ["join", [","]],
  ["last", []],
  ["length", []],
  ["list", []],
  ["lower", []],
  ["nl2br", []],
  ["reject", ["odd"]],
  ["rejectattr", ["k"]],
  ["replace", ["a", "{{ x }}\n"]],
  ["reverse", []],
  ["round", [1]],
  ["safe", []],
  ["select", ["string"]],
  ["selectattr", ["k"]],
  ["slice", [2]],
  ["sort", []],
  ["string", []],
  ["striptags", []],
  ["sum", []],
  ["title", []],
  ["trim", []],
  ["truncate", [5]],
  ["upper", []],
  ["urlencode", []],
  ["urlize", []],
  ["wordcount", []],
  ["tojson", []],
  ["tojson", [1]],
];

const HOSTILE = [
  'a "quoted" \\ back\\slash',
  "new\nline\r\n\ttab",
  "key: value\n- item\n? x\n",
  "{a: 1, b: [2]}",
  "}} {{ x }} {% if %} {# c #}",
  "{{job.run_id}} {{secrets/a/b}}",
  "# not a comment & *alias !tag |",
  "null",
  "~",
  "1e3",
  "0x1F",
  "-",
  "",
  " ",
  "\u2028\u2029\u0000\u001f\u007f",
  "😀 日本 é",
  "MTPH0123456789abV0E",
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({
    unit: fc.constantFrom("a", "b", "K", " ", "-", "\n", '"', "é", "{"),
    minLength: 1,
    maxLength: 12,
  }),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({
    unit: fc.constantFrom(
      "{",
      "}",
      "%",
      "#",
      "\n",
      '"',
      "'",
      "\\",
      ":",
      "-",
      " ",
      "&",
      "*",
      "!",
      "|",
      ">",
      "a",
      "K",
      "\u2028",
      "é",
      "😀",
      "\t",
      "<",
      "[",
      ",",
    ),
    maxLength: 16,
  }),
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e21, -1e-7, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, -0, 0.1 + 0.2),
);
const value = fc.oneof(
  { weight: 8, arbitrary: hostileString },
  { weight: 2, arbitrary: number },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.array(fc.oneof(hostileString, fc.integer()), { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.record({ k: fc.oneof(hostileString, fc.integer()) }), {
      minLength: 1,
      maxLength: 3,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom("k", "a", "b"),
      fc.oneof(hostileString, fc.integer(), fc.boolean()),
    ),
  },
);

const JSON_FILTERS = new Set(["dump", "tojson"]);
const TEXT_FILTERS = new Set(["escape", "e", "forceescape"]);

type Expected = { error: true } | { error: false; whole: unknown; text: string };

/** What the documentation says `v | name(args)` is, from nunjucks' own filter where the renderer keeps it. */
function expected(name: string, args: unknown[], v: unknown): Expected {
  let real: unknown;
  try {
    if (JSON_FILTERS.has(name)) {
      const data = toJsonData(v);
      const indent = args[0] as number | undefined;
      return { error: false, whole: data, text: JSON.stringify(data, null, indent) };
    }
    if (TEXT_FILTERS.has(name)) real = String(v);
    else if (name === "safe") real = v;
    else real = (stock.getFilter(name) as (...a: unknown[]) => unknown).call({ env: stock }, v, ...args);
    if (real === undefined || real === null) return { error: true };
    const data = toJsonData(real);
    return { error: false, whole: data, text: textOf(data) };
  } catch {
    return { error: true };
  }
}

const literal = (a: unknown) => JSON.stringify(a);
const call = (name: string, args: unknown[]) =>
  args.length ? `${name}(${args.map(literal).join(", ")})` : name;

function templates(expr: string): { json: string; yaml: string } {
  const prelude = `{% set c %}{{ ${expr} }}{% endset %}{% macro m() %}{{ ${expr} }}{% endmacro %}`;
  return {
    json: `${prelude}{"w": {{ ${expr} }}, "s": "<{{ ${expr} }}>", "c": "{{ c }}", "m": {{ m() }}, "k": {"{{ ${expr} }}": 1}}`,
    yaml: `${prelude}w: {{ ${expr} }}\ns: <{{ ${expr} }}>\nq: "{{ ${expr} }}"\nc: '{{ c }}'\nm: {{ m() }}\nb: |\n  >{{ ${expr} }}\nk:\n  "{{ ${expr} }}": 1\n`,
  };
}

/** JSON round trip: -0 and 0 are one number in a job definition. */
const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;

function check(name: string, args: unknown[], v: unknown, expr = `v | ${call(name, args)}`): void {
  const want = expected(name, args, v);
  const { json, yaml } = templates(expr);
  for (const [template, format] of [
    [json, "json"],
    [yaml, "yaml"],
  ] as const) {
    let got: ReturnType<typeof renderJobTemplate> | undefined;
    let error: unknown;
    try {
      got = renderJobTemplate(template, { vars: { v }, format, validate: false });
    } catch (err) {
      error = err;
    }
    if (want.error) {
      expect(error, `${format}: ${name} of ${literal(v)} should be refused`).toBeInstanceOf(ValidationError);
      continue;
    }
    if (error) throw error;
    const s = got!.settings as Record<string, unknown>;
    const reparsed = format === "json" ? JSON.parse(got!.text) : parseYaml(got!.text);
    expect(plain(reparsed)).toEqual(plain(s));
    expect(Object.keys(s)).toEqual(
      format === "json" ? ["w", "s", "c", "m", "k"] : ["w", "s", "q", "c", "m", "b", "k"],
    );
    expect(plain(s.w)).toEqual(plain(want.whole));
    expect(plain(s.m)).toEqual(plain(want.whole));
    expect(s.s).toBe(`<${want.text}>`);
    expect(s.c).toBe(want.text);
    expect(s.k).toEqual({ [want.text]: 1 });
    if (format === "yaml") {
      expect(s.q).toBe(want.text);
      expect(s.b).toBe(`>${want.text}\n`);
    }
  }
}

describe("job templates: every stock filter on hostile values (property)", () => {
  it("covers every stock nunjucks filter", () => {
    const covered = new Set([...FILTERS.map(([n]) => n), "random"]);
    expect(STOCK_NAMES.filter((n) => !covered.has(n))).toEqual([]);
  });

  it("| center(12) on a list whose text has a line of only a space (found by the property below)", () => {
    check("center", [12], [["\n \na", '{{"\t{{{{', -1000000000]]);
  });

  for (const [name, args] of FILTERS) {
    it(`| ${call(name, args)}`, () => {
      fc.assert(
        fc.property(value, (v) => check(name, args, v)),
        { numRuns: 50 },
      );
    });
  }

  it("| random picks one of the items, as a whole value and as text", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(hostileString, fc.integer()), { minLength: 1, maxLength: 4 }), (list) => {
        const r = renderJobTemplate(`{"w": {{ v | random }}, "s": "<{{ v | random }}>"}`, {
          vars: { v: list },
          validate: false,
        });
        const s = r.settings as Record<string, unknown>;
        expect(list).toContainEqual(s.w);
        expect(list.map((x) => `<${textOf(x)}>`)).toContain(s.s);
      }),
      { numRuns: 40 },
    );
  });

  it("a value without a filter, in every place (property)", () => {
    // `safe` changes nothing, so its expected result is the value's.
    fc.assert(
      fc.property(value, (v) => check("safe", [], v, "v")),
      { numRuns: 200 },
    );
  });
});

/** Each stock nunjucks test with arguments that exercise it. */
const TESTS: [string, unknown[]][] = [
  ["callable", []],
  ["defined", []],
  ["divisibleby", [3]],
  ["escaped", []],
  ["equalto", ["a"]],
  ["eq", [1]],
  ["sameas", ["x"]],
  ["even", []],
  ["falsy", []],
  ["ge", [1]],
  ["greaterthan", [1]],
  ["gt", [0]],
  ["le", [1]],
  ["lessthan", [1]],
  ["lt", [0]],
  ["lower", []],
  ["ne", ["a"]],
  ["null", []],
  ["number", []],
  ["odd", []],
  ["string", []],
  ["truthy", []],
  ["undefined", []],
  ["upper", []],
  ["iterable", []],
  ["mapping", []],
];

describe("job templates: every stock nunjucks test on hostile values (property)", () => {
  it("covers every stock nunjucks test", () => {
    const names = Object.keys((stock as unknown as { tests: Record<string, unknown> }).tests);
    expect(names.filter((n) => !TESTS.some(([t]) => t === n))).toEqual([]);
  });

  for (const [name, args] of TESTS) {
    it(`is ${call(name, args)}`, () => {
      const test = (stock as unknown as { getTest(n: string): (...a: unknown[]) => unknown }).getTest(name);
      fc.assert(
        fc.property(value, (v) => {
          const expr = `v is ${call(name, args)}`;
          let want: boolean | undefined;
          try {
            want = Boolean(test.call({ env: stock }, v, ...args));
          } catch {
            want = undefined; // nunjucks' own test throws on this value: rendering must fail cleanly
          }
          const template = `{"w": {{ ${expr} }}, "s": "{{ ${expr} }}", "if": {% if ${expr} %}1{% else %}0{% endif %}, "m": {{ (m() is ${call(name, args)}) | tojson }}}`;
          const render = () =>
            renderJobTemplate(`{% macro m() %}Macro text{% endmacro %}${template}`, {
              vars: { v },
              validate: false,
            });
          if (want === undefined) {
            expect(render).toThrow(ValidationError);
            return;
          }
          const s = render().settings as Record<string, unknown>;
          expect([s.w, s.s, s.if]).toEqual([want, String(want), want ? 1 : 0]);
          // A macro's output is, to a test, what it is to nunjucks: a safe string of its text.
          expect(s.m).toBe(
            Boolean(test.call({ env: stock }, new nunjucks.runtime.SafeString("Macro text"), ...args)),
          );
        }),
        { numRuns: 30 },
      );
    });
  }
});
