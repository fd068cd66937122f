import { describe, expect, it } from "vitest";
import {
  AbortError,
  NetworkError,
  NotFoundError,
  parseTraceReport,
  type TraceResolver,
  trace,
  ValidationError,
} from "../../src/index.js";
import {
  type CallLog,
  DIGEST,
  JOB_RUN,
  logLine,
  MLFLOW_RUN,
  REPO,
  referenceWorld,
  SHA,
  worldResolvers,
} from "./fixtures/world.js";

function all(log: CallLog = new Map()) {
  const r = worldResolvers(referenceWorld(), log);
  return [r.mlflow, r.databricks, r.registry, r.kubernetes];
}

describe("trace() from a prediction's log line", () => {
  it("answers the five questions, each value with its source, and counts the requests", async () => {
    const log: CallLog = new Map();
    const report = await trace(JSON.stringify(logLine()), { resolvers: all(log) });
    expect(parseTraceReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
    expect(report.lineages).toHaveLength(1);
    const l = report.lineages[0];
    if (!l) throw new Error("no lineage");
    expect(l.anchor).toBe("deployment:prod/churn");
    // 1. code
    expect(l.code.gitSha?.value).toBe(SHA);
    expect(l.code.gitSha?.source).toMatchObject({ system: "mlflow", object: `MLflow run ${MLFLOW_RUN}` });
    expect(l.code.gitSha?.conflicts).toBeUndefined();
    expect(l.code.gitSha?.confirmedBy?.map((s) => s.system).sort()).toEqual(
      expect.arrayContaining(["databricks", "registry", "kubernetes", "handle"]),
    );
    // 2. infrastructure, training and serving apart
    expect(l.infrastructure.training.jobRunId?.value).toBe(JOB_RUN);
    expect(l.infrastructure.training.nodeType?.value).toBe("Standard_DS3_v2");
    expect(l.infrastructure.training.clusterKind?.source.system).toBe("databricks");
    expect(l.infrastructure.serving.namespace?.value).toBe("prod");
    expect(l.infrastructure.serving.nodes?.[0]).toMatchObject({ name: "node-1", pods: ["churn-abc-1"] });
    expect(l.infrastructure.serving.revisions?.[0]).toMatchObject({ revision: "2", live: true, gitSha: SHA });
    // 3. environment
    expect(l.environment.training.runtimeVersion?.value).toBe("15.4.x-scala2.12");
    expect(l.environment.training.parameters?.data_version?.value).toBe("2026-01-01");
    expect(l.environment.serving.os?.value).toBe("linux");
    expect(l.environment.serving.env?.GIT_SHA?.value).toBe(SHA);
    // 4. artifacts
    expect(l.artifacts.modelName?.value).toBe("churn");
    expect(l.artifacts.modelVersion?.value).toBe("3");
    expect(l.artifacts.imageDigest?.value).toBe(DIGEST);
    expect(l.artifacts.files?.map((f) => f.path)).toEqual(["MLmodel", "model.pkl"]);
    expect(l.artifacts.metrics?.auc?.value).toBe(0.91);
    // 5. data
    expect(l.data.datasets).toEqual([
      expect.objectContaining({ name: "churn-train", digest: "d1g3st", context: "training" }),
    ]);
    expect(l.context).toMatchObject({ code: { gitSha: SHA }, model: { name: "churn", version: "3" } });
    expect(report.unreachable).toEqual([]);
    // no object fetched twice
    for (const [call, n] of log) expect(n, call).toBe(1);
    // requests: what the resolvers reported through onRequest, per system
    const expected = [...log.keys()].reduce((sum, k) => sum + requestsOf(k), 0);
    expect(report.requests.total).toBe(expected);
    expect(report.requests.lookups).toBe(log.size);
    expect(Object.values(report.requests.bySystem).reduce((a, b) => a + b, 0)).toBe(report.requests.total);
    expect(report.requests.total).toBeLessThanOrEqual(12);
  });

  it("draws the graph from the commit down to the log line", async () => {
    const report = await trace(logLine(), { resolvers: all() });
    const ids = report.graph.nodes.map((n) => n.id);
    for (const id of [
      `commit:${SHA}`,
      `job-run:${JOB_RUN}`,
      `mlflow-run:${MLFLOW_RUN}`,
      "model-version:churn/3",
      `image:${DIGEST}`,
      "deployment:prod/churn",
      "replica-set:prod/churn-abc",
      "pod:prod/churn-abc-1",
      "node:node-1",
      "log-line",
      "dataset:churn-train@d1g3st",
    ])
      expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    const edge = (from: string, to: string) => report.graph.edges.some((e) => e.from === from && e.to === to);
    expect(edge(`mlflow-run:${MLFLOW_RUN}`, "model-version:churn/3")).toBe(true);
    expect(edge("model-version:churn/3", `image:${DIGEST}`)).toBe(true);
    expect(edge(`image:${DIGEST}`, "deployment:prod/churn")).toBe(true);
    expect(edge("deployment:prod/churn", "log-line")).toBe(true);
    for (const e of report.graph.edges) {
      expect(ids).toContain(e.from);
      expect(ids).toContain(e.to);
    }
  });
});

describe("trace() when two systems hold a deployment of the same name", () => {
  /** The local deploy target's deployment prod/churn: what answered, by the log line's platform and cluster. */
  function localDeploy(): TraceResolver {
    const [k8s] = referenceWorld().deployments;
    if (!k8s) throw new Error("fixture");
    const env = {
      ...k8s.containers[0]?.env,
      MODELTRAIL_DEPLOYMENT_PLATFORM: "local",
      MODELTRAIL_DEPLOYMENT_CLUSTER: "vm",
    };
    const record = {
      ...k8s,
      cluster: "local:vm",
      containers: k8s.containers.map((c) => ({ ...c, env })),
      pods: [{ ...k8s.pods[0]!, name: "churn-2-4242", nodeName: "vm" }],
      nodes: [{ name: "vm", architecture: "x64" }],
    };
    return {
      system: "local-deploy",
      async getDeployment(ns, name) {
        return ns === record.namespace && name === record.name ? record : undefined;
      },
    };
  }
  const line = (platform: string, cluster: string) =>
    JSON.stringify({ ...logLine(), deployment_platform: platform, deployment_cluster: cluster });

  it("follows the one the log line's platform and cluster name, whatever the resolvers' order", async () => {
    for (const order of ["kubernetes first", "local first"]) {
      const r = all();
      const resolvers = order === "local first" ? [localDeploy(), ...r] : [...r, localDeploy()];
      const local = await trace(line("local", "vm"), { resolvers });
      const serving = local.lineages[0]?.infrastructure.serving;
      expect(serving?.platform?.value, order).toBe("local");
      expect(serving?.deployment?.source.system, order).toBe("local-deploy");
      expect(
        serving?.nodes?.map((n) => n.name),
        order,
      ).toEqual(["vm"]);
      expect(serving?.platform?.conflicts, order).toBeUndefined();

      const cluster = await trace(line("kubernetes", "https://127.0.0.1:6443"), { resolvers });
      const s2 = cluster.lineages[0]?.infrastructure.serving;
      expect(s2?.deployment?.source.system, order).toBe("kubernetes");
      expect(
        s2?.nodes?.map((n) => n.name),
        order,
      ).toEqual(["node-1"]);
    }
  });

  it("keeps the resolvers' order when the log line names no platform", async () => {
    const report = await trace(logLine(), { resolvers: [localDeploy(), ...all()] });
    expect(report.lineages[0]?.infrastructure.serving.deployment?.source.system).toBe("local-deploy");
  });
});

describe("trace() from each kind of handle", () => {
  const handles: Array<[string, string, string]> = [
    ["deployment", "deployment/prod/churn", "deployment:prod/churn"],
    ["pod", "pod/prod/churn-abc-1", "deployment:prod/churn"],
    ["image by digest", DIGEST, "deployment:prod/churn"],
    ["image reference", `${REPO}@${DIGEST}`, "deployment:prod/churn"],
    ["models:/ URI", "models:/churn/3", "deployment:prod/churn"],
    ["job run id", JOB_RUN, "deployment:prod/churn"],
    ["MLflow run id", MLFLOW_RUN, "deployment:prod/churn"],
    ["commit", SHA, "deployment:prod/churn"],
  ];
  it.each(handles)("%s reaches the whole chain", async (_kind, handle, anchor) => {
    const log: CallLog = new Map();
    const report = await trace(handle, { resolvers: all(log) });
    expect(report.lineages.map((l) => l.anchor)).toEqual([anchor]);
    const l = report.lineages[0];
    expect(l?.code.gitSha?.value).toBe(SHA);
    expect(l?.artifacts.modelVersion?.value).toBe("3");
    expect(l?.infrastructure.training.jobRunId?.value).toBe(JOB_RUN);
    expect(l?.artifacts.mlflowRunId?.value).toBe(MLFLOW_RUN);
    expect(l?.infrastructure.serving.deployment?.value).toBe("churn");
    for (const [call, n] of log) expect(n, call).toBe(1);
  });

  it("a commit with two model versions gives two lineages, never a guess", async () => {
    const w = referenceWorld();
    const [mv] = w.modelVersions;
    if (!mv) throw new Error("fixture");
    w.modelVersions.push({ ...mv, version: "4", tags: { GIT_SHA: SHA }, mlflowRunId: undefined });
    const r = worldResolvers(w);
    const report = await trace(SHA, { resolvers: [r.mlflow, r.databricks, r.registry, r.kubernetes] });
    expect(report.lineages.map((l) => l.anchor).sort()).toEqual([
      "deployment:prod/churn",
      "model-version:churn/4",
    ]);
    expect(report.lineages.find((l) => l.anchor === "model-version:churn/4")?.matchedBy).toContain(SHA);
  });
});

describe("trace() with a partial setup", () => {
  it("answers what the given resolvers can and says what it could not reach and why", async () => {
    const r = worldResolvers(referenceWorld());
    const report = await trace(logLine(), { resolvers: [r.mlflow] });
    const l = report.lineages[0];
    expect(l?.artifacts.modelVersion?.value).toBe("3");
    expect(l?.code.gitSha?.value).toBe(SHA);
    // the log line's own claims stand for the unreachable systems
    expect(l?.infrastructure.serving.deployment?.source.system).toBe("handle");
    const systems = new Set(report.unreachable.map((u) => u.system));
    expect(systems).toEqual(new Set(["databricks", "registry", "kubernetes"]));
    for (const u of report.unreachable) {
      expect(u.reason).toBe("no-resolver");
      expect(u.message).toMatch(/TraceResolver|from @modeltrail\//);
    }
    const deployment = report.graph.nodes.find((n) => n.id === "deployment:prod/churn");
    expect(deployment?.state).toBe("unreachable");
  });

  it("reports a failing system as failed with a redacted message, never throwing", async () => {
    const r = worldResolvers(referenceWorld());
    const secret = "dapi0123456789abcdef0123456789abcdef";
    const broken: TraceResolver = {
      system: "registry",
      location: `https://user:${secret}@registry.example`,
      async getImage() {
        throw new NetworkError(`connect ECONNREFUSED token=${secret}`, "ECONNREFUSED");
      },
      async findImages() {
        throw new NetworkError("connect ECONNREFUSED", "ECONNREFUSED");
      },
    };
    const report = await trace(logLine(), { resolvers: [r.mlflow, r.databricks, broken, r.kubernetes] });
    const failed = report.unreachable.filter((u) => u.reason === "failed");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({
      system: "registry",
      error: { name: "NetworkError", code: "NETWORK_ERROR" },
    });
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(report.lineages[0]?.artifacts.modelVersion?.value).toBe("3");
  });

  it("reports an object the system does not have as not-found (a broken link)", async () => {
    const w = referenceWorld();
    w.mlflowRuns = [];
    const r = worldResolvers(w);
    const report = await trace("models:/churn/3", {
      resolvers: [r.mlflow, r.databricks, r.registry, r.kubernetes],
    });
    expect(report.unreachable).toContainEqual(
      expect.objectContaining({ system: "mlflow", reason: "not-found", node: `mlflow-run:${MLFLOW_RUN}` }),
    );
    expect(report.graph.nodes.find((n) => n.id === `mlflow-run:${MLFLOW_RUN}`)?.state).toBe("not-found");
  });

  it("treats a NotFoundError from a resolver as not found", async () => {
    const nf: TraceResolver = {
      system: "mlflow",
      async getModelVersion() {
        throw new NotFoundError({ service: "mlflow", status: 404, method: "GET", url: "http://x/" });
      },
    };
    const report = await trace("models:/churn/9", { resolvers: [nf] });
    expect(report.unreachable).toContainEqual(
      expect.objectContaining({ reason: "not-found", system: "mlflow" }),
    );
    expect(report.lineages).toEqual([]);
  });

  it("says unsupported when the system's resolver lacks a look-up", async () => {
    const report = await trace("models:/churn/3", { resolvers: [{ system: "mlflow" }] });
    expect(report.unreachable[0]).toMatchObject({ system: "mlflow", reason: "unsupported" });
  });
});

describe("trace() runs look-ups concurrently, bounded", () => {
  it("never runs more than `concurrency` look-ups at once, and runs independent ones together", async () => {
    let active = 0;
    let peak = 0;
    const gate = async <T>(v: T): Promise<T> => {
      active++;
      peak = Math.max(peak, active);
      await new Promise<void>((r) => setTimeout(r, 5));
      active--;
      return v;
    };
    const slow: TraceResolver = {
      system: "kubernetes",
      findDeployments: () => gate([]),
    };
    const mlflow: TraceResolver = {
      system: "mlflow",
      findModelVersions: () => gate([]),
      findMlflowRuns: () => gate([]),
    };
    const registry: TraceResolver = { system: "registry", findImages: () => gate([]) };
    await trace(SHA, { resolvers: [slow, mlflow, registry], concurrency: 2 });
    expect(peak).toBe(2);
    peak = 0;
    await trace(SHA, { resolvers: [slow, mlflow, registry] });
    expect(peak).toBe(4);
  });

  it("stops with AbortError when the signal aborts", async () => {
    const ac = new AbortController();
    const hang: TraceResolver = {
      system: "mlflow",
      getModelVersion: (_n, _v, o) =>
        new Promise((_, reject) => {
          o.signal?.addEventListener("abort", () => reject(new AbortError("aborted")));
          ac.abort();
        }),
    };
    await expect(trace("models:/churn/3", { resolvers: [hang], signal: ac.signal })).rejects.toBeInstanceOf(
      AbortError,
    );
  });
});

describe("trace() input checking", () => {
  it("refuses bad options and handles with ValidationError", async () => {
    await expect(trace("models:/churn/3", {} as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(trace("models:/churn/3", { resolvers: [{} as never] })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(trace("models:/churn/3", { resolvers: [], concurrency: 0 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(trace("nonsense handle!", { resolvers: [] })).rejects.toBeInstanceOf(ValidationError);
  });

  it("passes the caller's call options and own onRequest to the resolvers", async () => {
    const seen: string[] = [];
    const r = worldResolvers(referenceWorld());
    const report = await trace("models:/churn/3", {
      resolvers: [r.mlflow],
      timeoutMs: 1234,
      onRequest: (e) => seen.push(e.url),
    });
    expect(seen.length).toBe(report.requests.total);
    const spy: TraceResolver = {
      system: "mlflow",
      async getModelVersion(_n, _v, o) {
        expect(o.timeoutMs).toBe(1234);
        expect(o.conventions.mlflowTags.fields["code.gitSha"]).toContain("GIT_SHA");
        return undefined;
      },
    };
    await trace("models:/churn/3", { resolvers: [spy], timeoutMs: 1234 });
  });
});

/** Requests the fake resolvers report per call (see fixtures/world.ts). */
function requestsOf(call: string): number {
  const method = call.split(" ")[0] ?? "";
  return (
    (
      {
        getImage: 2,
        findImages: 2,
        getImageModelFiles: 2,
        getDeployment: 4,
        getPod: 2,
        getModelVersionFileDigests: 3,
      } as Record<string, number>
    )[method] ?? 1
  );
}
