import { createTraceContext, fromAnnotations, fromEnv, ValidationError } from "@modeltrail/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseImageRef, renderDeployment, selectorLabels, toYaml } from "../src/index.js";

const ctx = createTraceContext({
  code: { gitSha: "a".repeat(40), repoUrl: "https://github.com/acme/churn", branch: "feature/Better Model!" },
  job: { platform: "databricks", jobId: "1795788642450000", runId: "1795788642450001" },
  model: { name: "churn", version: "3", mlflowRunId: "0e65f4e6ffd84bbcaca05398f1d5dff3" },
});
const DIGEST = `sha256:${"b".repeat(64)}`;

function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

describe("renderDeployment", () => {
  const { deployment, service, context } = renderDeployment(ctx.with({ image: { digest: DIGEST } }), {
    name: "churn-api",
    namespace: "serving",
    image: "myacr.azurecr.io/models/churn:1795788642450001",
    port: 8080,
    replicas: 3,
    service: true,
    env: { LOG_LEVEL: "info" },
    resources: { requests: { cpu: "500m", memory: "1Gi" } },
    probes: { readiness: { httpGet: { path: "/health", port: "http" } } },
  });
  const container = deployment.spec?.template?.spec?.containers?.[0];
  const envMap = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? ""]));

  it("pins the image by digest and puts the trace in the container env", () => {
    expect(container?.image).toBe(`myacr.azurecr.io/models/churn:1795788642450001@${DIGEST}`);
    expect(envMap.GIT_SHA).toBe("a".repeat(40));
    expect(envMap.LOG_LEVEL).toBe("info");
    const decoded = fromEnv(envMap);
    expect(decoded.job?.runId).toBe("1795788642450001");
    expect(decoded.model?.mlflowRunId).toBe("0e65f4e6ffd84bbcaca05398f1d5dff3");
    expect(decoded.image).toEqual({ ref: container?.image, digest: DIGEST });
    expect(decoded.deployment).toEqual({ platform: "kubernetes", name: "churn-api", namespace: "serving" });
    expect(decoded.equals(context)).toBe(true);
  });

  it("labels with the recommended set plus sanitised trace labels, selecting by name and instance only", () => {
    const labels = deployment.metadata?.labels ?? {};
    expect(labels).toMatchObject({
      "app.kubernetes.io/name": "churn-api",
      "app.kubernetes.io/instance": "churn-api",
      "app.kubernetes.io/version": "3",
      "app.kubernetes.io/component": "model-server",
      "app.kubernetes.io/managed-by": "modeltrail",
      "modeltrail.dev/code.git-sha": "a".repeat(40),
      "modeltrail.dev/job.run-id": "1795788642450001",
    });
    expect(labels["modeltrail.dev/code.branch"]).toMatch(/^feature-Better-Model-[0-9a-f]{8}$/);
    expect(deployment.spec?.selector?.matchLabels).toEqual(selectorLabels("churn-api"));
    expect(deployment.spec?.template?.metadata?.labels).toEqual(labels);
    expect(service?.spec?.selector).toEqual(selectorLabels("churn-api"));
    expect(service?.spec?.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
  });

  it("annotates the Deployment and its pod template with the full trace and a change-cause", () => {
    const annotations = deployment.metadata?.annotations ?? {};
    expect(annotations["kubernetes.io/change-cause"]).toBe(
      `deploy myacr.azurecr.io/models/churn:1795788642450001@${DIGEST}, run 1795788642450001, git aaaaaaaaaaaa`,
    );
    expect(fromAnnotations(deployment.spec?.template?.metadata?.annotations).equals(context)).toBe(true);
    expect(fromAnnotations(annotations).code?.branch).toBe("feature/Better Model!");
  });

  it("writes YAML that parses back to the same objects", () => {
    const yaml = toYaml(deployment, service);
    const docs = parseAllDocuments(yaml).map((d) => d.toJS());
    expect(docs).toEqual([deployment, service]);
    expect(parse(toYaml(deployment))).toEqual(deployment);
  });

  it("validates names, labels, env, image and numbers, listing every problem", () => {
    const issues = issuesOf(() =>
      renderDeployment(ctx, {
        name: "Churn_API",
        namespace: "Serving",
        image: "not a ref",
        port: 70000,
        replicas: -1,
        labels: { "bad key!": "x", ok: "-starts-with-dash" },
        annotations: { "/nope": "x" },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      "name",
      "namespace",
      "replicas",
      "port",
      "labels.bad key!",
      "labels.ok",
      "annotations./nope",
      "image",
    ]);
    expect(
      issuesOf(() => renderDeployment(ctx, { name: "x".repeat(64), image: "a/b" }))[0]?.message,
    ).toContain("longer than 63");
    expect(
      issuesOf(() => renderDeployment(ctx, { name: "web", image: "a/b", env: { GIT_SHA: "x" } })),
    ).toEqual([{ path: "env.GIT_SHA", message: "is set from the trace; do not set it by hand" }]);
    expect(issuesOf(() => renderDeployment(ctx, { name: "web", image: "a/b", service: true }))[0]?.path).toBe(
      "service",
    );
    expect(
      issuesOf(() =>
        renderDeployment(ctx.with({ image: { digest: DIGEST } }), {
          name: "web",
          image: `a/b@sha256:${"c".repeat(64)}`,
        }),
      )[0]?.message,
    ).toContain("but the context says");
  });

  it("keeps the image as given when no digest is known", () => {
    const { deployment: d } = renderDeployment(ctx, { name: "web", image: "localhost:5000/churn:latest" });
    expect(d.spec?.template?.spec?.containers?.[0]?.image).toBe("localhost:5000/churn:latest");
  });

  it("always produces label values Kubernetes accepts, whatever the trace holds (property)", () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 300 })
          .filter((s) => s.trim() !== "" && !/[\p{Cc}\p{Cs}]/u.test(s)),
        (branch) => {
          const c = createTraceContext({ code: { branch }, job: { runId: branch } });
          const { deployment: d } = renderDeployment(c, { name: "web", image: "a/b:1" });
          for (const value of Object.values(d.metadata?.labels ?? {})) {
            expect(value.length).toBeLessThanOrEqual(63);
            expect(value).toMatch(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("parseImageRef", () => {
  it.each([
    ["nginx", { name: "nginx", tag: undefined, digest: undefined }],
    [
      "myacr.azurecr.io/models/churn:1795788642450001",
      { name: "myacr.azurecr.io/models/churn", tag: "1795788642450001", digest: undefined },
    ],
    [`localhost:5000/a/b@${DIGEST}`, { name: "localhost:5000/a/b", tag: undefined, digest: DIGEST }],
    [`reg.io:443/a:v1.2@${DIGEST}`, { name: "reg.io:443/a", tag: "v1.2", digest: DIGEST }],
  ])("parses %s", (ref, parts) => {
    expect(parseImageRef(ref)).toEqual(parts);
  });

  it.each([
    "",
    "reg.io/UPPER/case",
    "a/b:bad tag",
    "a/b@sha256:short",
    "a//b",
    "reg.io/a:" + "x".repeat(129),
  ])("refuses %j", (ref) => {
    expect(() => parseImageRef(ref)).toThrow(ValidationError);
  });
});
