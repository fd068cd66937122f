import {
  type CallOptions,
  type CodecOptions,
  type RunIdOfContext,
  runIdOf,
  type TraceContext,
} from "@modeltrail/core";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1";
import type { KubeClient } from "../client/kube-client.js";
import { CHANGE_CAUSE_ANNOTATION } from "../manifests/render-deployment.js";
import { currentReplicaSet, replicaSetsOf, revisionOf } from "./replica-sets.js";
import { traceOfReplicaSet } from "./trace-of.js";

/** One revision of a Deployment, from the ReplicaSet that holds it. */
export interface Revision {
  /** The revision number (`deployment.kubernetes.io/revision`), as `kubectl rollout history` shows it. */
  revision: number;
  /** The ReplicaSet's name. */
  replicaSet: string;
  /** `kubernetes.io/change-cause`, when set. */
  changeCause: string | undefined;
  /** The images of the pod template's containers. */
  images: string[];
  /** The trace the revision's pods carry (undefined when the template has none). */
  context: TraceContext | undefined;
  /** Its run id (the Databricks job run id, else the MLflow run id) and which kind it is. */
  runId: RunIdOfContext | undefined;
  /** True for the revision the Deployment runs now. */
  current: boolean;
  /** Pods of this revision, and how many are ready. */
  replicas: number;
  readyReplicas: number;
  createdAt: string | undefined;
  /** The ReplicaSet itself. */
  replicaSetObject: ReplicaSet;
}

/** Options of {@link history}. */
export interface HistoryOptions extends CallOptions, CodecOptions {
  namespace?: string | undefined;
}

/**
 * The revisions of a Deployment, oldest first, as `kubectl rollout history` lists them (one per
 * retained ReplicaSet), each with its TraceContext and run id. Throws NotFoundError when the
 * Deployment does not exist, and the client's errors.
 */
export async function history(
  kube: KubeClient,
  deployment: string | Deployment,
  options: HistoryOptions = {},
): Promise<Revision[]> {
  const dep = typeof deployment === "string" ? await kube.deployments.get(deployment, options) : deployment;
  const replicaSets = await replicaSetsOf(kube, dep, options);
  const current = currentReplicaSet(dep, replicaSets);
  const name = dep.metadata?.name ?? "";
  return replicaSets
    .filter((rs) => revisionOf(rs) > 0)
    .map((rs) => {
      const context = traceOfReplicaSet(rs, name, options);
      return {
        revision: revisionOf(rs),
        replicaSet: rs.metadata?.name ?? "",
        changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION],
        images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ""),
        context,
        runId: context ? runIdOf(context) : undefined,
        current: rs.metadata?.uid === current?.metadata?.uid,
        replicas: rs.status?.replicas ?? 0,
        readyReplicas: rs.status?.readyReplicas ?? 0,
        createdAt: rs.metadata?.creationTimestamp,
        replicaSetObject: rs,
      };
    });
}
