import type { CallOptions } from "@modeltrail/core";
import type { Deployment } from "kubernetes-types/apps/v1";
import type { KubeClient } from "../client/kube-client.js";
import { currentReplicaSet, replicaSetsOf } from "./replica-sets.js";

/** Why one pod of a rollout is not ready. */
export interface PodDiagnosis {
  name: string;
  phase: string | undefined;
  ready: boolean;
  /** Containers waiting or terminated with a reason (ImagePullBackOff, CrashLoopBackOff, ...). */
  containers: Array<{ name: string; reason: string; message: string | undefined; restartCount: number }>;
  /** The scheduler's reason when the pod cannot be placed (`Unschedulable: 0/1 nodes are available: ...`). */
  unschedulable: string | undefined;
}

/** What went wrong with a rollout, from the Deployment, its new ReplicaSet, the pods and the events. */
export interface RolloutDiagnosis {
  /** The Deployment's conditions (`Progressing`, `Available`, `ReplicaFailure`) as `type=status reason: message`. */
  conditions: string[];
  /** The ReplicaSet of the new template, when it exists. */
  newReplicaSet: string | undefined;
  pods: PodDiagnosis[];
  /** Warning events of the Deployment, the new ReplicaSet and its pods, latest last. */
  events: Array<{ object: string; reason: string; message: string; count: number }>;
  /** One line per finding, most telling first, e.g. `pod web-7d9c-x2: container web ImagePullBackOff: ...`. */
  summary: string[];
}

const POD_LIMIT = 20;

/**
 * Finds out why a Deployment's rollout is stuck: its conditions, the new ReplicaSet, that
 * ReplicaSet's pods (waiting/terminated container reasons such as image pull errors and crash
 * loops, unschedulable pods) and the Warning events of all of them. Throws what the list calls throw.
 */
export async function diagnoseRollout(
  kube: KubeClient,
  dep: Deployment,
  options: CallOptions = {},
): Promise<RolloutDiagnosis> {
  const namespace = dep.metadata?.namespace;
  const conditions = (dep.status?.conditions ?? []).map(
    (c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}`,
  );
  const replicaSets = await replicaSetsOf(kube, dep, options);
  const rs = currentReplicaSet(dep, replicaSets);
  const pods: PodDiagnosis[] = [];
  const uids = new Set<string>([dep.metadata?.uid ?? "", rs?.metadata?.uid ?? ""].filter(Boolean));
  if (rs?.spec?.selector?.matchLabels) {
    const { items } = await kube.pods.list({
      ...options,
      namespace,
      labelSelector: rs.spec.selector.matchLabels,
    });
    for (const pod of items.slice(0, POD_LIMIT)) {
      if (pod.metadata?.uid) uids.add(pod.metadata.uid);
      const statuses = [
        ...(pod.status?.initContainerStatuses ?? []),
        ...(pod.status?.containerStatuses ?? []),
      ];
      const containers = statuses.flatMap((cs) => {
        const waiting = cs.state?.waiting;
        const terminated = cs.state?.terminated ?? cs.lastState?.terminated;
        const reason =
          waiting?.reason ??
          (terminated && terminated.exitCode !== 0
            ? (terminated.reason ?? `exit code ${terminated.exitCode}`)
            : undefined);
        if (!reason || reason === "ContainerCreating" || reason === "PodInitializing") return [];
        return [
          {
            name: cs.name,
            reason,
            message: waiting?.message ?? terminated?.message,
            restartCount: cs.restartCount ?? 0,
          },
        ];
      });
      const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
      pods.push({
        name: pod.metadata?.name ?? "",
        phase: pod.status?.phase,
        ready: pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
        containers,
        unschedulable:
          scheduled?.status === "False"
            ? `${scheduled.reason ?? "Unschedulable"}: ${scheduled.message ?? ""}`.trim()
            : undefined,
      });
    }
  }
  const { items: warnings } = await kube.events.list({
    ...options,
    namespace,
    fieldSelector: { type: "Warning" },
  });
  const events = warnings
    .filter((e) => uids.has(e.involvedObject?.uid ?? ""))
    .sort((a, b) => timeOf(a) - timeOf(b))
    .map((e) => ({
      object: `${e.involvedObject?.kind ?? "?"}/${e.involvedObject?.name ?? "?"}`,
      reason: e.reason ?? "",
      message: (e.message ?? "").trim(),
      count: e.count ?? e.series?.count ?? 1,
    }));

  const summary: string[] = [];
  for (const pod of pods) {
    for (const c of pod.containers) {
      summary.push(
        `pod ${pod.name}: container ${c.name} ${c.reason}${c.restartCount > 0 ? ` (${c.restartCount} restarts)` : ""}${c.message ? `: ${c.message}` : ""}`,
      );
    }
    if (pod.unschedulable) summary.push(`pod ${pod.name}: ${pod.unschedulable}`);
  }
  const failure = dep.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  if (failure) summary.push(`ReplicaFailure ${failure.reason ?? ""}: ${failure.message ?? ""}`.trim());
  for (const e of events.slice(-5)) summary.push(`event ${e.object} ${e.reason}: ${e.message}`);
  const progressing = dep.status?.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.message) summary.push(`Progressing ${progressing.reason ?? ""}: ${progressing.message}`);
  return { conditions, newReplicaSet: rs?.metadata?.name, pods, events, summary: [...new Set(summary)] };
}

function timeOf(e: {
  lastTimestamp?: string;
  eventTime?: string;
  metadata?: { creationTimestamp?: string };
}): number {
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? "") || 0;
}
