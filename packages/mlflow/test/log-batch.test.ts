import { ValidationError } from "@modeltrail/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_LOG_BATCH_LIMITS,
  type LogBatchChunk,
  prepareLogBatch,
  splitLogBatch,
} from "../src/index.js";

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

function checkChunk(c: LogBatchChunk) {
  expect(c.metrics.length).toBeLessThanOrEqual(1000);
  expect(c.params.length).toBeLessThanOrEqual(100);
  expect(c.tags.length).toBeLessThanOrEqual(100);
  expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(1000);
  expect(Buffer.byteLength(JSON.stringify({ run_id: "x".repeat(32), ...c }))).toBeLessThan(1_000_000);
}

describe("log-batch preparation", () => {
  it("accepts MLflow's key characters and converts values", () => {
    const batch = prepareLogBatch(
      {
        metrics: [
          { key: "val/loss: epoch 1", value: 0.5, step: 3 },
          { key: "nan", value: Number.NaN },
        ],
        params: { lr: 0.01, "a.b-c_d": true, ünïcode: "x" },
        tags: [{ key: "GIT_SHA", value: "abc" }],
      },
      1234,
    );
    expect(batch.metrics).toEqual([
      { key: "val/loss: epoch 1", value: 0.5, timestamp: 1234, step: 3 },
      { key: "nan", value: "NaN", timestamp: 1234, step: 0 },
    ]);
    expect(batch.params).toEqual([
      { key: "lr", value: "0.01" },
      { key: "a.b-c_d", value: "true" },
      { key: "ünïcode", value: "x" },
    ]);
  });

  it("lists every invalid key and value before sending anything", () => {
    const err = validationError(() =>
      prepareLogBatch({
        metrics: [
          { key: "ok", value: 1 },
          { key: "bad*", value: 1 },
          { key: "m", value: "1" as unknown as number },
          { key: "s", value: 1, step: 1.5 },
        ],
        params: {
          "": "x",
          "/abs": "x",
          "a//b": "x",
          "trail/": "x",
          "..dots": "x",
          "a/./b": "x",
          long: "p".repeat(6001),
          [`k${"k".repeat(250)}`]: "x",
        },
        tags: { ok: "t".repeat(8000), big: "t".repeat(8001), "semi;colon": "x" },
      }),
    );
    expect(err.issues.map((i) => i.path)).toEqual([
      "metrics[1].key",
      "metrics[2].value",
      "metrics[3].step",
      "params[0].key",
      "params[1].key",
      "params[2].key",
      "params[3].key",
      "params[4].key",
      "params[5].key",
      "params[6].value",
      "params[7].key",
      "tags[1].value",
      "tags[2].key",
    ]);
    expect(err.message).toContain("6001");
  });

  it("counts length in code points like Python", () => {
    expect(() => prepareLogBatch({ params: { emoji: "😀".repeat(6000) } })).not.toThrow();
    expect(() => prepareLogBatch({ params: { emoji: "😀".repeat(6001) } })).toThrow(ValidationError);
  });

  it("refuses a param given twice with different values, dedupes identical ones", () => {
    const err = validationError(() =>
      prepareLogBatch({
        params: [
          { key: "a", value: "1" },
          { key: "a", value: "2" },
        ],
      }),
    );
    expect(err.issues[0]?.message).toContain("twice");
    expect(
      prepareLogBatch({
        params: [
          { key: "a", value: "1" },
          { key: "a", value: "1" },
        ],
      }).params,
    ).toHaveLength(1);
  });
});

describe("log-batch splitting", () => {
  it("splits to 1000 metrics / 100 params / 100 tags / 1000 items per call", () => {
    const batch = prepareLogBatch({
      metrics: Array.from({ length: 2500 }, (_, i) => ({ key: "m", value: i, step: i, timestamp: 1 })),
      params: Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, "v"])),
      tags: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`t${i}`, "v"])),
    });
    const chunks = splitLogBatch(batch);
    chunks.forEach(checkChunk);
    expect(chunks.flatMap((c) => c.metrics)).toEqual(batch.metrics);
    expect(chunks.flatMap((c) => c.params)).toEqual(batch.params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(batch.tags);
    expect(chunks.map((c) => [c.params.length, c.tags.length, c.metrics.length])).toEqual([
      [100, 0, 0],
      [100, 0, 0],
      [50, 100, 0],
      [0, 50, 950],
      [0, 0, 1000],
      [0, 0, 550],
    ]);
  });

  it("keeps each request under the server's 1 MB body limit", () => {
    const batch = prepareLogBatch({
      params: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, "p".repeat(6000)])),
      tags: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`t${i}`, "é".repeat(8000)])),
    });
    const chunks = splitLogBatch(batch);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    chunks.forEach(checkChunk);
  });

  it("never exceeds a limit and never loses or reorders items (property)", () => {
    const item = fc.record({ key: fc.constantFrom("a", "b", "c"), value: fc.string({ maxLength: 50 }) });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.constant("m"),
            value: fc.double({ noNaN: true }),
            timestamp: fc.constant(1),
            step: fc.nat(),
          }),
          { maxLength: 60 },
        ),
        fc.array(item, { maxLength: 40 }),
        fc.array(item, { maxLength: 40 }),
        fc.record({
          metrics: fc.integer({ min: 1, max: 7 }),
          params: fc.integer({ min: 1, max: 5 }),
          tags: fc.integer({ min: 1, max: 5 }),
          total: fc.integer({ min: 1, max: 9 }),
          bytes: fc.integer({ min: 50, max: 400 }),
        }),
        (metrics, params, tags, limits) => {
          const chunks = splitLogBatch({ metrics, params, tags }, limits);
          for (const c of chunks) {
            expect(c.metrics.length).toBeLessThanOrEqual(limits.metrics);
            expect(c.params.length).toBeLessThanOrEqual(limits.params);
            expect(c.tags.length).toBeLessThanOrEqual(limits.tags);
            expect(c.metrics.length + c.params.length + c.tags.length).toBeGreaterThan(0);
            expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(limits.total);
          }
          expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
          expect(chunks.flatMap((c) => c.params)).toEqual(params);
          expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("defaults to MLflow's limits", () => {
    expect(DEFAULT_LOG_BATCH_LIMITS).toMatchObject({ metrics: 1000, params: 100, tags: 100, total: 1000 });
  });
});
