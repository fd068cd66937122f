import {
  type CodecOptions,
  type DeployPolicy,
  type TraceContext,
  ValidationError,
  type VerifyResult,
} from "@modeltrail/core";
import type { Deployment } from "kubernetes-types/apps/v1";
import type { Service } from "kubernetes-types/core/v1";
import type { KubeClient } from "../client/kube-client.js";
import type { RolloutStatus } from "./rollout-status.js";
import { traceOf } from "./trace-of.js";
import { type RolloutResult, type WaitForRolloutOptions, waitForRollout } from "./wait-for-rollout.js";

/** The field manager deploy and rollback apply as (default of `fieldManager`). */
export const DEFAULT_FIELD_MANAGER = "modeltrail";

/** Options of {@link deploy}. */
export interface DeployOptions extends WaitForRolloutOptions, CodecOptions {
  /** Server-side apply field manager (default `modeltrail`); rollback must use the same. */
  fieldManager?: string | undefined;
  /** Take ownership of fields other managers own instead of failing with ApplyConflictError. */
  force?: boolean | undefined;
  /** Apply and return without waiting for the rollout (default false). */
  noWait?: boolean | undefined;
  /**
   * A deploy gate (core's `deployPolicy`): every container image of the Deployment is verified
   * before anything is applied, and a refused image stops the deploy with DeployRefusedError
   * naming the broken link. Deploy by digest so that what was verified is what runs.
   */
  policy?: DeployPolicy | undefined;
}

/** The outcome of {@link deploy}. */
export interface DeployResult {
  /** The Deployment after the rollout (or as applied with `noWait`). */
  deployment: Deployment;
  service: Service | undefined;
  /** The rollout status (`done` unless `noWait`). */
  status: RolloutStatus | undefined;
  /** The trace of what runs now (undefined with `noWait`). */
  context: TraceContext | undefined;
  /** What the deploy gate verified, per image, when a `policy` was given. */
  verified?: Record<string, VerifyResult> | undefined;
}

/**
 * Deploys manifests (from `renderDeployment`, or your own Deployment and Service): applies them
 * server-side as `fieldManager` (the Service first, so it selects the pods as they come), then waits
 * for the rollout with kubectl's algorithm and returns the live trace. Throws ApplyConflictError
 * when another field manager owns fields of the manifest (unless `force`), RolloutFailedError with a
 * diagnosis when the rollout fails or times out, AbortError on abort, and the client's errors.
 * With a `policy`, each container image is checked first: DeployRefusedError (nothing applied)
 * when the policy refuses one.
 */
export async function deploy(
  kube: KubeClient,
  manifests: { deployment: Deployment; service?: Service | undefined },
  options: DeployOptions = {},
): Promise<DeployResult> {
  const name = manifests.deployment.metadata?.name;
  if (!name) throw new ValidationError("Cannot deploy a Deployment without metadata.name");
  const apply = {
    fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER,
    force: options.force,
    namespace: options.namespace,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    deadlineMs: options.deadlineMs,
    retry: options.retry,
    headers: options.headers,
  };
  const verified = options.policy
    ? await enforcePolicy(options.policy, manifests.deployment, options)
    : undefined;
  const service = manifests.service ? await kube.services.apply(manifests.service, apply) : undefined;
  const applied = await kube.deployments.apply(manifests.deployment, apply);
  if (options.noWait)
    return { deployment: applied, service, status: undefined, context: undefined, verified };
  const { deployment, status }: RolloutResult = await waitForRollout(kube, name, {
    ...options,
    from: applied,
  });
  const context = await traceOf(kube, deployment, options);
  return { deployment, service, status, context, verified };
}

/** Checks every container image of the Deployment's template with the policy, before anything is applied. */
async function enforcePolicy(
  policy: DeployPolicy,
  deployment: Deployment,
  options: DeployOptions,
): Promise<Record<string, VerifyResult>> {
  const images = [
    ...new Set(
      [
        ...(deployment.spec?.template?.spec?.initContainers ?? []),
        ...(deployment.spec?.template?.spec?.containers ?? []),
      ]
        .map((c) => c.image)
        .filter((i): i is string => typeof i === "string" && i !== ""),
    ),
  ];
  const call = {
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    deadlineMs: options.deadlineMs,
    retry: options.retry,
  };
  const out: Record<string, VerifyResult> = {};
  for (const image of images) out[image] = await policy.enforce(image, call);
  return out;
}
