import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  defineConventions,
  encodeBaggage,
  fromAnnotations,
  fromBaggage,
  fromEnv,
  fromMlflowTags,
  parseTraceContext,
  type TraceContext,
  toAnnotations,
  toEnv,
  toK8sLabels,
  toMlflowTags,
  ValidationError,
} from "../../src/index.js";
import { isValidK8sKey, isValidLabelValue } from "../../src/internal.js";
import { NUM_RUNS, textArb, traceContextArb } from "./arbitraries.js";

const params = { numRuns: NUM_RUNS };

/** `sub` holds only fields that `full` holds, with the same values. */
function expectSubset(sub: unknown, full: unknown, path = "ctx"): void {
  if (Array.isArray(sub)) {
    for (const item of sub) {
      const match = (full as Array<{ name: string }>).find((d) => d.name === (item as { name: string }).name);
      expect(match, `${path}: ${JSON.stringify(item)}`).toEqual(item);
    }
  } else if (sub && typeof sub === "object") {
    for (const [k, v] of Object.entries(sub))
      expectSubset(v, (full as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    expect(sub, path).toEqual(full);
  }
}

describe("round trips for every valid context", () => {
  it("JSON: parseTraceContext(JSON.stringify(ctx)) equals ctx", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx) => {
        const back = parseTraceContext(JSON.stringify(ctx));
        expect(back.toJSON()).toEqual(ctx.toJSON());
        expect(back.equals(ctx)).toBe(true);
      }),
      params,
    );
  });

  it("env: fromEnv(toEnv(ctx)) equals ctx, also amid unrelated variables", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx) => {
        const env = { PATH: "/usr/bin", HOME: "/root", MLFLOW_TRACKING_URI: "databricks", ...toEnv(ctx) };
        expect(fromEnv(env).toJSON()).toEqual(ctx.toJSON());
      }),
      params,
    );
  });

  it("MLflow tags: fromMlflowTags(toMlflowTags(ctx)) equals ctx (map and REST list forms)", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx) => {
        const tags = { "mlflow.user": "someone", "mlflow.runName": "x", ...toMlflowTags(ctx) };
        expect(fromMlflowTags(tags).toJSON()).toEqual(ctx.toJSON());
        const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
        expect(fromMlflowTags(list).toJSON()).toEqual(ctx.toJSON());
        for (const value of Object.values(tags)) expect(value.length).toBeLessThanOrEqual(5000);
      }),
      params,
    );
  });

  it("annotations: fromAnnotations(toAnnotations(ctx)) equals ctx; every key is a valid Kubernetes key", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx) => {
        const annotations = {
          "kubectl.kubernetes.io/restartedAt": "x",
          ...toAnnotations(ctx, { created: new Date(0) }),
        };
        expect(fromAnnotations(annotations).toJSON()).toEqual(ctx.toJSON());
        for (const key of Object.keys(annotations)) expect(isValidK8sKey(key), key).toBe(true);
      }),
      params,
    );
  });

  it("baggage: fromBaggage(toBaggage(ctx)) equals ctx when nothing was dropped, a subset otherwise; limits hold", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx) => {
        const { header, dropped } = encodeBaggage(ctx);
        expect(Buffer.byteLength(header)).toBeLessThanOrEqual(8192);
        expect(header === "" ? 0 : header.split(",").length).toBeLessThanOrEqual(64);
        expect(header).toMatch(/^[\x21-\x7e]*$/);
        const back = fromBaggage(`other=1,${header},vendor=x;p=1`);
        if (dropped.length === 0) expect(back.toJSON()).toEqual(ctx.toJSON());
        else expectSubset(back.toJSON(), ctx.toJSON());
      }),
      params,
    );
  });

  it("baggage: small limits drop members deterministically and keep the rest exact", () => {
    fc.assert(
      fc.property(
        traceContextArb,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 40, max: 400 }),
        (ctx, maxMembers, maxBytes) => {
          const conventions = defineSmall(maxMembers, maxBytes);
          const a = encodeBaggage(ctx, { conventions });
          const b = encodeBaggage(ctx, { conventions });
          expect(a).toEqual(b);
          expect(a.header.length).toBeLessThanOrEqual(maxBytes);
          expect(a.header === "" ? 0 : a.header.split(",").length).toBeLessThanOrEqual(maxMembers);
          expectSubset(fromBaggage(a.header, { conventions }).toJSON(), ctx.toJSON());
        },
      ),
      params,
    );
  });

  it("k8s labels: always valid keys and values, deterministic", () => {
    fc.assert(
      fc.property(traceContextArb, (ctx: TraceContext) => {
        const labels = toK8sLabels(ctx);
        expect(toK8sLabels(ctx)).toEqual(labels);
        for (const [k, v] of Object.entries(labels)) {
          expect(isValidK8sKey(k), k).toBe(true);
          expect(isValidLabelValue(v), v).toBe(true);
        }
      }),
      params,
    );
  });
});

describe("invalid decoder input gives ValidationError, never a context", () => {
  const notSha = textArb(50).filter((s) => !/^[0-9a-fA-F]{40}$/.test(s));
  it("env with an invalid GIT_SHA", () => {
    fc.assert(
      fc.property(notSha, (sha) => {
        expect(() => fromEnv({ GIT_SHA: sha, MODELTRAIL_MODEL_NAME: "m" })).toThrow(ValidationError);
      }),
      params,
    );
  });
  it("env with JSON that is not a data list", () => {
    fc.assert(
      fc.property(fc.oneof(textArb(), fc.json()), (raw) => {
        let valid = false;
        try {
          const v = JSON.parse(raw);
          valid = Array.isArray(v) && v.length === 0;
        } catch {}
        fc.pre(!valid);
        expect(() => fromEnv({ MODELTRAIL_DATA: raw })).toThrow(ValidationError);
      }),
      params,
    );
  });
  it("MLflow tags with an invalid dirty flag", () => {
    fc.assert(
      fc.property(
        textArb().filter((s) => s !== "true" && s !== "false"),
        (dirty) => {
          expect(() => fromMlflowTags({ "modeltrail.code.dirty": dirty })).toThrow(ValidationError);
        },
      ),
      params,
    );
  });
  it("annotations with an invalid image digest", () => {
    fc.assert(
      fc.property(
        textArb(80).filter((s) => !/^sha256:[0-9a-f]{64}$/.test(s)),
        (digest) => {
          expect(() => fromAnnotations({ "modeltrail.dev/image.digest": digest })).toThrow(ValidationError);
        },
      ),
      params,
    );
  });
  it("baggage with characters baggage does not allow", () => {
    const bad = textArb()
      .map((s) => (s.split(/[,;]/)[0] ?? "").trim())
      .filter((v) => /[\s"\\\u0080-\uffff]|%(?![0-9A-Fa-f]{2})/.test(v));
    fc.assert(
      fc.property(bad, (value) => {
        expect(() => fromBaggage(`modeltrail.model.name=${value}`)).toThrow(ValidationError);
      }),
      params,
    );
  });
});

function defineSmall(maxMembers: number, maxBytes: number) {
  return defineConventions({ baggage: { maxMembers, maxBytes } });
}
