import { describe, expect, it } from "vitest";
import { parseTraceReport, type TraceReport, ValidationError } from "../../src/index.js";
import { traceReportSchema } from "../../src/internal.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const mv = {
  system: "mlflow",
  object: "model version churn/3",
  url: "http://127.0.0.1:5000/#/models/churn/versions/3",
};

/** A small report as the walk writes it: one lineage, two nodes, one failed check. */
function sample(): TraceReport {
  return {
    schemaVersion: 1,
    createdAt: "2026-01-31T12:00:00.000Z",
    handle: { kind: "model-version", name: "churn", version: "3" },
    lineages: [
      {
        id: "model-version:churn/3",
        anchor: "model-version:churn/3",
        matchedBy: "the handle",
        context: { schemaVersion: 1, code: { gitSha: SHA }, model: { name: "churn", version: "3" } },
        code: {
          gitSha: {
            value: SHA,
            source: { ...mv, field: "tag GIT_SHA" },
            confirmedBy: [{ system: "mlflow", object: "run 0e65", field: "tag mlflow.source.git.commit" }],
          },
        },
        infrastructure: { training: {}, serving: { nodes: [], revisions: [] } },
        environment: { training: { parameters: {} }, serving: { env: {} } },
        artifacts: {
          modelName: { value: "churn", source: mv },
          modelVersion: { value: "3", source: mv },
          files: [{ path: "MLmodel", size: 120, source: mv }],
        },
        data: {
          datasets: [{ name: "iris", digest: "abc", source: { system: "mlflow", object: "run 0e65" } }],
        },
      },
    ],
    graph: {
      nodes: [
        {
          id: "model-version:churn/3",
          kind: "model-version",
          label: "churn v3",
          state: "resolved",
          facts: {},
        },
        { id: `commit:${SHA}`, kind: "commit", label: SHA.slice(0, 12), state: "referenced", facts: {} },
      ],
      edges: [{ from: `commit:${SHA}`, to: "model-version:churn/3", relation: "built" }],
    },
    unreachable: [
      {
        system: "registry",
        lookup: "images of run 42",
        reason: "no-resolver",
        message: "no registry resolver",
      },
    ],
    requests: { total: 3, bySystem: { mlflow: 3 }, lookups: 2 },
    checks: [
      {
        id: "commit.model-version-run",
        title: "model version commit = training run commit",
        lineage: "model-version:churn/3",
        status: "fail",
        message: "they differ",
        values: [
          { value: SHA, source: mv },
          { value: null, source: { system: "mlflow", object: "run 0e65" } },
        ],
      },
    ],
    summary: { pass: 0, fail: 1, unknown: 0 },
  };
}

describe("TraceReport schema", () => {
  it("reads back what JSON.stringify wrote", () => {
    const report = sample();
    expect(parseTraceReport(JSON.stringify(report))).toEqual(report);
    expect(parseTraceReport(report)).toEqual(report);
    expect(traceReportSchema.parse(report)).toEqual(report);
  });

  it("says to upgrade when the report is newer than this release", () => {
    expect(() => parseTraceReport({ ...sample(), schemaVersion: 2 })).toThrow(/upgrade modeltrail/);
  });

  it("names every field that does not match", () => {
    const bad = sample() as unknown as Record<string, unknown>;
    (bad.lineages as Array<Record<string, unknown>>)[0]!.code = { gitSha: { value: SHA } };
    bad.extra = 1;
    let error: unknown;
    try {
      parseTraceReport(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).issues.map((i) => i.path);
    expect(paths).toContain("lineages[0].code.gitSha.source");
    expect(paths).toContain("extra");
  });

  it("refuses a failed check without values and an unknown one without a reason", () => {
    const noValues = sample();
    noValues.checks = [{ ...(noValues.checks![0] as object), values: [] } as never];
    expect(() => parseTraceReport(noValues)).toThrow(ValidationError);
    const noReason = sample();
    noReason.checks = [{ ...(noReason.checks![0] as object), status: "unknown" } as never];
    expect(() => parseTraceReport(noReason)).toThrow(ValidationError);
  });

  it("refuses what is not JSON or not an object", () => {
    expect(() => parseTraceReport("{")).toThrow(/not valid JSON/);
    expect(() => parseTraceReport([])).toThrow(ValidationError);
  });
});
