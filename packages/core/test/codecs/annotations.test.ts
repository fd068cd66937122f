import { describe, expect, it } from "vitest";
import { createTraceContext, fromAnnotations, toAnnotations, ValidationError } from "../../src/index.js";
import { DIGEST, RUN, SHA, sampleContext } from "./sample.js";

describe("toAnnotations", () => {
  it("writes OCI keys and modeltrail.dev/ keys with full values", () => {
    const a = toAnnotations(sampleContext(), { created: new Date("2026-01-31T12:00:00Z") });
    expect(a).toMatchObject({
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.source": "https://github.com/acme/churn.git",
      "org.opencontainers.image.created": "2026-01-31T12:00:00.000Z",
      "modeltrail.dev/model.mlflow-run-id": RUN,
      "modeltrail.dev/job.run-id": "456",
      "modeltrail.dev/image.digest": DIGEST,
      "modeltrail.dev/code.branch": "main",
      "modeltrail.dev/environment.runtime": '{"node":"24.1.0","python":"3.11.7"}',
      "modeltrail.dev/extra": '{"team":"risk"}',
      "modeltrail.dev/schema-version": "1",
    });
    expect(a).not.toHaveProperty("modeltrail.dev/code.git-sha");
    expect(Object.keys(a)).toHaveLength(32);
  });

  it("writes created only when asked, and validates it", () => {
    const ctx = createTraceContext({ code: { gitSha: SHA } });
    expect(toAnnotations(ctx)).toEqual({
      "org.opencontainers.image.revision": SHA,
      "modeltrail.dev/schema-version": "1",
    });
    expect(
      toAnnotations(ctx, { created: "2026-01-31T12:00:00+01:00" })["org.opencontainers.image.created"],
    ).toBe("2026-01-31T12:00:00+01:00");
    expect(() => toAnnotations(ctx, { created: "yesterday" })).toThrow(ValidationError);
    expect(() => toAnnotations(ctx, { created: new Date(Number.NaN) })).toThrow(ValidationError);
  });

  it("keeps values that labels would have to shorten", () => {
    const long = `feature/${"x".repeat(100)}`;
    const a = toAnnotations(createTraceContext({ code: { branch: long } }));
    expect(a["modeltrail.dev/code.branch"]).toBe(long);
  });
});

describe("fromAnnotations", () => {
  it("reads OCI annotations of an image, ignoring created and unrelated keys", () => {
    const ctx = fromAnnotations({
      "org.opencontainers.image.revision": SHA,
      "org.opencontainers.image.source": "https://github.com/acme/churn",
      "org.opencontainers.image.created": "2026-01-31T12:00:00Z",
      "org.opencontainers.image.title": "churn",
      "deployment.kubernetes.io/revision": "3",
    });
    expect(ctx.toJSON()).toEqual({
      schemaVersion: 1,
      code: { gitSha: SHA, repoUrl: "https://github.com/acme/churn" },
    });
    expect(fromAnnotations(undefined).toJSON()).toEqual({ schemaVersion: 1 });
  });

  it("names bad annotations", () => {
    try {
      fromAnnotations({
        "modeltrail.dev/data": '{"name":"x"}',
        "modeltrail.dev/image.digest": "sha256:short",
        "modeltrail.dev/extra": '{"ok":1}',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual([
        "modeltrail.dev/data",
        "modeltrail.dev/extra",
        "modeltrail.dev/image.digest",
      ]);
    }
  });

  it("rejects a newer schema version", () => {
    expect(() => fromAnnotations({ "modeltrail.dev/schema-version": "2" })).toThrow(/upgrade modeltrail/i);
  });
});
