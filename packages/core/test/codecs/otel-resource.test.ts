import { detectResources, resourceAttributesEnvDetector } from "@opentelemetry/resources";
import * as semconv from "@opentelemetry/semantic-conventions/incubating";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTraceContext,
  DEFAULT_CONVENTIONS,
  OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH,
  type TraceContext,
  toOtelAttributes,
  toOtelResourceAttributes,
} from "../../src/index.js";

const saved = process.env.OTEL_RESOURCE_ATTRIBUTES;
afterEach(() => {
  if (saved === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
  else process.env.OTEL_RESOURCE_ATTRIBUTES = saved;
});

/** What OpenTelemetry's JavaScript SDK makes of the variable: its own env resource detector. */
function sdkResourceAttributes(value: string): Record<string, unknown> {
  process.env.OTEL_RESOURCE_ATTRIBUTES = value;
  return { ...detectResources({ detectors: [resourceAttributesEnvDetector] }).attributes };
}

/** The attributes the variable is meant to carry: the string ones of toOtelAttributes that fit. */
function expected(ctx: TraceContext): Record<string, string> {
  return Object.fromEntries(
    Object.entries(toOtelAttributes(ctx))
      .filter(([, v]) => !Array.isArray(v) && String(v).length <= OTEL_RESOURCE_ATTRIBUTE_MAX_LENGTH)
      .map(([k, v]) => [k, String(v)]),
  );
}

const full = () =>
  createTraceContext({
    code: {
      gitSha: "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
      repoUrl: "https://github.com/acme/churn-model",
      branch: "feature/a,b=c",
      dirty: false,
    },
    ci: {
      provider: "github-actions",
      runId: "1795788642",
      runUrl: "https://github.com/acme/churn-model/actions/runs/1795788642?check=1&x=%20",
      workflow: "train, then deploy",
    },
    job: { platform: "databricks", jobId: "812345", runId: "1795788642450001" },
    model: { name: "churn", version: "7", mlflowRunId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9" },
    image: { ref: "acme.azurecr.io/ml/churn:git-4f1c2a9", digest: `sha256:${"c".repeat(64)}` },
    deployment: { cluster: "aks-prod", namespace: "ml", name: "churn-serving", revision: "12" },
    environment: { name: "prod", runtime: { python: "3.12.7" } },
    extra: { team: "risk & fraud ✓" },
    data: [{ name: "customers" }],
  });

describe("toOtelResourceAttributes: OTEL_RESOURCE_ATTRIBUTES for a serving process", () => {
  it("round-trips through the OpenTelemetry SDK's own resource detector (@opentelemetry/resources)", () => {
    const ctx = full();
    const value = toOtelResourceAttributes(ctx);
    const parsed = sdkResourceAttributes(value);
    expect(parsed).toEqual(expected(ctx));
    expect(parsed).toMatchObject({
      "vcs.ref.head.revision": "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
      "vcs.ref.head.name": "feature/a,b=c",
      "cicd.pipeline.name": "train, then deploy",
      "modeltrail.job.run_id": "1795788642450001",
      "modeltrail.extra.team": "risk & fraud ✓",
      "modeltrail.code.dirty": "false",
      "container.image.name": "acme.azurecr.io/ml/churn",
    });
    // arrays cannot be carried by the variable: left out, not flattened into a wrong type
    for (const name of ["container.image.tags", "container.image.repo_digests", "modeltrail.data.names"])
      expect(parsed).not.toHaveProperty(name);
  });

  it("any context round-trips (property): commas, equals signs, percent signs, spaces, unicode", () => {
    const text = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 60 })
      .filter((s) => s.trim() === s && s !== "");
    fc.assert(
      fc.property(fc.record({ branch: text, workflow: text, name: text, team: text, ns: text }), (r) => {
        const ctx = createTraceContext({
          code: { branch: r.branch },
          ci: { workflow: r.workflow },
          model: { name: r.name },
          deployment: { namespace: r.ns },
          extra: { team: r.team },
        });
        expect(sdkResourceAttributes(toOtelResourceAttributes(ctx))).toEqual(expected(ctx));
      }),
      { numRuns: 200 },
    );
  });

  it("leaves out a value an SDK would refuse (over 255 characters) instead of losing every attribute", () => {
    const long = `https://github.com/acme/${"x".repeat(300)}`;
    const ctx = createTraceContext({
      code: { gitSha: "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd", repoUrl: long },
    });
    const value = toOtelResourceAttributes(ctx);
    expect(value).not.toContain("xxxx");
    expect(sdkResourceAttributes(value)).toEqual({
      "vcs.ref.head.revision": "4f1c2a9e0b7d3c5a6e8f9012345678901234abcd",
    });
    // the check can fail: the raw pair makes the SDK drop the whole variable
    expect(sdkResourceAttributes(`${value},vcs.repository.url.full=${encodeURIComponent(long)}`)).toEqual({});
  });

  it("an empty context gives an empty variable", () => {
    expect(toOtelResourceAttributes(createTraceContext({}))).toBe("");
  });
});

describe("toOtelAttributes names are OpenTelemetry semantic conventions (@opentelemetry/semantic-conventions)", () => {
  it("every semantic-convention name modeltrail writes is one the conventions define, for the field it means", () => {
    const f = DEFAULT_CONVENTIONS.otel.fields;
    expect(f["code.gitSha"]).toEqual([semconv.ATTR_VCS_REF_HEAD_REVISION]);
    expect(f["code.repoUrl"]).toEqual([semconv.ATTR_VCS_REPOSITORY_URL_FULL]);
    expect(f["code.branch"]).toEqual([semconv.ATTR_VCS_REF_HEAD_NAME]);
    expect(f["ci.runId"]).toEqual([semconv.ATTR_CICD_PIPELINE_RUN_ID]);
    expect(f["ci.runUrl"]).toEqual([semconv.ATTR_CICD_PIPELINE_RUN_URL_FULL]);
    expect(f["ci.workflow"]).toEqual([semconv.ATTR_CICD_PIPELINE_NAME]);
    expect(f["environment.name"]).toEqual([semconv.ATTR_DEPLOYMENT_ENVIRONMENT_NAME]);
    expect(f["deployment.name"]).toEqual([semconv.ATTR_K8S_DEPLOYMENT_NAME]);
    expect(f["deployment.namespace"]).toEqual([semconv.ATTR_K8S_NAMESPACE_NAME]);
    expect(f["deployment.cluster"]).toEqual([semconv.ATTR_K8S_CLUSTER_NAME]);
    expect(f["image.digest"]).toEqual([semconv.ATTR_OCI_MANIFEST_DIGEST]);
    expect(DEFAULT_CONVENTIONS.otel.containerImageName).toBe(semconv.ATTR_CONTAINER_IMAGE_NAME);
    expect(DEFAULT_CONVENTIONS.otel.containerImageTags).toBe(semconv.ATTR_CONTAINER_IMAGE_TAGS);
    expect(DEFAULT_CONVENTIONS.otel.containerImageRepoDigests).toBe(
      semconv.ATTR_CONTAINER_IMAGE_REPO_DIGESTS,
    );
  });

  it("every other name is in modeltrail's own namespace, never a name the conventions reserve", () => {
    const reserved = new Set(
      Object.entries(semconv)
        .filter(([k, v]) => k.startsWith("ATTR_") && typeof v === "string")
        .map(([, v]) => v as string),
    );
    for (const name of Object.keys(toOtelAttributes(full()))) {
      if (!name.startsWith("modeltrail.")) expect(reserved, name).toContain(name);
      else expect(reserved).not.toContain(name);
    }
  });
});
