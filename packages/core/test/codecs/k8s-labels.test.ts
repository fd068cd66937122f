import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createTraceContext, toK8sLabels } from "../../src/index.js";
import { isValidLabelValue, MAX_LABEL_VALUE_LENGTH, sanitizeLabelValue } from "../../src/internal.js";
import { NUM_RUNS } from "./arbitraries.js";
import { RUN, SHA, sampleContext } from "./sample.js";

const hash8 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);

describe("sanitizeLabelValue", () => {
  it("keeps valid values as they are", () => {
    for (const v of ["", "a", "main", SHA, "v1.2.3_rc-1", "A".repeat(63)])
      expect(sanitizeLabelValue(v)).toBe(v);
  });

  it("replaces, trims, cuts and adds a hash of the original", () => {
    expect(sanitizeLabelValue("feature/login")).toBe(`feature-login-${hash8("feature/login")}`);
    expect(sanitizeLabelValue("-lead")).toBe(`lead-${hash8("-lead")}`);
    expect(sanitizeLabelValue("sha256:abc")).toBe(`sha256-abc-${hash8("sha256:abc")}`);
    expect(sanitizeLabelValue("///")).toBe(hash8("///"));
    expect(sanitizeLabelValue("é")).toBe(hash8("é"));
    const long = "x".repeat(100);
    const cut = sanitizeLabelValue(long);
    expect(cut).toBe(`${"x".repeat(54)}-${hash8(long)}`);
    expect(cut).toHaveLength(MAX_LABEL_VALUE_LENGTH);
  });

  it("keeps apart values that differ only in replaced characters or beyond the cut", () => {
    expect(sanitizeLabelValue("a/b")).not.toBe(sanitizeLabelValue("a:b"));
    expect(sanitizeLabelValue(`${"y".repeat(70)}1`)).not.toBe(sanitizeLabelValue(`${"y".repeat(70)}2`));
  });

  it("always returns a valid label value, deterministically, for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 120 }), (s) => {
        const out = sanitizeLabelValue(s);
        expect(isValidLabelValue(out)).toBe(true);
        expect(sanitizeLabelValue(s)).toBe(out);
        expect(sanitizeLabelValue(out)).toBe(out);
        if (isValidLabelValue(s)) expect(out).toBe(s);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("toK8sLabels", () => {
  it("labels the selectable fields under modeltrail.dev/", () => {
    expect(toK8sLabels(sampleContext())).toEqual({
      "modeltrail.dev/code.git-sha": SHA,
      "modeltrail.dev/model.mlflow-run-id": RUN,
      "modeltrail.dev/job.job-id": "123",
      "modeltrail.dev/job.run-id": "456",
      "modeltrail.dev/model.name": "churn",
      "modeltrail.dev/model.version": "7",
      "modeltrail.dev/environment.name": "prod",
      "modeltrail.dev/code.branch": "main",
      "modeltrail.dev/ci.run-id": "9753949763",
      "modeltrail.dev/deployment.revision": "3",
    });
  });

  it("sanitizes values that are not valid labels", () => {
    const labels = toK8sLabels(createTraceContext({ code: { branch: "feature/new model" } }));
    expect(labels["modeltrail.dev/code.branch"]).toBe(`feature-new-model-${hash8("feature/new model")}`);
  });
});
