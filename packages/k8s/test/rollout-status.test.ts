import type { Deployment } from "kubernetes-types/apps/v1";
import { describe, expect, it } from "vitest";
import { rolloutStatus } from "../src/index.js";

/** A Deployment named web at generation 2 with `replicas` desired and the given status. */
function dep(replicas: number | undefined, status: Deployment["status"], generation = 2): Deployment {
  return {
    metadata: { name: "web", generation },
    spec: { replicas } as Deployment["spec"],
    status: { observedGeneration: 2, ...status },
  };
}

describe("rolloutStatus, as kubectl rollout status judges", () => {
  it.each([
    [dep(3, { observedGeneration: 1 }), "observing", "Waiting for deployment spec update to be observed..."],
    [
      dep(3, { replicas: 3, updatedReplicas: 1 }),
      "updating",
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
    ],
    [
      dep(3, { replicas: 4, updatedReplicas: 3 }),
      "terminating-old",
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
    ],
    [
      dep(3, { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      "becoming-available",
      'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
    ],
    [
      dep(3, { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
      "complete",
      'deployment "web" successfully rolled out',
    ],
    [dep(0, {}), "complete", 'deployment "web" successfully rolled out'],
    [
      dep(3, {
        replicas: 3,
        updatedReplicas: 1,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
      }),
      "failed",
      'deployment "web" exceeded its progress deadline',
    ],
  ])("case %#", (d, phase, message) => {
    const s = rolloutStatus(d);
    expect(s.phase).toBe(phase);
    expect(s.message).toBe(message);
    expect(s.done).toBe(phase === "complete");
    expect(s.failed).toBe(phase === "failed");
  });

  it("does not call a deadline failure before the controller observed the new generation", () => {
    const stale = dep(
      3,
      {
        observedGeneration: 1,
        conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }],
      },
      2,
    );
    expect(rolloutStatus(stale).phase).toBe("observing");
  });
});
