/**
 * Keys that mean something special to JavaScript objects (`__proto__`, `constructor`, `toString`)
 * are ordinary keys to every decoder: `__proto__` is refused with the rule it breaks (it used to be
 * "given twice with different values", or silently dropped), `constructor` is a valid key like any
 * other, and no prototype is ever replaced.
 */
import { describe, expect, it } from "vitest";
import {
  createTraceContext,
  fromAnnotations,
  fromBaggage,
  fromEnv,
  fromMlflowTags,
  parseTraceContext,
  type TraceContext,
  ValidationError,
} from "../../src/index.js";

function issues(fn: () => TraceContext): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

const PROTO = /key "__proto__" is not allowed: keys must match/;

describe("__proto__ as a key", () => {
  it.each([
    ["baggage extra", () => fromBaggage("modeltrail.extra.__proto__=x"), "modeltrail.extra.__proto__"],
    [
      "baggage runtime",
      () => fromBaggage("modeltrail.environment.runtime.__proto__=x"),
      "modeltrail.environment.runtime.__proto__",
    ],
    ["MLflow tag", () => fromMlflowTags({ "modeltrail.extra.__proto__": "x" }), "modeltrail.extra.__proto__"],
    ["env JSON", () => fromEnv({ MODELTRAIL_EXTRA: '{"__proto__":"x"}' }), "MODELTRAIL_EXTRA"],
    [
      "annotation JSON",
      () => fromAnnotations({ "modeltrail.dev/environment.runtime": '{"__proto__":{"a":"b"}}' }),
      "modeltrail.dev/environment.runtime",
    ],
    [
      "createTraceContext",
      () => createTraceContext({ extra: JSON.parse('{"__proto__":"x"}') }),
      "extra.__proto__",
    ],
    [
      "parseTraceContext",
      () => parseTraceContext('{"schemaVersion":1,"extra":{"__proto__":"x"}}'),
      "extra.__proto__",
    ],
    [
      "with()",
      () => createTraceContext({ extra: { a: "b" } }).with({ extra: JSON.parse('{"__proto__":{"p":"q"}}') }),
      "extra.__proto__",
    ],
  ] as const)("%s: refused with the rule it breaks", (_what, decode, path) => {
    const found = issues(decode);
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe(path);
    expect(found[0]?.message).toMatch(PROTO);
    expect(found[0]?.message).not.toMatch(/twice/);
  });

  it("is an unknown field where a section or the root expects named fields", () => {
    expect(issues(() => parseTraceContext('{"schemaVersion":1,"__proto__":{"extra":{"a":"b"}}}'))).toEqual([
      { path: "__proto__", message: expect.stringMatching(/unknown field/) },
    ]);
    expect(issues(() => createTraceContext(JSON.parse('{"code":{"__proto__":{"branch":"x"}}}')))).toEqual([
      { path: "code.__proto__", message: expect.stringMatching(/unknown field/) },
    ]);
  });

  it("never replaces a prototype", () => {
    expect(() => fromEnv({ MODELTRAIL_EXTRA: '{"__proto__":{"polluted":"yes"}}' })).toThrow(ValidationError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("keys that objects inherit are ordinary keys", () => {
  it.each([
    ["baggage", () => fromBaggage("modeltrail.extra.constructor=x,modeltrail.extra.valueof=y")],
    [
      "MLflow tags",
      () => fromMlflowTags({ "modeltrail.extra.constructor": "x", "modeltrail.extra.valueof": "y" }),
    ],
    ["env JSON", () => fromEnv({ MODELTRAIL_EXTRA: '{"constructor":"x","valueof":"y"}' })],
  ] as const)("%s: constructor is a valid extra key", (_what, decode) => {
    expect(decode().extra).toEqual({ constructor: "x", valueof: "y" });
  });

  it("an invalid inherited-looking key gets the key rule, not 'given twice'", () => {
    const found = issues(() => fromBaggage("modeltrail.extra.toString=x"));
    expect(found).toEqual([
      { path: "modeltrail.extra.toString", message: expect.stringMatching(/key must match/) },
    ]);
  });
});
