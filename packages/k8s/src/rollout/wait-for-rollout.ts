import { AbortError, type CallOptions, type ModelTrailErrorOptions, TimeoutError } from "@modeltrail/core";
import type { Deployment } from "kubernetes-types/apps/v1";
import type { KubeClient } from "../client/kube-client.js";
import { diagnoseRollout, type RolloutDiagnosis } from "./diagnose-rollout.js";
import { type RolloutStatus, rolloutStatus } from "./rollout-status.js";

/** A progress report of a rollout: sent whenever kubectl's message would change. */
export interface RolloutProgress {
  deployment: string;
  status: RolloutStatus;
}

/** Options of {@link waitForRollout}. */
export interface WaitForRolloutOptions extends CallOptions {
  namespace?: string | undefined;
  /** Longest wait for the rollout, in ms (default 600 000); then RolloutFailedError with reason `Timeout`. */
  rolloutTimeoutMs?: number | undefined;
  /** Called with each new rollout status. */
  onProgress?: ((progress: RolloutProgress) => void) | undefined;
}

/** What is known about a failed rollout. */
export interface RolloutFailure {
  /** `ProgressDeadlineExceeded` (the controller gave up) or `Timeout` (the wait ran out first). */
  reason: "ProgressDeadlineExceeded" | "Timeout";
  deployment: string;
  status: RolloutStatus;
  diagnosis: RolloutDiagnosis;
}

/**
 * A rollout failed: the Deployment exceeded its progress deadline, or did not finish within the
 * wait. `diagnosis` says why (conditions, the new ReplicaSet, its pods' states, warning events);
 * the message lists its summary. A TimeoutError (code `TIMEOUT`); `rolloutFailedError` builds one.
 */
export class RolloutFailedError extends TimeoutError {
  /** `ProgressDeadlineExceeded` (the controller gave up) or `Timeout` (the wait ran out first). */
  readonly reason: RolloutFailure["reason"];
  readonly deployment: string;
  readonly status: RolloutStatus;
  readonly diagnosis: RolloutDiagnosis;
  constructor(
    message: string,
    timeoutMs: number,
    failure: RolloutFailure,
    options: ModelTrailErrorOptions = {},
  ) {
    super(message, timeoutMs, options);
    this.name = "RolloutFailedError";
    this.reason = failure?.reason;
    this.deployment = failure?.deployment;
    this.status = failure?.status;
    this.diagnosis = failure?.diagnosis;
  }
}

/** Builds the RolloutFailedError of a failure, its message listing the diagnosis. Never throws. */
export function rolloutFailedError(failure: RolloutFailure, timeoutMs: number): RolloutFailedError {
  const { deployment, reason, status, diagnosis } = failure;
  const why = diagnosis.summary.length > 0 ? `:\n  - ${diagnosis.summary.join("\n  - ")}` : "";
  const head =
    reason === "ProgressDeadlineExceeded"
      ? `Rollout of deployment "${deployment}" failed: it exceeded its progress deadline`
      : `Rollout of deployment "${deployment}" did not finish within ${timeoutMs} ms (${status.message})`;
  return new RolloutFailedError(`${head}${why}`, timeoutMs, failure, {
    hint: "Fix the cause above and deploy again, or roll back to the previous revision",
  });
}

/** The outcome of a completed rollout. */
export interface RolloutResult {
  deployment: Deployment;
  status: RolloutStatus;
}

/**
 * Waits until a Deployment's rollout completes, judged with kubectl's algorithm
 * ({@link rolloutStatus}), watching the Deployment (no polling). `from` (e.g. the object an apply
 * returned) is judged first and the watch starts at its resource version. Throws
 * RolloutFailedError with a diagnosis on `ProgressDeadlineExceeded` or when `rolloutTimeoutMs`
 * passes, AbortError when `signal` fires, and the client's errors.
 */
export async function waitForRollout(
  kube: KubeClient,
  name: string,
  options: WaitForRolloutOptions & { from?: Deployment | undefined } = {},
): Promise<RolloutResult> {
  const timeoutMs = options.rolloutTimeoutMs ?? 600_000;
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timer]) : timer;
  const namespace = options.namespace ?? options.from?.metadata?.namespace;
  const call: CallOptions = { timeoutMs: options.timeoutMs, retry: options.retry, headers: options.headers };
  let last: Deployment | undefined = options.from;
  let lastMessage = "";
  const judge = (dep: Deployment): RolloutStatus => {
    last = dep;
    const status = rolloutStatus(dep);
    if (status.message !== lastMessage) {
      lastMessage = status.message;
      options.onProgress?.({ deployment: name, status });
    }
    return status;
  };
  const fail = async (reason: RolloutFailure["reason"], dep: Deployment): Promise<never> => {
    const fresh = await kube.deployments.get(name, { ...call, namespace }).catch(() => dep);
    const diagnosis = await diagnoseRollout(kube, fresh, call);
    throw rolloutFailedError(
      { deployment: name, reason, status: rolloutStatus(fresh), diagnosis },
      timeoutMs,
    );
  };

  if (options.from) {
    const status = judge(options.from);
    if (status.done) return { deployment: options.from, status };
    if (status.failed) return fail("ProgressDeadlineExceeded", options.from);
  }
  try {
    for await (const event of kube.deployments.watch({
      ...call,
      namespace,
      signal,
      fieldSelector: { "metadata.name": name },
      resourceVersion: options.from?.metadata?.resourceVersion,
    })) {
      let dep: Deployment | undefined;
      if (event.type === "SYNC") dep = event.items[0];
      else if (event.type === "ADDED" || event.type === "MODIFIED") dep = event.object;
      else if (event.type === "DELETED") {
        throw new AbortError(`Deployment "${name}" was deleted while waiting for its rollout`);
      }
      if (!dep) continue;
      const status = judge(dep);
      if (status.done) return { deployment: dep, status };
      if (status.failed) return await fail("ProgressDeadlineExceeded", dep);
    }
  } catch (err) {
    if (timer.aborted && !options.signal?.aborted && !(err instanceof RolloutFailedError)) {
      return fail("Timeout", last ?? (await kube.deployments.get(name, { ...call, namespace })));
    }
    throw err;
  }
  throw new AbortError(`The watch of deployment "${name}" ended`);
}
