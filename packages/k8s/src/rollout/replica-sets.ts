import type { CallOptions } from "@modeltrail/core";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1";
import type { PodTemplateSpec } from "kubernetes-types/core/v1";
import type { KubeClient } from "../client/kube-client.js";

/** The annotation the deployment controller numbers ReplicaSets (and the Deployment) with. */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

/** The label the deployment controller adds to a ReplicaSet's selector and pods. */
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";

/** The revision number of a ReplicaSet or Deployment (0 when it has none). Never throws. */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const raw = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = raw === undefined ? Number.NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * The ReplicaSets a Deployment controls (selected by its selector, owned by its uid), oldest
 * revision first. Throws what `list` throws.
 */
export async function replicaSetsOf(
  kube: KubeClient,
  dep: Deployment,
  options: CallOptions & { namespace?: string | undefined } = {},
): Promise<ReplicaSet[]> {
  const uid = dep.metadata?.uid;
  const labels = dep.spec?.selector?.matchLabels ?? {};
  const { items } = await kube.replicaSets.list({
    ...options,
    namespace: dep.metadata?.namespace ?? options.namespace,
    labelSelector: labels,
  });
  return items
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid))
    .sort((a, b) => revisionOf(a) - revisionOf(b));
}

/** A pod template without the controller's `pod-template-hash` label, for comparisons and rollbacks. */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(template ?? {}) as PodTemplateSpec;
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  }
  return copy;
}

/**
 * The ReplicaSet that runs the Deployment's current template (as kubectl finds it: equal templates
 * ignoring the hash label), else the one with the Deployment's revision. Never throws.
 */
export function currentReplicaSet(
  dep: Deployment,
  replicaSets: readonly ReplicaSet[],
): ReplicaSet | undefined {
  const want = stableJson(templateWithoutHash(dep.spec?.template));
  const byTemplate = [...replicaSets]
    .reverse()
    .find((rs) => stableJson(templateWithoutHash(rs.spec?.template)) === want);
  if (byTemplate) return byTemplate;
  const revision = revisionOf(dep);
  return revision > 0 ? replicaSets.find((rs) => revisionOf(rs) === revision) : undefined;
}

/** JSON with object keys sorted, so equal objects give equal strings. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
