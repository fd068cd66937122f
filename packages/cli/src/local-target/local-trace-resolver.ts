import { arch, hostname, type as osType, platform, release } from "node:os";
import {
  type DeploymentRecord,
  NotFoundError,
  type PodLookup,
  type TraceContext,
  type TraceConventions,
  type TraceLookupOptions,
  type TraceQuery,
  type TraceResolver,
  toAnnotations,
  toEnv,
} from "@modeltrail/core";
import type { LocalDeployTarget, LocalRevision, LocalStatus } from "./local-target.js";

/**
 * The local deploy target's part of `trace()` and `verify()` (system `local-deploy`): a local
 * deployment as a DeploymentRecord (handle `deployment/local/<name>`): what is live (the current
 * revision's image digest and reference, its trace env and annotations), every retained revision as
 * a ReplicaSet, the serving process as a pod (`<name>-<revision>-<pid>`, `Running` while it runs)
 * and this host as its node (hostname, OS, kernel, architecture; runtime: the local target and
 * the interpreter that stands in for the base image's), the serving infrastructure of the answer.
 * Finds deployments by commit, run id or image digest of what they serve. Reads only its state
 * directory; never puts env values other than the trace's in a record.
 */
export function localTraceResolver(target: LocalDeployTarget): TraceResolver {
  const recordOf = async (name: string, o: TraceLookupOptions): Promise<DeploymentRecord | undefined> => {
    let status: LocalStatus;
    let revisions: LocalRevision[];
    try {
      status = await target.status(name);
      revisions = await target.history(name);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const current = status.current;
    const node = hostname();
    const container = (r: LocalRevision) => ({
      name,
      image: r.image.ref,
      env: traceEnv(r.context, o.conventions),
    });
    const podName = current && status.running ? `${name}-${current.revision}-${current.pid}` : undefined;
    const interpreter = (await target.readState(name)).revisions.find((r) => r.revision === current?.revision)
      ?.interpreters?.python;
    return {
      cluster: `local:${node}`,
      namespace: status.namespace,
      name,
      url: status.url,
      generation: current?.revision,
      observedGeneration: current?.revision,
      replicas: 1,
      readyReplicas: status.ready ? 1 : 0,
      revision: current ? String(current.revision) : undefined,
      annotations: current ? toAnnotations(current.context, { conventions: o.conventions }) : {},
      labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "modeltrail-local" },
      containers: current ? [container(current)] : [],
      replicaSets: [...revisions]
        .sort((a, b) => b.revision - a.revision)
        .map((r) => ({
          name: `${name}-${r.revision}`,
          revision: String(r.revision),
          createdAt: r.createdAt,
          replicas: r.running ? 1 : 0,
          readyReplicas: r.running && r.current && status.ready ? 1 : 0,
          live: r.current,
          containers: [container(r)],
          annotations: toAnnotations(r.context, { conventions: o.conventions }),
        })),
      pods:
        current && podName
          ? [
              {
                namespace: status.namespace,
                name: podName,
                nodeName: node,
                phase: "Running",
                replicaSet: `${name}-${current.revision}`,
                containers: [
                  {
                    name,
                    image: current.image.ref,
                    imageId: current.image.ref.includes("@")
                      ? current.image.ref
                      : `${current.image.ref}@${current.image.digest}`,
                    ready: status.ready,
                  },
                ],
              },
            ]
          : [],
      nodes: [
        {
          name: node,
          osImage: `${osType()} ${release()}`,
          kernelVersion: release(),
          operatingSystem: platform(),
          architecture: arch(),
          containerRuntime: `modeltrail local target (processes; python: ${interpreter ?? "as the image says"})`,
        },
      ],
    };
  };
  return {
    system: "local-deploy",
    location: target.stateDir,
    async getDeployment(namespace, name, o) {
      if (namespace !== target.namespace) return undefined;
      try {
        return await recordOf(name, o);
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    },
    async getPod(namespace, name, o): Promise<PodLookup | undefined> {
      if (namespace !== target.namespace) return undefined;
      for (const deployment of await target.list()) {
        if (!name.startsWith(`${deployment}-`)) continue;
        const rec = await recordOf(deployment, o);
        const pod = rec?.pods.find((p) => p.name === name);
        if (pod) return { pod, deployment: { namespace, name: deployment } };
      }
      return undefined;
    },
    async findDeployments(query: TraceQuery, o) {
      const out: DeploymentRecord[] = [];
      for (const name of await target.list()) {
        const ctx = await target.traceOf(name).catch(() => undefined);
        if (!ctx || !matches(ctx, query)) continue;
        const rec = await recordOf(name, o);
        if (rec) out.push(rec);
      }
      return out;
    },
  };
}

function matches(ctx: TraceContext, q: TraceQuery): boolean {
  const checks: boolean[] = [];
  if (q.gitSha) checks.push(ctx.code?.gitSha === q.gitSha);
  if (q.jobRunId) checks.push(ctx.job?.runId === q.jobRunId);
  if (q.mlflowRunId) checks.push(ctx.model?.mlflowRunId?.toLowerCase() === q.mlflowRunId.toLowerCase());
  if (q.imageDigest) checks.push(ctx.image?.digest === q.imageDigest);
  return checks.length > 0 && checks.every(Boolean);
}

function traceEnv(ctx: TraceContext, conventions: TraceConventions): Record<string, string> {
  return toEnv(ctx, { conventions });
}
