import { createTraceContext, detectFromContainerEnv, toEnv, ValidationError } from "@modeltrail/core";
import { detectRuntime, mergeDetected } from "@modeltrail/core/internal";
import { describe, expect, it } from "vitest";

const SHA = "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c";

describe("detectFromContainerEnv (fromEnv)", () => {
  it("reads the seed variables of a serving container", () => {
    const env = {
      GIT_SHA: SHA,
      RUN_ID: "8f1e0c2b7a6d4e5f9a0b1c2d3e4f5a6b",
      JOB_ID: "123",
      HOSTNAME: "churn-7d9f",
    };
    expect(detectFromContainerEnv({ env })).toEqual({
      source: "container",
      context: {
        code: { gitSha: SHA },
        model: { mlflowRunId: "8f1e0c2b7a6d4e5f9a0b1c2d3e4f5a6b" },
        job: { jobId: "123" },
      },
    });
  });

  it("reads back everything toEnv wrote", () => {
    const ctx = createTraceContext({
      code: { gitSha: SHA, repoUrl: "https://github.com/acme/churn-model", branch: "main", dirty: false },
      model: { name: "churn", version: "7", mlflowRunId: "abc123" },
      image: { ref: "acme.azurecr.io/churn:abc123" },
      environment: { name: "prod", runtime: { python: "3.12.7" } },
      extra: { team: "risk" },
    });
    const { schemaVersion: _v, ...expected } = ctx.toJSON();
    expect(detectFromContainerEnv({ env: { PATH: "/bin", ...toEnv(ctx) } })?.context).toEqual(expected);
  });

  it("does not apply when no lineage variable is set", () => {
    expect(detectFromContainerEnv({ env: { PATH: "/bin", HOME: "/root", GIT_SHA: "" } })).toBeUndefined();
  });

  it("rejects a malformed GIT_SHA with a ValidationError naming it", () => {
    expect(() => detectFromContainerEnv({ env: { GIT_SHA: "main" } })).toThrow(ValidationError);
    expect(() => detectFromContainerEnv({ env: { GIT_SHA: "main" } })).toThrow(/GIT_SHA/);
  });
});

describe("detectRuntime", () => {
  it("reports the node version", () => {
    expect(detectRuntime()).toEqual({
      source: "runtime",
      context: { environment: { runtime: { node: process.versions.node } } },
    });
    expect(detectRuntime({ node: "22.11.0" }).context.environment?.runtime?.node).toBe("22.11.0");
    expect(detectRuntime({}).context).toEqual({});
  });
});

describe("mergeDetected", () => {
  it("takes each field from the first result that has it and records its source", () => {
    const merged = mergeDetected([
      { source: "a", context: { code: { branch: "x" }, extra: { k1: "a" }, data: [{ name: "d1" }] } },
      {
        source: "b",
        context: {
          code: { branch: "y", gitSha: SHA },
          extra: { k1: "b", k2: "b" },
          data: [{ name: "d2" }],
          environment: { runtime: { node: "24" } },
        },
      },
    ]);
    expect(merged.context).toEqual({
      code: { branch: "x", gitSha: SHA },
      extra: { k1: "a", k2: "b" },
      data: [{ name: "d1" }],
      environment: { runtime: { node: "24" } },
    });
    expect(merged.sources).toEqual({
      "code.branch": "a",
      "code.gitSha": "b",
      "extra.k1": "a",
      "extra.k2": "b",
      data: "a",
      "environment.runtime.node": "b",
    });
  });
});
