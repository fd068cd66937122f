import {
  type CallOptions,
  type ContainerRecord,
  type DeploymentRecord,
  ForbiddenError,
  type NodeRecord,
  NotFoundError,
  type PodRecord,
  type ReplicaSetRecord,
  type TraceConventions,
  type TraceLookupOptions,
  type TraceQuery,
  type TraceResolver,
} from "@modeltrail/core";
import { pickCallOptions, redactUrl } from "@modeltrail/core/internal";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1";
import type { Container, Node, Pod } from "kubernetes-types/core/v1";
import type { KubeClient } from "../client/kube-client.js";
import type { ResourceKind } from "../client/resource-kinds.js";
import { CHANGE_CAUSE_ANNOTATION } from "../manifests/render-deployment.js";
import {
  currentReplicaSet,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  replicaSetsOf,
  revisionOf,
} from "../rollout/replica-sets.js";

/** `v1` Nodes (cluster-scoped). */
const NODE: ResourceKind<Node> = {
  group: "",
  version: "v1",
  kind: "Node",
  plural: "nodes",
  namespaced: false,
};

/** Options of {@link kubernetesTraceResolver}. */
export interface KubernetesTraceResolverOptions {
  /** The cluster's name in reports (default: its API server URL). */
  cluster?: string | undefined;
  /** The namespaces searched for deployments of a commit, run or image (default: the client's namespace). */
  namespaces?: readonly string[] | undefined;
  /** Read the nodes the pods run on (needs `get nodes`; a 403 leaves them out). Default true. */
  nodes?: boolean | undefined;
}

/** Node labels that name the instance type, zone and pool, as the clouds set them. */
const INSTANCE_TYPE = ["node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"];
const ZONE = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];
const POOL = [
  "agentpool",
  "kubernetes.azure.com/agentpool",
  "cloud.google.com/gke-nodepool",
  "eks.amazonaws.com/nodegroup",
];

/**
 * The Kubernetes part of `trace()` and `verify()`: a live Deployment with its revisions (one per
 * ReplicaSet, newest first, each with its containers' trace env), the pods of its live ReplicaSet
 * (with the image digests their nodes report) and those nodes (kubelet, runtime, OS, architecture,
 * instance type, zone, pool); a pod and its owning Deployment; the Deployments of a commit, run or
 * image digest in the given namespaces. Only env variables and annotations the conventions name are
 * read into records (never other env values: they may be secrets; never valueFrom). Within one
 * walk each object is read once (the walk cache): a pod's Deployment is found by the controller's
 * naming and confirmed by its ReplicaSets, which the Deployment's record reuses; Deployments listed
 * for one query are not listed again for the next. Pass it to `trace(handle, { resolvers: [...] })`.
 */
export function kubernetesTraceResolver(
  kube: KubeClient,
  options: KubernetesTraceResolverOptions = {},
): TraceResolver {
  const server = redactUrl(kube.config.cluster.server);
  const cluster = options.cluster ?? server;
  const namespaces =
    options.namespaces && options.namespaces.length > 0 ? [...options.namespaces] : [kube.namespace];
  const readNodes = options.nodes ?? true;
  const nodes = kube.resource(NODE);

  /**
   * What one walk read, kept in its `walkCache` (so that a pod's Deployment and ReplicaSets, read to
   * find its owner, and the Deployments listed for a query are not read again by the look-ups that
   * follow); read directly outside a walk. A read that fails is not kept.
   */
  function cached<T>(o: TraceLookupOptions, kind: string, key: string, read: () => Promise<T>): Promise<T> {
    const cache = o.walkCache;
    if (!cache) return read();
    const k = `kubernetes:${server}:${kind}:${key}`;
    const hit = cache.get(k) as Promise<T> | undefined;
    if (hit) return hit;
    const pending = read();
    cache.set(k, pending);
    pending.catch(() => {
      if (cache.get(k) === pending) cache.delete(k);
    });
    return pending;
  }

  const deploymentOf = (namespace: string, name: string, o: TraceLookupOptions) =>
    cached(o, "deployment", `${namespace}/${name}`, () =>
      kube.deployments.find(name, { ...pickCallOptions(o), namespace }),
    );

  const replicaSetsOfDeployment = (dep: Deployment, namespace: string, o: TraceLookupOptions) =>
    cached(o, "replicasets", `${namespace}/${dep.metadata?.name}/${dep.metadata?.uid}`, () =>
      replicaSetsOf(kube, dep, { ...pickCallOptions(o), namespace }),
    );

  const recordOf = (dep: Deployment, o: TraceLookupOptions) =>
    cached(
      o,
      "record",
      `${dep.metadata?.namespace ?? kube.namespace}/${dep.metadata?.name}/${dep.metadata?.uid}`,
      () => full(dep, o),
    );

  async function full(dep: Deployment, o: TraceLookupOptions): Promise<DeploymentRecord> {
    const call = pickCallOptions(o);
    const namespace = dep.metadata?.namespace ?? kube.namespace;
    const [replicaSets, podList] = await Promise.all([
      replicaSetsOfDeployment(dep, namespace, o),
      kube.pods.list({ ...call, namespace, labelSelector: dep.spec?.selector?.matchLabels ?? {} }),
    ]);
    const live = currentReplicaSet(dep, replicaSets);
    const livePods = podList.items.filter((p) =>
      p.metadata?.ownerReferences?.some((ref) => ref.controller && ref.uid === live?.metadata?.uid),
    );
    const pods = livePods.map((p) => toPod(p));
    const nodeNames = [...new Set(pods.map((p) => p.nodeName).filter((n): n is string => !!n))].sort();
    const nodeRecords = readNodes
      ? await readNodeRecords(nodeNames, call)
      : nodeNames.map((name) => ({ name }));
    const template = dep.spec?.template;
    return compact({
      cluster,
      namespace,
      name: dep.metadata?.name ?? "",
      url: `${server}/apis/apps/v1/namespaces/${namespace}/deployments/${dep.metadata?.name}`,
      generation: dep.metadata?.generation,
      observedGeneration: dep.status?.observedGeneration,
      replicas: dep.spec?.replicas ?? dep.status?.replicas,
      readyReplicas: dep.status?.readyReplicas ?? 0,
      revision: revisionOf(dep) > 0 ? String(revisionOf(dep)) : undefined,
      annotations: traceAnnotations(
        { ...(dep.metadata?.annotations ?? {}), ...(template?.metadata?.annotations ?? {}) },
        o.conventions,
      ),
      labels: { ...(dep.metadata?.labels ?? {}) },
      containers: containersOf(template?.spec?.containers ?? [], o.conventions),
      replicaSets: [...replicaSets]
        .reverse()
        .map((rs) => toReplicaSet(rs, rs.metadata?.uid === live?.metadata?.uid, o.conventions)),
      pods,
      nodes: nodeRecords,
    });
  }

  async function readNodeRecords(names: string[], call: CallOptions): Promise<NodeRecord[]> {
    return Promise.all(
      names.map(async (name) => {
        try {
          return toNode(await nodes.get(name, call));
        } catch (err) {
          if (err instanceof ForbiddenError || err instanceof NotFoundError) return { name };
          throw err;
        }
      }),
    );
  }

  /**
   * The Deployment that owns the pod's ReplicaSet, found by the controller's naming: the Deployment
   * named as the ReplicaSet without `-<pod-template-hash>`, when its ReplicaSets include the pod's
   * (by uid). Undefined when the name does not follow it or that Deployment does not own it.
   */
  async function guessedOwner(
    namespace: string,
    pod: Pod,
    rsRef: { name: string; uid: string },
    o: TraceLookupOptions,
  ): Promise<string | undefined> {
    const hash = pod.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
    if (!hash || !rsRef.name.endsWith(`-${hash}`)) return undefined;
    const name = rsRef.name.slice(0, -(hash.length + 1));
    if (name === "") return undefined;
    const dep = await deploymentOf(namespace, name, o);
    if (!dep) return undefined;
    const replicaSets = await replicaSetsOfDeployment(dep, namespace, o);
    return replicaSets.some((rs) => rs.metadata?.uid === rsRef.uid) ? name : undefined;
  }

  return {
    system: "kubernetes",
    location: options.cluster ? `${options.cluster} (${server})` : server,

    async getDeployment(namespace, name, o) {
      const dep = await deploymentOf(namespace, name, o);
      return dep ? recordOf(dep, o) : undefined;
    },

    async getPod(namespace, name, o) {
      const call = pickCallOptions(o);
      const pod = await kube.pods.find(name, { ...call, namespace });
      if (!pod) return undefined;
      const record = toPod(pod);
      const rsRef = pod.metadata?.ownerReferences?.find((r) => r.controller && r.kind === "ReplicaSet");
      if (!rsRef) return { pod: record };
      // The deployment controller names a ReplicaSet `<deployment>-<pod-template-hash>`: read that
      // Deployment and its ReplicaSets (which its trace reads anyway, from the walk cache) and take it
      // when one of them is the pod's; else read the pod's ReplicaSet for its owner.
      const owner = await guessedOwner(namespace, pod, rsRef, o);
      if (owner) return { pod: record, deployment: { namespace, name: owner } };
      const rs = await kube.replicaSets.find(rsRef.name, { ...call, namespace });
      const depRef = rs?.metadata?.ownerReferences?.find((r) => r.controller && r.kind === "Deployment");
      return depRef ? { pod: record, deployment: { namespace, name: depRef.name } } : { pod: record };
    },

    async findDeployments(query: TraceQuery, o) {
      const call = pickCallOptions(o);
      const out: DeploymentRecord[] = [];
      for (const namespace of namespaces) {
        const { items } = await cached(o, "deployments", namespace, async () => {
          const list = await kube.deployments.list({ ...call, namespace });
          // each one as getDeployment would read it: a later look-up by name reads none again
          for (const dep of list.items)
            if (dep.metadata?.name)
              cached(o, "deployment", `${namespace}/${dep.metadata.name}`, async () => dep);
          return list;
        });
        for (const dep of items) if (matches(dep, query, o.conventions)) out.push(await recordOf(dep, o));
      }
      return out;
    },
  };
}

/** True when a Deployment's live template names the commit, run or image digest of the query. */
function matches(dep: Deployment, q: TraceQuery, c: TraceConventions): boolean {
  const template = dep.spec?.template;
  const containers = containersOf(template?.spec?.containers ?? [], c);
  const annotations = traceAnnotations(template?.metadata?.annotations ?? {}, c);
  const values = new Set<string>();
  for (const ct of containers) for (const v of Object.values(ct.env)) values.add(v.toLowerCase());
  for (const v of Object.values(annotations)) values.add(v.toLowerCase());
  if (q.imageDigest && containers.some((ct) => ct.image.endsWith(`@${q.imageDigest}`))) return true;
  for (const v of [q.gitSha, q.jobRunId, q.mlflowRunId]) if (v && values.has(v.toLowerCase())) return true;
  return false;
}

function envNames(c: TraceConventions): Set<string> {
  const names = new Set<string>();
  for (const list of Object.values(c.env.fields)) for (const n of list) names.add(n);
  for (const n of [c.env.runId, c.env.runtime, c.env.data, c.env.schemaVersion]) if (n) names.add(n);
  return names;
}

function containersOf(containers: readonly Container[], c: TraceConventions): ContainerRecord[] {
  const names = envNames(c);
  return containers.map((ct) => {
    const env: Record<string, string> = {};
    for (const e of ct.env ?? []) if (names.has(e.name) && typeof e.value === "string") env[e.name] = e.value;
    return { name: ct.name, image: ct.image ?? "", env };
  });
}

function traceAnnotations(all: Record<string, string>, c: TraceConventions): Record<string, string> {
  const keep = new Set<string>([CHANGE_CAUSE_ANNOTATION]);
  for (const list of Object.values(c.annotations.fields)) for (const n of list) keep.add(n);
  for (const n of [
    c.annotations.runtime,
    c.annotations.data,
    c.annotations.created,
    c.annotations.schemaVersion,
  ])
    if (n) keep.add(n);
  return Object.fromEntries(Object.entries(all).filter(([k]) => keep.has(k)));
}

function toReplicaSet(rs: ReplicaSet, live: boolean, c: TraceConventions): ReplicaSetRecord {
  const rev = rs.metadata?.annotations?.[REVISION_ANNOTATION];
  return compact({
    name: rs.metadata?.name ?? "",
    revision: rev,
    createdAt: rs.metadata?.creationTimestamp,
    replicas: rs.status?.replicas ?? 0,
    readyReplicas: rs.status?.readyReplicas ?? 0,
    live,
    containers: containersOf(rs.spec?.template?.spec?.containers ?? [], c),
    annotations: traceAnnotations(rs.spec?.template?.metadata?.annotations ?? {}, c),
  });
}

function toPod(p: Pod): PodRecord {
  const statuses = p.status?.containerStatuses ?? [];
  return compact({
    namespace: p.metadata?.namespace ?? "",
    name: p.metadata?.name ?? "",
    nodeName: p.spec?.nodeName,
    phase: p.status?.phase,
    replicaSet: p.metadata?.ownerReferences?.find((r) => r.controller && r.kind === "ReplicaSet")?.name,
    containers: (p.spec?.containers ?? []).map((ct) => {
      const st = statuses.find((s) => s.name === ct.name);
      return compact({
        name: ct.name,
        image: ct.image ?? "",
        imageId: st?.imageID || undefined,
        ready: st?.ready,
      });
    }),
  });
}

function toNode(n: Node): NodeRecord {
  const labels = n.metadata?.labels ?? {};
  const info = n.status?.nodeInfo;
  const label = (keys: readonly string[]) => keys.map((k) => labels[k]).find((v) => !!v);
  return compact({
    name: n.metadata?.name ?? "",
    kubeletVersion: info?.kubeletVersion,
    containerRuntime: info?.containerRuntimeVersion,
    osImage: info?.osImage,
    kernelVersion: info?.kernelVersion,
    operatingSystem: info?.operatingSystem,
    architecture: info?.architecture,
    instanceType: label(INSTANCE_TYPE),
    zone: label(ZONE),
    nodePool: label(POOL),
  });
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
