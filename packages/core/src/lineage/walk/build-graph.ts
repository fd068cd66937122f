import type { TraceConventions } from "../../trace/conventions.js";
import type { TraceEdge, TraceEdgeRelation, TraceGraph, TraceNode, TraceNodeKind } from "../trace-graph.js";
import type { Unreachable } from "../trace-report.js";
import type { TraceSource } from "../trace-source.js";
import { imageOfDeployment } from "./chains.js";
import type { WalkRecords } from "./collect-records.js";
import { nodeId } from "./node-ids.js";
import type { FieldFact } from "./read-facts.js";
import {
  deploymentFacts,
  imageFacts,
  jobRunFacts,
  mlflowRunFacts,
  modelVersionFacts,
  recordSource,
  traceContainer,
} from "./record-facts.js";

/** What a node is given besides its id, kind and label; facts may be absent. */
type NodeExtra = Omit<Partial<TraceNode>, "facts"> & { facts?: Record<string, string | undefined> };

/** Builds nodes and edges as they are found; a node added twice keeps its first, richest form. */
class GraphBuilder {
  private readonly nodes = new Map<string, TraceNode>();
  private readonly edges = new Map<string, TraceEdge>();

  constructor(private readonly gaps: ReadonlyMap<string, Unreachable>) {}

  node(id: string, kind: TraceNodeKind, label: string, extra: NodeExtra = {}): void {
    const existing = this.nodes.get(id);
    if (existing && existing.state === "resolved") return;
    if (existing && extra.state !== "resolved") return;
    const facts: Record<string, string> = {};
    for (const [k, v] of Object.entries(extra.facts ?? {}))
      if (v !== undefined && v !== "") facts[k] = String(v);
    const node: TraceNode = { id, kind, label, state: extra.state ?? this.stateOf(id), facts };
    if (extra.system) node.system = extra.system;
    if (extra.url) node.url = extra.url;
    if (extra.source) node.source = extra.source;
    this.nodes.set(id, node);
  }

  /** A node named by another object: `referenced`, or what its failed look-up says. */
  ref(id: string, kind: TraceNodeKind, label: string, facts: Record<string, string> = {}): void {
    if (!this.nodes.has(id)) this.node(id, kind, label, { facts });
  }

  edge(from: string, to: string, relation: TraceEdgeRelation, source?: TraceSource): void {
    const key = `${from}\u0000${to}\u0000${relation}`;
    if (this.edges.has(key) || from === to) return;
    this.edges.set(key, source ? { from, to, relation, source } : { from, to, relation });
  }

  private stateOf(id: string): TraceNode["state"] {
    const gap = this.gaps.get(id);
    if (!gap) return "referenced";
    return gap.reason === "not-found" ? "not-found" : "unreachable";
  }

  build(): TraceGraph {
    const ids = new Set(this.nodes.keys());
    return {
      nodes: [...this.nodes.values()],
      edges: [...this.edges.values()].filter((e) => ids.has(e.from) && ids.has(e.to)),
    };
  }
}

const short = (s: string, n = 12) => (s.length > n ? s.slice(0, n) : s);
const shortDigest = (d: string) => `${d.slice(0, 7 + 12)}`;

/**
 * The lineage graph of everything a walk found: each record as a resolved node, every object it
 * names as a node of its own (referenced, not found or unreachable), and an edge for each
 * reference, pointing downstream, with the source that states it.
 */
export function buildGraph(
  records: WalkRecords,
  c: TraceConventions,
  unreachable: readonly Unreachable[],
): TraceGraph {
  const gaps = new Map<string, Unreachable>();
  for (const u of unreachable) if (u.node && !gaps.has(u.node)) gaps.set(u.node, u);
  const g = new GraphBuilder(gaps);

  /** Links the commit, CI run and runs a record's facts name to the record's node. */
  const upstreamOf = (target: string, facts: readonly FieldFact[], skip: ReadonlySet<string> = new Set()) => {
    for (const f of facts) {
      const v = String(f.value);
      if (f.field === "code.gitSha" && !skip.has("commit")) {
        g.ref(nodeId.commit(v), "commit", short(v), { sha: v });
        g.edge(nodeId.commit(v), target, target.startsWith("image:") ? "built" : "ran", f.source);
      } else if (f.field === "job.runId" && !skip.has("job-run")) {
        g.ref(nodeId.jobRun(v), "job-run", `job run ${v}`);
        g.edge(nodeId.jobRun(v), target, "logged", f.source);
      } else if (f.field === "model.mlflowRunId" && !skip.has("mlflow-run")) {
        g.ref(nodeId.mlflowRun(v), "mlflow-run", `MLflow run ${short(v, 8)}`);
        g.edge(nodeId.mlflowRun(v), target, "registered-as", f.source);
      }
    }
  };

  for (const f of records.jobRuns.values()) {
    const r = f.record;
    const id = nodeId.jobRun(r.runId);
    const src = recordSource.jobRun(f);
    g.node(id, "job-run", `job run ${r.runId}`, {
      state: "resolved",
      system: f.system,
      url: r.url,
      source: src,
      facts: { platform: r.platform, job: r.jobName ?? r.jobId, state: r.state, started: r.startedAt },
    });
    if (r.jobId) {
      g.ref(nodeId.job(r.jobId), "job", r.jobName ?? `job ${r.jobId}`, { id: r.jobId });
      g.edge(nodeId.job(r.jobId), id, "ran", { ...src, field: "job_id" });
    }
    for (const t of r.tasks) {
      if (!t.cluster) continue;
      const cid = nodeId.cluster(r.runId, t.taskKey);
      g.node(cid, "cluster", t.cluster.clusterId ?? `${t.cluster.kind} of ${t.taskKey}`, {
        state: "resolved",
        system: f.system,
        source: { ...src, field: `tasks[${t.taskKey}].cluster` },
        facts: {
          kind: t.cluster.kind,
          runtime: t.cluster.sparkVersion,
          node: t.cluster.nodeType,
          workers: t.cluster.workers === undefined ? undefined : String(t.cluster.workers),
        },
      });
      g.edge(id, cid, "ran-on", { ...src, field: `tasks[${t.taskKey}].cluster` });
    }
    upstreamOf(
      id,
      jobRunFacts(f).fields.filter((x) => x.field === "code.gitSha"),
    );
  }

  for (const f of records.mlflowRuns.values()) {
    const r = f.record;
    const id = nodeId.mlflowRun(r.runId);
    const src = recordSource.mlflowRun(f);
    g.node(
      id,
      "mlflow-run",
      r.runName ? `${r.runName} (${short(r.runId, 8)})` : `MLflow run ${short(r.runId, 8)}`,
      {
        state: "resolved",
        system: f.system,
        url: r.url,
        source: src,
        facts: { id: r.runId, status: r.status, experiment: r.experimentId },
      },
    );
    for (const d of r.datasets) {
      const did = nodeId.dataset(d.name, d.digest);
      g.node(did, "dataset", d.name, {
        state: "resolved",
        system: f.system,
        source: { ...src, field: `dataset input ${d.name}` },
        facts: { digest: d.digest, uri: d.uri, version: d.version, context: d.context } as Record<
          string,
          string
        >,
      });
      g.edge(did, id, "read", { ...src, field: "inputs" });
    }
    upstreamOf(
      id,
      mlflowRunFacts(f, c).fields.filter((x) => x.field === "code.gitSha" || x.field === "job.runId"),
    );
  }

  for (const f of records.modelVersions.values()) {
    const r = f.record;
    const id = nodeId.modelVersion(r.name, r.version);
    g.node(id, "model-version", `${r.name} v${r.version}`, {
      state: "resolved",
      system: f.system,
      url: r.url,
      source: recordSource.modelVersion(f),
      facts: { status: r.status, run: r.mlflowRunId, created: r.createdAt },
    });
    const facts = modelVersionFacts(f, c).fields;
    const hasRun = facts.some((x) => x.field === "model.mlflowRunId");
    // A model version comes from its MLflow run; the job run and commit it names are drawn from there
    // when the run is known, else straight to the version.
    upstreamOf(
      id,
      facts.filter(
        (x) =>
          x.field === "model.mlflowRunId" ||
          (!hasRun && (x.field === "job.runId" || x.field === "code.gitSha")),
      ),
    );
    if (
      hasRun &&
      !facts.some((x) => x.field === "model.mlflowRunId" && records.mlflowRuns.has(String(x.value)))
    ) {
      upstreamOf(
        id,
        facts.filter((x) => x.field === "job.runId" || x.field === "code.gitSha"),
      );
    }
  }

  for (const f of records.images.values()) {
    const r = f.record;
    const id = nodeId.image(r.digest);
    const src = recordSource.image(f);
    g.node(id, "image", `${r.repository ?? r.ref.split("@")[0]}@${shortDigest(r.digest)}`, {
      state: "resolved",
      system: f.system,
      url: r.url,
      source: src,
      facts: { digest: r.digest, tags: r.tags?.join(", "), created: r.config?.created } as Record<
        string,
        string
      >,
    });
    const facts = imageFacts(f, c).fields;
    const name = facts.find((x) => x.field === "model.name");
    const version = facts.find((x) => x.field === "model.version");
    if (name && version) {
      const mv = nodeId.modelVersion(String(name.value), String(version.value));
      g.ref(mv, "model-version", `${name.value} v${version.value}`);
      g.edge(mv, id, "packaged-in", version.source);
    } else {
      upstreamOf(
        id,
        facts.filter((x) => x.field === "model.mlflowRunId" || x.field === "job.runId"),
      );
    }
    upstreamOf(
      id,
      facts.filter((x) => x.field === "code.gitSha" && x.source.field?.startsWith("annotation")),
    );
    const baseName = r.annotations["org.opencontainers.image.base.name"];
    const baseDigest = r.annotations["org.opencontainers.image.base.digest"];
    if (baseName || baseDigest) {
      const bid = nodeId.baseImage(baseDigest ?? (baseName as string));
      g.ref(bid, "base-image", baseName ?? shortDigest(baseDigest as string), { digest: baseDigest ?? "" });
      g.edge(bid, id, "based-on", { ...src, field: "annotation org.opencontainers.image.base.digest" });
    }
    for (const p of r.provenance) {
      const pid = nodeId.provenance(p.digest);
      g.node(pid, "provenance", `provenance ${shortDigest(p.digest)}`, {
        state: "resolved",
        system: f.system,
        source: { ...src, field: `referrer ${p.digest}` },
        facts: {
          signed: String(p.signed),
          verified: p.verified === undefined ? "not checked" : String(p.verified),
          commit: p.gitCommit,
          builder: p.builderId,
        },
      });
      g.edge(pid, id, "attests", { ...src, field: "referrers" });
    }
  }

  for (const f of records.deployments.values()) {
    const r = f.record;
    const id = nodeId.deployment(r.namespace, r.name);
    const src = recordSource.deployment(f);
    g.node(id, "deployment", `${r.namespace}/${r.name}`, {
      state: "resolved",
      system: f.system,
      url: r.url,
      source: src,
      facts: {
        cluster: r.cluster,
        revision: r.revision,
        ready: r.replicas === undefined ? undefined : `${r.readyReplicas ?? 0}/${r.replicas}`,
      },
    });
    const container = traceContainer(r.containers);
    const image = imageOfDeployment(records, r);
    if (image)
      g.edge(nodeId.image(image.record.digest), id, "deployed-as", {
        ...src,
        field: `container ${container?.name} image`,
      });
    else if (container) {
      const digest = /@(sha256:[0-9a-f]{64})$/.exec(container.image)?.[1];
      const iid = nodeId.image(digest ?? container.image);
      g.ref(iid, "image", container.image);
      g.edge(iid, id, "deployed-as", { ...src, field: `container ${container.name} image` });
    }
    const facts = deploymentFacts(f, c).fields;
    if (!image)
      upstreamOf(
        id,
        facts.filter(
          (x) => x.field === "model.mlflowRunId" || x.field === "job.runId" || x.field === "code.gitSha",
        ),
      );
    for (const rs of r.replicaSets) {
      const rid = nodeId.replicaSet(r.namespace, rs.name);
      g.node(rid, "replica-set", `revision ${rs.revision ?? "?"}`, {
        state: "resolved",
        system: f.system,
        source: { system: f.system, object: `replica set ${r.namespace}/${rs.name}` },
        facts: {
          name: rs.name,
          live: String(rs.live),
          image: traceContainer(rs.containers)?.image,
          created: rs.createdAt,
        },
      });
      g.edge(id, rid, "revision", { ...src, field: "ownerReferences" });
    }
    for (const pod of r.pods) {
      const pid = nodeId.pod(pod.namespace, pod.name);
      g.node(pid, "pod", pod.name, {
        state: "resolved",
        system: f.system,
        source: { system: f.system, object: `pod ${pod.namespace}/${pod.name}` },
        facts: {
          phase: pod.phase,
          node: pod.nodeName,
          image: pod.containers[0]?.imageId ?? pod.containers[0]?.image,
        },
      });
      if (pod.replicaSet) g.edge(nodeId.replicaSet(r.namespace, pod.replicaSet), pid, "runs");
      if (pod.nodeName) {
        const nid = nodeId.node(pod.nodeName);
        const n = r.nodes.find((x) => x.name === pod.nodeName);
        g.node(nid, "node", pod.nodeName, {
          state: n ? "resolved" : "referenced",
          system: f.system,
          source: { system: f.system, object: `node ${pod.nodeName}` },
          facts: {
            kubelet: n?.kubeletVersion,
            os: n?.osImage,
            arch: n?.architecture,
            pool: n?.nodePool,
            type: n?.instanceType,
          },
        });
        g.edge(pid, nid, "ran-on", {
          system: f.system,
          object: `pod ${pod.namespace}/${pod.name}`,
          field: "spec.nodeName",
        });
      }
    }
  }

  // CI runs named by any record
  for (const facts of allFacts(records, c)) {
    const provider = facts.find((x) => x.field === "ci.provider");
    const run = facts.find((x) => x.field === "ci.runId");
    if (!run) continue;
    const cid = nodeId.ciRun(String(provider?.value ?? "ci"), String(run.value));
    g.ref(cid, "ci-run", `${provider?.value ?? "CI"} run ${run.value}`, {
      url: String(facts.find((x) => x.field === "ci.runUrl")?.value ?? ""),
    });
    const sha = facts.find((x) => x.field === "code.gitSha");
    if (sha) g.edge(nodeId.commit(String(sha.value)), cid, "built", run.source);
    const jobRun = facts.find((x) => x.field === "job.runId");
    if (jobRun && records.jobRuns.has(String(jobRun.value)))
      g.edge(cid, nodeId.jobRun(String(jobRun.value)), "triggered", run.source);
  }

  // the handle's own node and what it names
  if (records.handle.kind === "log-line") {
    const id = nodeId.logLine();
    const fields = records.handleFacts.fields;
    g.node(id, "log-line", "log line", {
      state: "resolved",
      system: "handle",
      source: recordSource.handle(),
      facts: Object.fromEntries(Object.entries(records.handle.fields).map(([k, v]) => [k, String(v)])),
    });
    const ns = fields.find((x) => x.field === "deployment.namespace")?.value;
    const name = fields.find((x) => x.field === "deployment.name")?.value;
    const served = [...records.deployments.values()].map((d) =>
      nodeId.deployment(d.record.namespace, d.record.name),
    );
    if (ns && name) served.push(nodeId.deployment(String(ns), String(name)));
    for (const d of new Set(served)) g.edge(d, id, "served", { system: "handle", object: "log line" });
    if (served.length === 0) {
      for (const img of records.images.values())
        g.edge(nodeId.image(img.record.digest), id, "served", { system: "handle", object: "log line" });
    }
  }

  // Anything asked for and not found: drawn as missing.
  for (const missing of records.missing) {
    const kind = missing.slice(0, missing.indexOf(":")) as TraceNodeKind;
    g.ref(missing, kind, missing.slice(missing.indexOf(":") + 1));
  }
  return g.build();
}

function allFacts(records: WalkRecords, c: TraceConventions): FieldFact[][] {
  return [
    ...[...records.modelVersions.values()].map((f) => modelVersionFacts(f, c).fields),
    ...[...records.mlflowRuns.values()].map((f) => mlflowRunFacts(f, c).fields),
    ...[...records.images.values()].map((f) => imageFacts(f, c).fields),
  ];
}
