import {
  type CallOptions,
  type CodecOptions,
  fromAnnotations,
  type TraceContext,
  ValidationError,
} from "@modeltrail/core";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1";
import type { KubeClient } from "../client/kube-client.js";
import { currentReplicaSet, replicaSetsOf, revisionOf } from "./replica-sets.js";

/** Options of {@link traceOf}. */
export interface TraceOfOptions extends CallOptions, CodecOptions {
  namespace?: string | undefined;
}

/**
 * The TraceContext a ReplicaSet's pods run, from its pod template's annotations, with the
 * deployment section completed (namespace, name, revision). Undefined when the template carries no
 * trace or an unreadable one. Never throws.
 */
export function traceOfReplicaSet(
  rs: ReplicaSet,
  deploymentName?: string,
  options: CodecOptions = {},
): TraceContext | undefined {
  const annotations = rs.spec?.template?.metadata?.annotations;
  if (!annotations) return undefined;
  try {
    const ctx = fromAnnotations(annotations, options);
    if (Object.keys(ctx.toJSON()).length <= 1) return undefined; // schemaVersion only: no trace
    const revision = revisionOf(rs);
    return ctx.with({
      deployment: {
        platform: ctx.deployment?.platform ?? "kubernetes",
        namespace: rs.metadata?.namespace,
        name: deploymentName ?? ctx.deployment?.name,
        revision: revision > 0 ? String(revision) : undefined,
      },
    });
  } catch {
    return undefined;
  }
}

/**
 * The TraceContext of what a Deployment runs now: read from the pod template of its current
 * ReplicaSet (so it is what the pods run, not only what was last applied), with the revision.
 * Throws NotFoundError when the Deployment does not exist, and ValidationError when it has no
 * current ReplicaSet yet or its template carries no trace.
 */
export async function traceOf(
  kube: KubeClient,
  deployment: string | Deployment,
  options: TraceOfOptions = {},
): Promise<TraceContext> {
  const dep = typeof deployment === "string" ? await kube.deployments.get(deployment, options) : deployment;
  const rs = currentReplicaSet(dep, await replicaSetsOf(kube, dep, options));
  const name = dep.metadata?.name ?? "";
  if (!rs) {
    throw new ValidationError(`Deployment "${name}" has no ReplicaSet for its current template yet`, {
      hint: "Wait for the rollout to start (waitForRollout)",
    });
  }
  const ctx = traceOfReplicaSet(rs, name, options);
  if (!ctx) {
    throw new ValidationError(
      `Deployment "${name}" (ReplicaSet ${rs.metadata?.name}) carries no modeltrail trace`,
      {
        hint: "Deploy it with renderDeployment so its pod template carries the trace annotations",
      },
    );
  }
  return ctx;
}
