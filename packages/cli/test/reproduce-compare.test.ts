import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TraceLineage } from "@modeltrail/core";
import fc from "fast-check";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compareArtifacts,
  compareDatasets,
  compareMetrics,
  compareRuns,
  DEFAULT_METRIC_TOLERANCE,
  type RunsToCompare,
  summarizeComparison,
} from "../src/index.js";
import { isZipFile, zipContentDigest } from "../src/reproduce/zip-content-digest.js";

const src = { system: "mlflow", object: "run r" };
const traced = (value: string | number) => ({ value, source: src });

function lineage(parts: {
  sha?: string;
  params?: Record<string, string>;
  metrics?: Record<string, number>;
  datasets?: Array<{ name: string; digest?: string; context?: string }>;
}): TraceLineage {
  const map = <T extends string | number>(m: Record<string, T> = {}) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, traced(v)]));
  return {
    id: "l",
    anchor: "a",
    matchedBy: "run",
    code: parts.sha ? { gitSha: traced(parts.sha) } : {},
    infrastructure: { training: {}, serving: {} },
    environment: { training: {}, serving: {} },
    artifacts: { params: map(parts.params), metrics: map(parts.metrics) },
    data: { datasets: (parts.datasets ?? []).map((d) => ({ ...d, source: src })) },
  } as TraceLineage;
}

const SHA = "a".repeat(40);
const base = (o: Partial<RunsToCompare> = {}): RunsToCompare => ({
  original: lineage({ sha: SHA }),
  reproduced: lineage({ sha: SHA }),
  originalJobParameters: {},
  usedJobParameters: {},
  artifacts: { original: [], reproduced: [] },
  tolerance: DEFAULT_METRIC_TOLERANCE,
  ...o,
});

describe("compareMetrics", () => {
  it("counts a difference within the tolerance as the same, and names one outside it", () => {
    const input = base({
      original: lineage({ metrics: { acc: 0.9, loss: 0.3, gone: 1 } }),
      reproduced: lineage({ metrics: { acc: 0.9000000001, loss: 0.31, new: 2 } }),
    });
    const byName = Object.fromEntries(compareMetrics(input).map((m) => [m.name, m]));
    expect(byName.acc?.status).toBe("same");
    expect(byName.loss).toMatchObject({ status: "differs", original: 0.3, reproduced: 0.31 });
    expect(byName.loss?.delta).toBeCloseTo(0.01);
    expect(byName.gone?.status).toBe("missing");
    expect(byName.new?.status).toBe("added");
    const loose = compareMetrics({ ...input, metricTolerances: { loss: { absolute: 0.05, relative: 0 } } });
    expect(loose.find((m) => m.name === "loss")?.status).toBe("same");
  });

  it("is symmetric, and a value always equals itself (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
        fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (a, b, abs) => {
          const tolerance = { absolute: abs, relative: 1e-6 };
          const one = (x: number, y: number) =>
            compareMetrics(
              base({
                original: lineage({ metrics: { m: x } }),
                reproduced: lineage({ metrics: { m: y } }),
                tolerance,
              }),
            )[0]?.status;
          expect(one(a, b)).toBe(one(b, a));
          expect(one(a, a)).toBe("same");
        },
      ),
    );
  });
});

describe("compareDatasets", () => {
  it("matches by name, pairs a single renamed data set, and says when a digest is missing", () => {
    const out = compareDatasets(
      base({
        original: lineage({
          datasets: [
            { name: "a", digest: "1" },
            { name: "seed7", digest: "2" },
            { name: "eval", digest: "9", context: "eval" },
          ],
        }),
        reproduced: lineage({ datasets: [{ name: "a" }, { name: "seed8", digest: "3" }] }),
      }),
    );
    expect(out).toEqual([
      expect.objectContaining({ name: "a", status: "unknown", note: "a digest is not recorded" }),
      expect.objectContaining({
        name: "seed7 / seed8",
        status: "differs",
        originalDigest: "2",
        reproducedDigest: "3",
      }),
    ]);
  });
});

describe("compareArtifacts", () => {
  it("compares bytes, and counts equal normalized digests as the same with a note", () => {
    const out = compareArtifacts(
      [
        { path: "MLmodel", size: 1, digest: "sha256:1", normalizedDigest: "n", normalizedBy: "mlmodel" },
        { path: "model.skops", size: 1, digest: "sha256:2", normalizedDigest: "z", normalizedBy: "zip" },
        { path: "weights.bin", size: 1, digest: "sha256:3" },
        { path: "old.txt", size: 1, digest: "sha256:4" },
      ],
      [
        { path: "MLmodel", size: 1, digest: "sha256:5", normalizedDigest: "n", normalizedBy: "mlmodel" },
        { path: "model.skops", size: 1, digest: "sha256:6", normalizedDigest: "z2", normalizedBy: "zip" },
        { path: "weights.bin", size: 1, digest: "sha256:3" },
        { path: "new.txt", size: 1, digest: "sha256:7" },
      ],
    );
    expect(out.map((f) => [f.path, f.status])).toEqual([
      ["MLmodel", "same"],
      ["model.skops", "differs"],
      ["new.txt", "added"],
      ["old.txt", "missing"],
      ["weights.bin", "same"],
    ]);
    expect(out[0]?.note).toContain("run_id");
  });
});

describe("compareRuns + summarizeComparison", () => {
  it("one line per difference; unknowns apart; overrides named", () => {
    const c = compareRuns(
      base({
        original: lineage({ sha: SHA, params: { seed: "7" } }),
        reproduced: lineage({ sha: SHA, params: { seed: "8" } }),
        originalJobParameters: { seed: "7" },
        usedJobParameters: {
          seed: { value: "8", origin: "override" },
          experiment: { value: "/x", origin: "template default" },
        },
        artifacts: { unknown: "no artifacts under model/" },
      }),
    );
    const s = summarizeComparison(c);
    expect(s.differences).toEqual(["job parameter seed: 7 -> 8 (overridden)", "param seed: 7 -> 8"]);
    expect(s.unknown).toEqual([
      "job parameter experiment: (none) -> /x (the original's value is not recorded; the template default was used)",
      "artifacts: no artifacts under model/",
    ]);
    expect(c.commit.status).toBe("same");
  });
});

describe("zipContentDigest", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "modeltrail-zip-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is the same for the same entries packed at other times, in another order, with other compression", async () => {
    const a = new TextEncoder().encode("weights ".repeat(1000));
    const b = new TextEncoder().encode('{"schema": 1}');
    await writeFile(
      join(dir, "1.zip"),
      zipSync({ "w.npy": [a, { mtime: new Date("2020-01-01") }], "s.json": b }),
    );
    await writeFile(
      join(dir, "2.zip"),
      zipSync({ "s.json": [b, { level: 0 }], "w.npy": [a, { mtime: new Date("2026-11-27"), level: 9 }] }),
    );
    await writeFile(join(dir, "3.zip"), zipSync({ "w.npy": a, "s.json": new TextEncoder().encode("{}") }));
    await writeFile(join(dir, "not.zip"), "plain text");
    await writeFile(join(dir, "cut.zip"), zipSync({ "w.npy": a }).subarray(0, 40));
    expect(await isZipFile(join(dir, "1.zip"))).toBe(true);
    expect(await isZipFile(join(dir, "not.zip"))).toBe(false);
    const d1 = await zipContentDigest(join(dir, "1.zip"));
    expect(d1).toEqual({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), kind: "zip" });
    expect(await zipContentDigest(join(dir, "2.zip"))).toEqual(d1);
    expect((await zipContentDigest(join(dir, "3.zip")))?.digest).not.toBe(d1?.digest);
    expect(await zipContentDigest(join(dir, "cut.zip"))).toBeUndefined();
  });
});

describe("skops archives", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "modeltrail-skops-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A skops-shaped archive whose array files and object ids are named by `ids` (memory addresses). */
  const skops = (ids: [number, number, number], coef: string) => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const schema = {
      __class__: "LogisticRegression",
      __loader__: "ObjectNode",
      content: {
        __loader__: "DictNode",
        content: {
          coef_: { __loader__: "NdArrayNode", type: "numpy", file: `${ids[0]}.npy`, __id__: ids[0] },
          classes_: { __loader__: "NdArrayNode", type: "numpy", file: `${ids[1]}.npy`, __id__: ids[1] },
          again: { __loader__: "ObjectNode", __id__: ids[0] },
        },
        __id__: ids[2],
      },
      __id__: ids[2] + 1,
    };
    return zipSync({
      [`${ids[0]}.npy`]: enc(coef),
      [`${ids[1]}.npy`]: enc("classes"),
      "schema.json": enc(JSON.stringify(schema, null, 2)),
    });
  };

  it("the same model saved by two processes compares equal; another model does not", async () => {
    await writeFile(join(dir, "a.skops"), skops([140716365294992, 140716365298832, 140716365293552], "coef"));
    await writeFile(join(dir, "b.skops"), skops([139827461439760, 139827461440016, 139828014640928], "coef"));
    await writeFile(join(dir, "c.skops"), skops([139827461439760, 139827461440016, 139828014640928], "COEF"));
    const a = await zipContentDigest(join(dir, "a.skops"));
    expect(a?.kind).toBe("skops");
    expect(await zipContentDigest(join(dir, "b.skops"))).toEqual(a);
    expect((await zipContentDigest(join(dir, "c.skops")))?.digest).not.toBe(a?.digest);
  });

  it("which nodes share an object is kept: a different sharing is a different model", async () => {
    const { canonicalSkopsSchema } = await import("../src/reproduce/skops-schema.js");
    const same = canonicalSkopsSchema({ __loader__: "x", a: { __id__: 5 }, b: { __id__: 5 } }, new Map());
    const apart = canonicalSkopsSchema({ __loader__: "x", a: { __id__: 5 }, b: { __id__: 6 } }, new Map());
    expect(same).not.toBe(apart);
    expect(canonicalSkopsSchema({ __loader__: "x", a: { __id__: 9 }, b: { __id__: 9 } }, new Map())).toBe(
      same,
    );
  });
});
