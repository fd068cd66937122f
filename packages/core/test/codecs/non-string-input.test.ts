/**
 * The same rules everywhere (issue 8 §7): a decoder given a value that is not a string (a number from
 * a JSON document, a caller's mistake) reports a ValidationError naming the key, never a TypeError
 * from deep inside; an input that is not an object (or header) at all is a ValidationError too; a key
 * that is only too long is reported as too long.
 */
import { describe, expect, it } from "vitest";
import {
  createTraceContext,
  fromAnnotations,
  fromBaggage,
  fromEnv,
  fromMlflowTags,
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

// biome-ignore lint/suspicious/noExplicitAny: the point is input the types do not allow
const untyped = (v: unknown): any => v;

describe("a value that is not a string is a ValidationError naming its key", () => {
  it("fromEnv", () => {
    expect(issues(() => fromEnv(untyped({ GIT_SHA: 5, JOB_ID: "12" })))).toEqual([
      { path: "GIT_SHA", message: "value must be a string, got a number" },
    ]);
    expect(issues(() => fromEnv(untyped({ RUN_ID: { id: 1 } })))).toEqual([
      { path: "RUN_ID", message: "value must be a string, got an object" },
    ]);
  });

  it("fromEnv with require: the invalid value and the missing ones in one error", () => {
    const found = issues(() => fromEnv(untyped({ GIT_SHA: 5 }), { require: ["code.gitSha", "runId"] }));
    expect(found[0]).toEqual({ path: "GIT_SHA", message: "value must be a string, got a number" });
    expect(found.map((i) => i.message)).toContain("code.gitSha is required but not set");
    expect(found.map((i) => i.message)).toContain("the run id is required but not set");
  });

  it("fromAnnotations", () => {
    expect(issues(() => fromAnnotations(untyped({ "org.opencontainers.image.revision": true })))).toEqual([
      { path: "org.opencontainers.image.revision", message: "value must be a string, got a boolean" },
    ]);
  });

  it("fromMlflowTags, as a record and as a list", () => {
    expect(issues(() => fromMlflowTags(untyped({ GIT_SHA: 5 })))).toEqual([
      { path: "GIT_SHA", message: "tag value must be a string, got a number" },
    ]);
    expect(issues(() => fromMlflowTags(untyped([{ key: "DBR_RUN_ID", value: 42 }])))).toEqual([
      { path: "DBR_RUN_ID", message: "tag value must be a string, got a number" },
    ]);
    expect(issues(() => fromMlflowTags(untyped([{ key: 7, value: "x" }, "GIT_SHA"])))).toEqual([
      { path: "tags[0].key", message: "must be a string, got a number" },
      { path: "tags[1]", message: "must be { key, value }, got a string" },
    ]);
  });
});

describe("an input that is not an object or header at all", () => {
  it.each([
    ["fromEnv", () => fromEnv(untyped("GIT_SHA=abc"))],
    ["fromAnnotations", () => fromAnnotations(untyped(["a"]))],
    ["fromMlflowTags", () => fromMlflowTags(untyped(5))],
    ["fromBaggage", () => fromBaggage(untyped(5))],
    ["fromBaggage (a list)", () => fromBaggage(untyped(["a=b", 5]))],
  ])("%s: ValidationError at (root)", (_, fn) => {
    const found = issues(fn);
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe("(root)");
  });

  it("absent input is an empty context, as before", () => {
    expect(fromMlflowTags(untyped(null))).toEqual(createTraceContext({}));
    expect(fromMlflowTags(untyped(undefined))).toEqual(createTraceContext({}));
    expect(fromBaggage(null)).toEqual(createTraceContext({}));
    expect(fromAnnotations(undefined)).toEqual(createTraceContext({}));
  });
});

describe("keys of extra and environment.runtime", () => {
  it("a key that is only too long is reported as too long", () => {
    const key = "k".repeat(70);
    expect(issues(() => createTraceContext({ extra: { [key]: "v" } }))).toEqual([
      { path: `extra.${key}`, message: "key is 70 characters long; the limit is 63" },
    ]);
    expect(issues(() => fromMlflowTags({ [`modeltrail.extra.${key}`]: "v" }))[0]?.message).toMatch(
      /key is 70 characters long; the limit is 63$/,
    );
  });

  it("a key with characters outside the pattern is reported with the pattern, whatever its length", () => {
    for (const key of ["Bad Key", `K${"k".repeat(70)}`]) {
      expect(issues(() => createTraceContext({ extra: { [key]: "v" } }))[0]?.message).toMatch(
        /^key must match /,
      );
    }
  });
});
