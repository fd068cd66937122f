import { describe, expect, it } from "vitest";
import {
  createTraceContext,
  defineConventions,
  encodeBaggage,
  fromBaggage,
  toBaggage,
  ValidationError,
} from "../../src/index.js";
import { decodeBaggageValue, encodeBaggageValue } from "../../src/internal.js";
import { RUN, SHA, sampleContext } from "./sample.js";

describe("baggage values", () => {
  it("percent-encodes everything outside baggage-octet, and % itself, as UTF-8", () => {
    expect(encodeBaggageValue('a b,c;d\\e"f%g')).toBe("a%20b%2Cc%3Bd%5Ce%22f%25g");
    expect(encodeBaggageValue("é😀")).toBe("%C3%A9%F0%9F%98%80");
    expect(encodeBaggageValue("models:/x/1=ok!")).toBe("models:/x/1=ok!");
    expect(decodeBaggageValue("a%20b%2cc%C3%A9")).toBe("a b,cé");
  });

  it("decodes invalid UTF-8 to U+FFFD and refuses broken escapes and disallowed characters", () => {
    expect(decodeBaggageValue("%FF")).toBe("\uFFFD");
    expect(decodeBaggageValue("%G1")).toBeUndefined();
    expect(decodeBaggageValue("50%")).toBeUndefined();
    expect(decodeBaggageValue("a b")).toBeUndefined();
    expect(decodeBaggageValue("é")).toBeUndefined();
  });
});

describe("toBaggage", () => {
  it("writes members in priority order", () => {
    const header = toBaggage(
      createTraceContext({ code: { gitSha: SHA, branch: "feat/x y" }, model: { mlflowRunId: RUN } }),
    );
    expect(header).toBe(
      `modeltrail.code.git_sha=${SHA},modeltrail.model.mlflow_run_id=${RUN},modeltrail.code.branch=feat/x%20y`,
    );
    expect(toBaggage(createTraceContext())).toBe("");
  });

  it("drops the lowest-priority members that do not fit, and reports them", () => {
    const big = "d".repeat(1000);
    const ctx = createTraceContext({
      code: { gitSha: SHA },
      extra: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, big])),
      data: Array.from({ length: 8 }, (_, i) => ({ name: `set${i}`, uri: big })),
    });
    const { header, dropped } = encodeBaggage(ctx);
    expect(Buffer.byteLength(header)).toBeLessThanOrEqual(8192);
    expect(header.startsWith(`modeltrail.code.git_sha=${SHA},modeltrail.extra.k0=`)).toBe(true);
    // 64 bytes for the SHA + 7 x 1021 bytes for extras: an eighth extra would pass 8192 bytes.
    expect(dropped).toEqual([
      "modeltrail.extra.k7",
      "modeltrail.extra.k8",
      "modeltrail.extra.k9",
      "modeltrail.data",
    ]);
    const back = fromBaggage(header);
    expect(back.code?.gitSha).toBe(SHA);
    expect(Object.keys(back.extra ?? {})).toHaveLength(7);
    expect(back.data).toBeUndefined();
  });

  it("drops a member over 4096 bytes, and respects maxMembers", () => {
    const ctx = createTraceContext({ model: { name: "m" }, extra: { a: "é".repeat(700), b: "ok" } });
    expect(encodeBaggage(ctx).dropped).toEqual(["modeltrail.extra.a"]);
    const conventions = defineConventions({ baggage: { maxMembers: 2 } });
    expect(encodeBaggage(sampleContext(), { conventions }).header.split(",")).toHaveLength(2);
  });
});

describe("fromBaggage", () => {
  it("reads our members among others, with whitespace and properties, from one or several headers", () => {
    const ctx = fromBaggage([
      `userId=alice, modeltrail.code.git_sha = ${SHA} ;prop=1`,
      "vendor=%%%broken, modeltrail.extra.team=risk%20ops,serverNode=DF%2028",
    ]);
    expect(ctx.toJSON()).toEqual({ schemaVersion: 1, code: { gitSha: SHA }, extra: { team: "risk ops" } });
    expect(fromBaggage(undefined).toJSON()).toEqual({ schemaVersion: 1 });
    expect(fromBaggage("").toJSON()).toEqual({ schemaVersion: 1 });
  });

  it("names our members with bad escapes, bad values or disagreeing duplicates", () => {
    try {
      fromBaggage(
        `modeltrail.model.name=a%2,modeltrail.image.digest=sha256:1,modeltrail.code.git_sha=${SHA},modeltrail.code.git_sha=${"b".repeat(40)}`,
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual([
        "modeltrail.code.git_sha, modeltrail.code.git_sha",
        "modeltrail.image.digest",
        "modeltrail.model.name",
      ]);
    }
  });
});
