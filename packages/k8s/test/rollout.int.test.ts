import { createTraceContext, type RunImageResolver, runIdOf, type TraceContext } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import {
  deploy,
  history,
  RolloutFailedError,
  type RolloutProgress,
  renderDeployment,
  rollback,
  traceOf,
} from "../src/index.js";
import { kubectl, useKubeNamespace } from "./kube-test-env.js";

const env = useKubeNamespace("rollout");
const IMAGE = "registry.example/models/churn";

/** The trace of training run n: job run id 17957886424500<n>, model version n, its own git SHA. */
function trainingRun(n: number): TraceContext {
  return createTraceContext({
    code: { gitSha: `${n}`.repeat(40).slice(0, 40), repoUrl: "https://github.com/acme/churn" },
    job: { platform: "databricks", jobId: "1795788642450000", runId: `17957886424500${n}` },
    model: { name: "churn", version: `${n}`, mlflowRunId: `${n}`.repeat(32).slice(0, 32) },
  });
}
const digestOf = (n: number) => `sha256:${`${n}`.repeat(64).slice(0, 64)}`;

async function deployRun(
  name: string,
  n: number,
  extra: Parameters<typeof renderDeployment>[1] extends infer O ? Partial<O> : never = {},
) {
  const manifests = renderDeployment(trainingRun(n).with({ image: { digest: digestOf(n) } }), {
    name,
    image: `${IMAGE}:${trainingRun(n).job?.runId}`,
    port: 8080,
    replicas: 2,
    service: true,
    ...extra,
  });
  return deploy(env.kube, manifests, { rolloutTimeoutMs: 60_000 });
}

describe("deploy, history, rollback against a real control plane", () => {
  it("deploys and waits as kubectl does; kubectl agrees the rollout is complete", async () => {
    const progress: RolloutProgress[] = [];
    const manifests = renderDeployment(trainingRun(1), {
      name: "first",
      image: `${IMAGE}:1`,
      port: 8080,
      replicas: 3,
    });
    const result = await deploy(env.kube, manifests, {
      onProgress: (p) => progress.push(p),
      rolloutTimeoutMs: 60_000,
    });
    expect(result.status?.done).toBe(true);
    expect(result.deployment.status?.availableReplicas).toBe(3);
    expect(progress.at(-1)?.status.message).toBe('deployment "first" successfully rolled out');
    expect(
      await kubectl(["rollout", "status", "deployment/first", "-n", env.namespace, "--timeout=30s"]),
    ).toContain('deployment "first" successfully rolled out');
    // the live trace: what the pods run, with the revision
    expect(result.context?.job?.runId).toBe("179578864245001");
    expect(result.context?.deployment).toEqual({
      platform: "kubernetes",
      name: "first",
      namespace: env.namespace,
      revision: "1",
    });
    // kubectl sees GIT_SHA and RUN_ID in the container env
    const dep = JSON.parse(await kubectl(["get", "deployment", "first", "-n", env.namespace, "-o", "json"]));
    const envVars = Object.fromEntries(
      dep.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(envVars.GIT_SHA).toBe("1".repeat(40));
  });

  it("lists three deploys as three revisions with their run ids, as kubectl rollout history does", async () => {
    for (const n of [1, 2, 3]) await deployRun("web", n);
    const revisions = await history(env.kube, "web", { namespace: env.namespace });
    expect(revisions.map((r) => [r.revision, r.runId?.runId, r.runId?.kind, r.current])).toEqual([
      [1, "179578864245001", "job-run", false],
      [2, "179578864245002", "job-run", false],
      [3, "179578864245003", "job-run", true],
    ]);
    expect(revisions[2]?.images).toEqual([`${IMAGE}:179578864245003@${digestOf(3)}`]);
    expect(revisions[1]?.context?.code?.gitSha).toBe("2".repeat(40));
    const table = await kubectl(["rollout", "history", "deployment/web", "-n", env.namespace]);
    const rows = table
      .split("\n")
      .filter((l) => /^\d+\s/.test(l))
      .map((l) => l.split(/\s{2,}/));
    expect(rows.map(([rev]) => Number(rev))).toEqual(revisions.map((r) => r.revision));
    expect(rows.map(([, cause]) => cause?.trim())).toEqual(revisions.map((r) => r.changeCause));
  });

  it("rolls back to a run id (either kind), and the next deploy applies without conflict", async () => {
    const byJobRun = await rollback(env.kube, "web", {
      namespace: env.namespace,
      toRunId: "179578864245001",
      rolloutTimeoutMs: 60_000,
    });
    expect(byJobRun.method).toBe("revision");
    expect(byJobRun.to?.revision).toBe(1);
    expect(runIdOf(byJobRun.context)).toEqual({ runId: "179578864245001", kind: "job-run", fallback: false });
    expect(byJobRun.context.deployment?.revision).toBe("4"); // the controller renumbers the restored ReplicaSet
    expect((await traceOf(env.kube, "web", { namespace: env.namespace })).image?.digest).toBe(digestOf(1));
    const live = await env.kube.deployments.get("web", { namespace: env.namespace });
    expect(live.spec?.replicas).toBe(2); // the rest of what deploy applied is kept
    expect(live.metadata?.annotations?.["kubernetes.io/change-cause"]).toBe(
      "rollback to revision 1 (run 179578864245001)",
    );

    const byMlflowRun = await rollback(env.kube, "web", {
      namespace: env.namespace,
      toRunId: "2".repeat(32),
      rolloutTimeoutMs: 60_000,
    });
    expect(byMlflowRun.context.model?.mlflowRunId).toBe("2".repeat(32));
    expect(
      (await rollback(env.kube, "web", { namespace: env.namespace, toRunId: "2".repeat(32) })).method,
    ).toBe("none");

    const next = await deployRun("web", 4);
    expect(next.context?.job?.runId).toBe("179578864245004");
  });

  it("rolls back to the previous revision like kubectl rollout undo, reaching the same template", async () => {
    for (const name of ["twin-a", "twin-b"]) for (const n of [5, 6]) await deployRun(name, n);
    const ours = await rollback(env.kube, "twin-a", { namespace: env.namespace, rolloutTimeoutMs: 60_000 });
    expect(ours.to?.revision).toBe(1);
    expect(ours.context.job?.runId).toBe("179578864245005");
    await kubectl(["rollout", "undo", "deployment/twin-b", "-n", env.namespace]);
    await kubectl(["rollout", "status", "deployment/twin-b", "-n", env.namespace, "--timeout=60s"]);
    const [a, b] = await Promise.all(
      ["twin-a", "twin-b"].map((n) => env.kube.deployments.get(n, { namespace: env.namespace })),
    );
    // the same template but for the Deployment's own name (in its trace)
    const comparable = (d: NonNullable<typeof a>) =>
      JSON.parse(
        JSON.stringify({
          containers: d.spec?.template?.spec?.containers?.map((c) => ({ image: c.image, env: c.env })),
          annotations: d.spec?.template?.metadata?.annotations,
        }).replaceAll(d.metadata?.name ?? "", "twin"),
      );
    expect(comparable(a!)).toEqual(comparable(b!));
    expect((await traceOf(env.kube, "twin-b", { namespace: env.namespace })).job?.runId).toBe(
      "179578864245005",
    );
    // after kubectl changed the template, our next rollback takes it back without a conflict
    const again = await rollback(env.kube, "twin-b", { namespace: env.namespace, rolloutTimeoutMs: 60_000 });
    expect(again.context.job?.runId).toBe("179578864245006");
  });

  it("rolls back to a run no revision ran with the image a resolver finds", async () => {
    const resolved: string[] = [];
    const resolver: RunImageResolver = {
      async imageForRun(runId) {
        resolved.push(runId);
        if (runId !== "179578864245009") return undefined;
        return {
          ref: `${IMAGE}:179578864245009@${digestOf(9)}`,
          digest: digestOf(9),
          context: trainingRun(9),
        };
      },
    };
    const result = await rollback(env.kube, "web", {
      namespace: env.namespace,
      toRunId: "179578864245009",
      resolver,
      rolloutTimeoutMs: 60_000,
    });
    expect(result.method).toBe("resolver");
    expect(result.context.job?.runId).toBe("179578864245009");
    expect(result.context.code?.gitSha).toBe("9".repeat(40));
    const live = await env.kube.deployments.get("web", { namespace: env.namespace });
    const container = live.spec?.template?.spec?.containers?.[0];
    expect(container?.image).toBe(`${IMAGE}:179578864245009@${digestOf(9)}`);
    expect(container?.env?.find((e) => e.name === "RUN_ID" || e.name === "GIT_SHA")).toBeDefined();
    expect(container?.env?.find((e) => e.name === "GIT_SHA")?.value).toBe("9".repeat(40));
    await expect(
      rollback(env.kube, "web", { namespace: env.namespace, toRunId: "123", resolver }),
    ).rejects.toThrow(/resolver found no image/);
    await expect(rollback(env.kube, "web", { namespace: env.namespace, toRunId: "123" })).rejects.toThrow(
      /no image resolver was given/,
    );
  });

  it("fails a rollout by progress deadline and says why; kubectl agrees it failed", async () => {
    await deployRun("broken", 1);
    const err = (await deployRun("broken", 2, {
      progressDeadlineSeconds: 3,
      labels: { "kwok.modeltrail.dev/fault": "ImagePullBackOff" },
      annotations: {
        "kwok.modeltrail.dev/fault-message": 'Back-off pulling image "registry.example/models/churn:2"',
      },
    }).catch((e: unknown) => e)) as RolloutFailedError;
    expect(err).toBeInstanceOf(RolloutFailedError);
    expect(err.reason).toBe("ProgressDeadlineExceeded");
    expect(err.message).toContain("exceeded its progress deadline");
    expect(err.diagnosis.pods.some((p) => p.containers.some((c) => c.reason === "ImagePullBackOff"))).toBe(
      true,
    );
    expect(err.message).toMatch(/container broken ImagePullBackOff: Back-off pulling image/);
    expect(
      err.diagnosis.conditions.some((c) => c.startsWith("Progressing=False ProgressDeadlineExceeded")),
    ).toBe(true);
    await expect(
      kubectl(["rollout", "status", "deployment/broken", "-n", env.namespace, "--timeout=30s"]),
    ).rejects.toThrow(/exceeded its progress deadline/);
    // the previous revision is still serving; roll back to it
    const back = await rollback(env.kube, "broken", { namespace: env.namespace, rolloutTimeoutMs: 60_000 });
    expect(back.context.job?.runId).toBe("179578864245001");
  });

  it("times out waiting and diagnoses unschedulable pods and crash loops", async () => {
    const render = (name: string, extra: Partial<Parameters<typeof renderDeployment>[1]>) =>
      renderDeployment(trainingRun(1), { name, image: `${IMAGE}:1`, replicas: 1, ...extra });
    const nowhere = (await deploy(
      env.kube,
      render("nowhere", { podSpec: { nodeSelector: { "modeltrail.dev/pool": "gpu-that-does-not-exist" } } }),
      { rolloutTimeoutMs: 4_000 },
    ).catch((e: unknown) => e)) as RolloutFailedError;
    expect(nowhere).toBeInstanceOf(RolloutFailedError);
    expect(nowhere.reason).toBe("Timeout");
    expect(nowhere.code).toBe("TIMEOUT");
    expect(nowhere.diagnosis.pods[0]?.unschedulable).toMatch(/Unschedulable: 0\/1 nodes are available/);
    expect(nowhere.message).toMatch(/did not finish within 4000 ms/);

    const crashing = (await deploy(
      env.kube,
      render("crashing", { labels: { "kwok.modeltrail.dev/fault": "CrashLoopBackOff" } }),
      {
        rolloutTimeoutMs: 4_000,
      },
    ).catch((e: unknown) => e)) as RolloutFailedError;
    expect(crashing).toBeInstanceOf(RolloutFailedError);
    expect(crashing.message).toMatch(/container crashing CrashLoopBackOff \(5 restarts\)/);
  });
});
