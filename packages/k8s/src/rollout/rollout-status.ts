import type { Deployment, DeploymentCondition } from "kubernetes-types/apps/v1";

/** Where a rollout stands, as `kubectl rollout status` judges it. */
export interface RolloutStatus {
  /** True when the rollout is complete. */
  done: boolean;
  /** True when the Deployment reports `ProgressDeadlineExceeded`. */
  failed: boolean;
  /** kubectl's message, e.g. `Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...`. */
  message: string;
  /** Which check is pending. */
  phase: "observing" | "updating" | "terminating-old" | "becoming-available" | "complete" | "failed";
  replicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  readyReplicas: number;
}

/** A condition of a Deployment by type. Never throws. */
export function deploymentCondition(dep: Deployment, type: string): DeploymentCondition | undefined {
  return dep.status?.conditions?.find((c) => c.type === type);
}

/**
 * Judges a Deployment's rollout with kubectl's algorithm (`kubectl rollout status`): the controller
 * must have observed the latest generation; then `ProgressDeadlineExceeded` is a failure; then all
 * desired replicas must be updated, old replicas gone, and every updated replica available. Never throws.
 */
export function rolloutStatus(dep: Deployment): RolloutStatus {
  const name = dep.metadata?.name ?? "";
  const s = dep.status ?? {};
  const counts = {
    replicas: s.replicas ?? 0,
    updatedReplicas: s.updatedReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
  };
  const waiting = (phase: RolloutStatus["phase"], what: string): RolloutStatus => ({
    done: false,
    failed: false,
    phase,
    message: `Waiting for deployment "${name}" rollout to finish: ${what}...`,
    ...counts,
  });
  if ((dep.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return {
      done: false,
      failed: false,
      phase: "observing",
      message: "Waiting for deployment spec update to be observed...",
      ...counts,
    };
  }
  const progressing = deploymentCondition(dep, "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return {
      done: false,
      failed: true,
      phase: "failed",
      message: `deployment "${name}" exceeded its progress deadline`,
      ...counts,
    };
  }
  const desired = dep.spec?.replicas;
  if (desired !== undefined && counts.updatedReplicas < desired) {
    return waiting("updating", `${counts.updatedReplicas} out of ${desired} new replicas have been updated`);
  }
  if (counts.replicas > counts.updatedReplicas) {
    return waiting(
      "terminating-old",
      `${counts.replicas - counts.updatedReplicas} old replicas are pending termination`,
    );
  }
  if (counts.availableReplicas < counts.updatedReplicas) {
    return waiting(
      "becoming-available",
      `${counts.availableReplicas} of ${counts.updatedReplicas} updated replicas are available`,
    );
  }
  return {
    done: true,
    failed: false,
    phase: "complete",
    message: `deployment "${name}" successfully rolled out`,
    ...counts,
  };
}
