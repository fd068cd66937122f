import {
  createTraceContext,
  DEFAULT_CONVENTIONS,
  type RequestEvent,
  type TraceContext,
  trace,
} from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { deploy, kubernetesTraceResolver, renderDeployment } from "../src/index.js";
import { kubectl, useKubeNamespace } from "./kube-test-env.js";

const env = useKubeNamespace("trace");
const REPO = "registry.example/models/churn";
const lookup = (events: RequestEvent[] = []) => ({
  conventions: DEFAULT_CONVENTIONS,
  onRequest: (e: RequestEvent) => events.push(e),
});

function run(n: number): TraceContext {
  return createTraceContext({
    code: { gitSha: `${n}`.repeat(40).slice(0, 40) },
    job: { platform: "databricks", runId: `5550000${n}` },
    model: { name: "churn", version: `${n}`, mlflowRunId: `${n}`.repeat(32).slice(0, 32) },
  });
}
const digestOf = (n: number) => `sha256:${`${n}`.repeat(64).slice(0, 64)}`;

async function deployRun(name: string, n: number) {
  const ctx = run(n).with({ image: { digest: digestOf(n) } });
  const manifests = renderDeployment(ctx, {
    name,
    image: `${REPO}@${digestOf(n)}`,
    port: 8080,
    replicas: 2,
    env: { API_TOKEN: "sekret-never-in-a-record" },
  });
  return deploy(env.kube, manifests, { rolloutTimeoutMs: 60_000 });
}

describe("kubernetesTraceResolver against a real control plane", () => {
  it("reads the live deployment, its revisions newest first, its pods and their node", async () => {
    await deployRun("churn", 1);
    await deployRun("churn", 2);
    const r = kubernetesTraceResolver(env.kube, { cluster: "local", namespaces: [env.namespace] });
    const events: RequestEvent[] = [];
    const d = await r.getDeployment?.(env.namespace, "churn", lookup(events));
    expect(d).toMatchObject({
      cluster: "local",
      namespace: env.namespace,
      name: "churn",
      revision: "2",
      replicas: 2,
    });
    expect(d?.containers[0]?.image).toBe(`${REPO}@${digestOf(2)}`);
    expect(d?.containers[0]?.env.GIT_SHA).toBe("2".repeat(40));
    expect(d?.containers[0]?.env.RUN_ID).toBe("55500002");
    expect(d?.containers[0]?.env).not.toHaveProperty("API_TOKEN");
    expect(JSON.stringify(d)).not.toContain("sekret-never-in-a-record");
    expect(d?.replicaSets.map((rs) => [rs.revision, rs.live])).toEqual([
      ["2", true],
      ["1", false],
    ]);
    expect(d?.replicaSets[1]?.containers[0]?.env.GIT_SHA).toBe("1".repeat(40));
    expect(d?.pods).toHaveLength(2);
    expect(d?.pods.every((p) => p.replicaSet === d.replicaSets[0]?.name)).toBe(true);
    expect(d?.nodes.map((n) => n.name)).toEqual(["kwok-node-0"]);
    expect(d?.nodes[0]?.kubeletVersion).toBeTruthy();
    expect(events.every((e) => e.service === "kubernetes")).toBe(true);
    expect(events.length).toBe(4);
    expect(await r.getDeployment?.(env.namespace, "nope", lookup())).toBeUndefined();
  });

  it("finds a pod's deployment, and deployments by commit, run id of either kind and digest", async () => {
    const r = kubernetesTraceResolver(env.kube, { namespaces: [env.namespace] });
    const pods = JSON.parse(await kubectl(["get", "pods", "-n", env.namespace, "-o", "json"])).items;
    const live = pods.find(
      (p: { metadata: { labels: Record<string, string> } }) => Object.values(p.metadata.labels).length > 0,
    );
    const got = await r.getPod?.(env.namespace, live.metadata.name, lookup());
    expect(got?.deployment).toEqual({ namespace: env.namespace, name: "churn" });
    expect(await r.getPod?.(env.namespace, "no-such-pod", lookup())).toBeUndefined();
    for (const q of [
      { gitSha: "2".repeat(40) },
      { jobRunId: "55500002" },
      { mlflowRunId: "2".repeat(32) },
      { imageDigest: digestOf(2) },
    ]) {
      const found = await r.findDeployments?.(q, lookup());
      expect(
        found?.map((x) => x.name),
        JSON.stringify(q),
      ).toEqual(["churn"]);
    }
    expect(await r.findDeployments?.({ gitSha: "1".repeat(40) }, lookup())).toEqual([]);
  });

  it("trace() from the deployment handle, Kubernetes alone", async () => {
    const report = await trace(`deployment/${env.namespace}/churn`, {
      resolvers: [kubernetesTraceResolver(env.kube, { namespaces: [env.namespace] })],
    });
    const l = report.lineages[0];
    expect(l?.code.gitSha?.value).toBe("2".repeat(40));
    expect(l?.infrastructure.serving.revisions?.map((x) => x.gitSha)).toEqual([
      "2".repeat(40),
      "1".repeat(40),
    ]);
    expect(l?.infrastructure.serving.nodes?.[0]?.name).toBe("kwok-node-0");
    expect(report.requests.bySystem.kubernetes).toBe(4);
  });
});

describe("trace() from a pod: each object read once", () => {
  /** A live pod of the Deployment `churn` (deployed above: two revisions). */
  async function livePod(): Promise<string> {
    const pods = JSON.parse(
      await kubectl(["get", "pods", "-n", env.namespace, "-l", "app.kubernetes.io/name=churn", "-o", "json"]),
    ).items as Array<{ metadata: { name: string; deletionTimestamp?: string } }>;
    const pod = pods.find((p) => !p.metadata.deletionTimestamp);
    if (!pod) throw new Error("no live pod of churn");
    return pod.metadata.name;
  }
  /** The requests without retries (a loaded machine may make a client retry: that is not a second read). */
  const firstAttempts = (events: RequestEvent[]) => events.filter((e) => e.attempt === 1);
  /** `GET /api/v1/namespaces/ns/pods/name` -> `GET pods/name`; lists keep their kind only. */
  const shortPath = (e: RequestEvent) => {
    const path = new URL(e.url).pathname.replace(/^\/(api|apis\/apps)\/v1\/(namespaces\/[^/]+\/)?/, "");
    return `${e.method} ${path}`;
  };

  it("reads the pod, its Deployment, the ReplicaSets, the pods and the node: 5 requests, never one twice", async () => {
    const pod = await livePod();
    const events: RequestEvent[] = [];
    const report = await trace(`pod/${env.namespace}/${pod}`, {
      resolvers: [kubernetesTraceResolver(env.kube, { namespaces: [env.namespace] })],
      onRequest: (e) => events.push(e),
    });
    const l = report.lineages[0];
    expect(l?.anchor).toBe(`deployment:${env.namespace}/churn`);
    expect(l?.code.gitSha?.value).toBe("2".repeat(40));
    expect(l?.infrastructure.serving.revisions?.map((r) => r.revision)).toEqual(["2", "1"]);
    const paths = firstAttempts(events).map(shortPath);
    expect(paths.sort()).toEqual(
      [
        `GET pods/${pod}`,
        "GET deployments/churn",
        "GET replicasets",
        "GET pods",
        "GET nodes/kwok-node-0",
      ].sort(),
    );
    expect(new Set(firstAttempts(events).map((e) => e.url)).size).toBe(5);
    // the same Deployment from its own handle: the pod handle costs the pod's read only
    const seen: RequestEvent[] = [];
    const byDeployment = await trace(`deployment/${env.namespace}/churn`, {
      resolvers: [kubernetesTraceResolver(env.kube, { namespaces: [env.namespace] })],
      onRequest: (e) => seen.push(e),
    });
    expect(new Set(firstAttempts(seen).map((e) => e.url)).size).toBe(4);
    expect(byDeployment.lineages).toEqual(report.lineages.map((x) => ({ ...x, matchedBy: "the handle" })));
  });

  it("in one walk, Deployments found for one query are not read again for another, nor by name", async () => {
    const r = kubernetesTraceResolver(env.kube, { namespaces: [env.namespace] });
    const events: RequestEvent[] = [];
    const o = { ...lookup(events), walkCache: new Map<string, unknown>() };
    const bySha = await r.findDeployments?.({ gitSha: "2".repeat(40) }, o);
    const reads = () => firstAttempts(events).map(shortPath);
    expect(reads().sort()).toEqual(
      ["GET deployments", "GET replicasets", "GET pods", "GET nodes/kwok-node-0"].sort(),
    );
    const byDigest = await r.findDeployments?.({ imageDigest: digestOf(2) }, o);
    const byName = await r.getDeployment?.(env.namespace, "churn", o);
    expect(reads()).toHaveLength(4);
    expect(byDigest).toEqual(bySha);
    expect(byName).toEqual(bySha?.[0]);
    // without a walk cache (a look-up called on its own) everything is read afresh
    const fresh: RequestEvent[] = [];
    await r.getDeployment?.(env.namespace, "churn", lookup(fresh));
    await r.getDeployment?.(env.namespace, "churn", lookup(fresh));
    expect(firstAttempts(fresh)).toHaveLength(8);
  });

  it("a ReplicaSet named like a Deployment's but not owned by it: no link to that Deployment", async () => {
    // A Deployment `decoy`, and a ReplicaSet `decoy-abc12` of its own (another selector, so the
    // Deployment never adopts it) whose pods carry pod-template-hash abc12: the name says `decoy`,
    // the owner references say no Deployment.
    await deploy(
      env.kube,
      renderDeployment(run(4).with({ image: { digest: digestOf(4) } }), {
        name: "decoy",
        image: `${REPO}@${digestOf(4)}`,
        port: 8080,
      }),
      { rolloutTimeoutMs: 60_000 },
    );
    const labels = { app: "decoy-rs", "pod-template-hash": "abc12" };
    await kubectl(
      ["apply", "-n", env.namespace, "-f", "-"],
      JSON.stringify({
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: { name: "decoy-abc12", labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "app", image: `${REPO}@${digestOf(5)}` }] },
          },
        },
      }),
    );
    let pod: string | undefined;
    for (let i = 0; i < 120 && !pod; i++) {
      const items = JSON.parse(
        await kubectl(["get", "pods", "-n", env.namespace, "-l", "app=decoy-rs", "-o", "json"]),
      ).items as Array<{ metadata: { name: string } }>;
      pod = items[0]?.metadata.name;
      if (!pod) await new Promise((r) => setTimeout(r, 500));
    }
    if (!pod) throw new Error("the ReplicaSet made no pod within 60 s");
    const events: RequestEvent[] = [];
    const r = kubernetesTraceResolver(env.kube, { namespaces: [env.namespace] });
    const got = await r.getPod?.(env.namespace, pod, { ...lookup(events), walkCache: new Map() });
    expect(got?.pod.name).toBe(pod);
    expect(got?.pod.replicaSet).toBe("decoy-abc12");
    expect(got?.deployment).toBeUndefined();
    // it looked at `decoy` and its ReplicaSets, found none was the pod's, and read the ReplicaSet
    expect(firstAttempts(events).map(shortPath)).toEqual(
      expect.arrayContaining(["GET deployments/decoy", "GET replicasets", "GET replicasets/decoy-abc12"]),
    );
    const report = await trace(`pod/${env.namespace}/${pod}`, { resolvers: [r] });
    expect(report.lineages.map((l) => l.anchor)).not.toContain(`deployment:${env.namespace}/decoy`);
  });
});

describe("deploy with a deploy gate", () => {
  /** A registry and MLflow in memory: image n carries commit `imageSha`, model version n commit n. */
  function resolvers(imageSha: (n: number) => string) {
    const registry = {
      system: "registry",
      async getImage(ref: string) {
        const n = Number(/sha256:(\d)/.exec(ref)?.[1]);
        return {
          ref: `${REPO}@${digestOf(n)}`,
          digest: digestOf(n),
          annotations: {
            "org.opencontainers.image.revision": imageSha(n),
            "modeltrail.dev/model.name": "churn",
            "modeltrail.dev/model.version": `${n}`,
          },
          layers: [],
          provenance: [],
        };
      },
    };
    const mlflow = {
      system: "mlflow",
      async getModelVersion(name: string, version: string) {
        return { name, version, tags: { GIT_SHA: `${version}`.repeat(40).slice(0, 40) } };
      },
    };
    return [registry, mlflow];
  }

  it("refuses an image built from another commit than its model version's, and applies nothing", async () => {
    const { deployPolicy, DeployRefusedError } = await import("@modeltrail/core");
    const policy = deployPolicy({
      resolvers: resolvers(() => "9".repeat(40)),
      requireProvenance: false,
      artifacts: "skip",
    });
    const manifests = renderDeployment(run(3).with({ image: { digest: digestOf(3) } }), {
      name: "gated",
      image: `${REPO}@${digestOf(3)}`,
      port: 8080,
    });
    const err = await deploy(env.kube, manifests, { policy, rolloutTimeoutMs: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(DeployRefusedError);
    expect(err.message).toContain("commit.image-model-version");
    expect(await env.kube.deployments.find("gated")).toBeUndefined();

    const allowed = deployPolicy({
      resolvers: resolvers((n) => `${n}`.repeat(40).slice(0, 40)),
      requireProvenance: false,
      artifacts: "skip",
    });
    const result = await deploy(env.kube, manifests, { policy: allowed, rolloutTimeoutMs: 60_000 });
    expect(result.verified?.[`${REPO}@${digestOf(3)}`]?.ok).toBe(true);
    expect(result.status?.done).toBe(true);
  });
});
