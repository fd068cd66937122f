import { inspect } from "node:util";
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitError,
  ServerError,
  ValidationError,
} from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { ApplyConflictError } from "../src/index.js";
import { status, useFakeApiServer } from "./fake-api-server.js";

const fake = useFakeApiServer();
const DEPLOY = "/apis/apps/v1/namespaces/ns/deployments";

describe("requests", () => {
  it("gets an object in the context's namespace with the kubeconfig's token", async () => {
    fake.server.use(
      http.get(`${fake.server.url}${DEPLOY}/web`, () =>
        HttpResponse.json({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web", namespace: "ns" },
        }),
      ),
    );
    const dep = await fake.kube.deployments.get("web");
    expect(dep.metadata?.name).toBe("web");
    expect(fake.server.requests[0]?.headers.authorization).toBe("Bearer fake-api-token-1234");
    expect(fake.server.requests[0]?.headers.accept).toBe("application/json");
  });

  it("finds nothing without throwing, and maps NotFound onto NotFoundError", async () => {
    fake.server.use(
      http.get(`${fake.server.url}/api/v1/namespaces/other/services/gone`, () =>
        status(404, "NotFound", 'services "gone" not found', { name: "gone", kind: "services" }),
      ),
    );
    expect(await fake.kube.services.find("gone", { namespace: "other" })).toBeUndefined();
    const err = await fake.kube.services.get("gone", { namespace: "other" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).serviceCode).toBe("NotFound");
    expect((err as Error).message).toContain('services "gone" not found');
    expect((err as Error).message).toContain("Check the name and the namespace");
  });

  it("lists every page with selectors, putting apiVersion and kind on the items", async () => {
    fake.server.use(
      http.get(`${fake.server.url}/apis/apps/v1/namespaces/ns/replicasets`, ({ request }) => {
        const url = new URL(request.url);
        const cont = url.searchParams.get("continue");
        if (!cont) {
          return HttpResponse.json({
            metadata: { resourceVersion: "10", continue: "page2" },
            items: [{ metadata: { name: "a" } }],
          });
        }
        return HttpResponse.json({
          metadata: { resourceVersion: "10" },
          items: [{ metadata: { name: "b" } }],
        });
      }),
    );
    const list = await fake.kube.replicaSets.list({
      labelSelector: { "app.kubernetes.io/name": "web", tier: "api" },
      fieldSelector: "metadata.namespace=ns",
      limit: 1,
    });
    expect(list.resourceVersion).toBe("10");
    expect(list.items.map((i) => [i.kind, i.apiVersion, i.metadata?.name])).toEqual([
      ["ReplicaSet", "apps/v1", "a"],
      ["ReplicaSet", "apps/v1", "b"],
    ]);
    const q = new URL(fake.server.requests[0]!.path, fake.server.url).searchParams;
    expect(q.get("labelSelector")).toBe("app.kubernetes.io/name=web,tier=api");
    expect(q.get("fieldSelector")).toBe("metadata.namespace=ns");
    expect(q.get("limit")).toBe("1");
    expect(new URL(fake.server.requests[1]!.path, fake.server.url).searchParams.get("continue")).toBe(
      "page2",
    );
  });

  it("refuses names and namespaces that could change the URL path", () => {
    expect(() => fake.kube.deployments.get("../secrets")).toThrow(ValidationError);
    expect(() => fake.kube.deployments.get("Web")).toThrow(/Invalid Deployment name "Web"/);
    expect(() => fake.kube.deployments.get("web", { namespace: "a/b" })).toThrow(
      /Invalid Kubernetes namespace/,
    );
    expect(fake.server.requests).toHaveLength(0);
  });
});

describe("server-side apply, patch, delete", () => {
  const manifest = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "ns" },
    spec: { replicas: 2 },
  } as const;

  it("applies with apply-patch+yaml, the field manager, force and dryRun=All", async () => {
    fake.server.use(
      http.patch(`${fake.server.url}${DEPLOY}/web`, async ({ request }) =>
        HttpResponse.json({
          ...((await request.json()) as object),
          metadata: { name: "web", resourceVersion: "5" },
        }),
      ),
    );
    const out = await fake.kube.deployments.apply(manifest, {
      fieldManager: "modeltrail",
      force: true,
      dryRun: true,
    });
    expect(out.metadata?.resourceVersion).toBe("5");
    const req = fake.server.requests[0]!;
    expect(req.headers["content-type"]).toBe("application/apply-patch+yaml");
    const q = new URL(req.path, fake.server.url).searchParams;
    expect(Object.fromEntries(q)).toEqual({ fieldManager: "modeltrail", force: "true", dryRun: "All" });
    expect(JSON.parse(req.body)).toEqual(manifest);
  });

  it("reports apply conflicts field by field with the manager that owns each", async () => {
    fake.server.use(
      http.patch(`${fake.server.url}${DEPLOY}/web`, () =>
        status(
          409,
          "Conflict",
          'Apply failed with 2 conflicts: conflict with "kubectl" using apps/v1: .spec.replicas',
          {
            causes: [
              {
                reason: "FieldManagerConflict",
                message: 'conflict with "kubectl" using apps/v1',
                field: ".spec.replicas",
              },
              {
                reason: "FieldManagerConflict",
                message: 'conflict with "helm" using apps/v1',
                field: '.spec.template.spec.containers[name="web"].image',
              },
            ],
          },
        ),
      ),
    );
    const err = (await fake.kube.deployments
      .apply(manifest, { fieldManager: "modeltrail" })
      .catch((e: unknown) => e)) as ApplyConflictError;
    expect(err).toBeInstanceOf(ApplyConflictError);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.name).toBe("ApplyConflictError");
    expect(err.conflicts).toEqual([
      { field: ".spec.replicas", manager: "kubectl", message: 'conflict with "kubectl" using apps/v1' },
      {
        field: '.spec.template.spec.containers[name="web"].image',
        manager: "helm",
        message: 'conflict with "helm" using apps/v1',
      },
    ]);
    expect(err.message).toContain('- .spec.replicas: owned by "kubectl"');
    expect(err.message).toContain('- .spec.template.spec.containers[name="web"].image: owned by "helm"');
    expect(err.message).toContain("force: true");
    expect(fake.server.requests).toHaveLength(1); // a conflict is not retried
  });

  it("lists each invalid field of an Invalid status", async () => {
    fake.server.use(
      http.patch(`${fake.server.url}${DEPLOY}/web`, () =>
        status(422, "Invalid", 'Deployment.apps "web" is invalid', {
          causes: [
            { reason: "FieldValueRequired", message: "Required value", field: "spec.selector" },
            {
              reason: "FieldValueInvalid",
              message: "Invalid value: -1: must be greater than or equal to 0",
              field: "spec.replicas",
            },
          ],
        }),
      ),
    );
    const err = await fake.kube.deployments.apply(manifest, { fieldManager: "m" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain("- spec.selector: Required value");
    expect((err as Error).message).toContain("- spec.replicas: Invalid value: -1");
  });

  it("needs a field manager and a name, and the right kind", () => {
    expect(() => fake.kube.deployments.apply(manifest, { fieldManager: "" })).toThrow(/needs a fieldManager/);
    expect(() => fake.kube.deployments.apply({ metadata: {} }, { fieldManager: "m" })).toThrow(
      /without metadata.name/,
    );
    expect(() =>
      fake.kube.services.apply({ kind: "Deployment", metadata: { name: "x" } } as never, {
        fieldManager: "m",
      }),
    ).toThrow(/Cannot apply a Deployment with the Service API/);
  });

  it("sends merge, JSON and strategic patches with their content types", async () => {
    fake.server.use(
      http.patch(`${fake.server.url}${DEPLOY}/web`, () => HttpResponse.json({ metadata: { name: "web" } })),
    );
    await fake.kube.deployments.patch("web", { spec: { replicas: 3 } });
    await fake.kube.deployments.patch("web", [{ op: "replace", path: "/spec/replicas", value: 1 }], {
      type: "json",
    });
    await fake.kube.deployments.patch(
      "web",
      { spec: { replicas: 2 } },
      { type: "strategic", fieldManager: "me" },
    );
    expect(fake.server.requests.map((r) => r.headers["content-type"])).toEqual([
      "application/merge-patch+json",
      "application/json-patch+json",
      "application/strategic-merge-patch+json",
    ]);
    expect(() => fake.kube.deployments.patch("web", { op: "replace" }, { type: "json" })).toThrow(
      /must be an array/,
    );
  });

  it("retries a merge patch but not a JSON patch after a 503", async () => {
    let n = 0;
    fake.server.use(
      http.patch(`${fake.server.url}${DEPLOY}/web`, () =>
        n++ === 0
          ? status(503, "ServiceUnavailable", "etcd leader changed")
          : HttpResponse.json({ metadata: { name: "web" } }),
      ),
    );
    await fake.kube.deployments.patch("web", { spec: { replicas: 3 } });
    expect(fake.server.requests).toHaveLength(2);
    n = 0;
    await expect(
      fake.kube.deployments.patch("web", [{ op: "add", path: "/metadata/labels/x", value: "1" }], {
        type: "json",
      }),
    ).rejects.toBeInstanceOf(ServerError);
    expect(fake.server.requests).toHaveLength(3);
  });

  it("deletes with a propagation policy and preconditions", async () => {
    fake.server.use(
      http.delete(`${fake.server.url}${DEPLOY}/web`, () =>
        HttpResponse.json({ kind: "Status", status: "Success" }),
      ),
    );
    await fake.kube.deployments.delete("web", {
      propagationPolicy: "Foreground",
      preconditions: { uid: "u-1" },
      dryRun: true,
    });
    const req = fake.server.requests[0]!;
    expect(JSON.parse(req.body)).toEqual({
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: "Foreground",
      preconditions: { uid: "u-1" },
    });
    expect(req.path).toContain("dryRun=All");
  });
});

describe("storms and failures", () => {
  it("waits out a 429 storm as the server asks (Retry-After, or details.retryAfterSeconds)", async () => {
    let n = 0;
    fake.server.use(
      http.get(`${fake.server.url}/api/v1/namespaces/ns/pods`, () => {
        n++;
        if (n === 1)
          return status(429, "TooManyRequests", "storage is re-initializing", undefined, {
            headers: { "retry-after": "2" },
          });
        if (n === 2) return status(429, "TooManyRequests", "too many requests", { retryAfterSeconds: 3 });
        return HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] });
      }),
    );
    expect((await fake.kube.pods.list()).items).toEqual([]);
    expect(fake.sleeps).toEqual([2000, 3000]);
  });

  it("gives up on a 503 storm after the retry budget with a ServerError", async () => {
    fake.server.use(
      http.get(`${fake.server.url}/api/v1/namespaces/ns/pods`, () =>
        status(503, "ServiceUnavailable", "apiserver is shutting down"),
      ),
    );
    const err = await fake.kube.pods.list({ retry: { maxRetries: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(fake.server.requests).toHaveLength(3);
    const rate = await fake.kube.pods.list({ retry: { maxRetries: 0 } }).catch((e: unknown) => e);
    expect(rate).toBeInstanceOf(ServerError);
  });

  it("maps Forbidden with an RBAC hint, and a non-Status error body by its HTTP status", async () => {
    fake.server.use(
      http.get(`${fake.server.url}/api/v1/namespaces/ns/events`, () =>
        status(403, "Forbidden", 'events is forbidden: User "jane" cannot list resource "events"'),
      ),
      http.get(
        `${fake.server.url}/api/v1/namespaces/ns/configmaps/x`,
        () => new HttpResponse("<html>bad gateway</html>", { status: 502 }),
      ),
    );
    const forbidden = await fake.kube.events.list().catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect((forbidden as Error).message).toContain("kubectl auth can-i");
    const gateway = await fake.kube.configMaps
      .get("x", { retry: { maxRetries: 0 } })
      .catch((e: unknown) => e);
    expect(gateway).toBeInstanceOf(ServerError);
  });

  it("never shows the token in errors", async () => {
    fake.server.use(
      http.get(`${fake.server.url}/api/v1/namespaces/ns/configmaps/x`, ({ request }) =>
        status(401, "Unauthorized", `token ${request.headers.get("authorization")} rejected`),
      ),
    );
    const err = await fake.kube.configMaps.get("x").catch((e: unknown) => e);
    for (const shown of [String(err), JSON.stringify(err), inspect(err)])
      expect(shown).not.toContain("fake-api-token-1234");
  });

  it("rate limits surface as RateLimitError when retries are off", async () => {
    fake.server.use(
      http.get(`${fake.server.url}/api/v1/namespaces/ns/pods`, () =>
        status(429, "TooManyRequests", "slow down"),
      ),
    );
    await expect(fake.kube.pods.list({ retry: { maxRetries: 0 } })).rejects.toBeInstanceOf(RateLimitError);
  });
});
