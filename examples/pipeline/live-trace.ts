import { runIdOf, type TraceContext } from "@modeltrail/core";
import { dim, green, red, table } from "../lib/print.ts";
import type { RunImage } from "./build-image.ts";

/** What deploying needs of a built image (step 4's `RunImage`, or its entry in the step state). */
export type DeployableImage = Pick<RunImage, "runId" | "digest" | "deployRef" | "ctx">;

/** What serves, as a deploy target reports it: the fields the demo's result and the step scripts compare. */
export interface LiveFields {
  /** The deployment's revision (a Deployment's, or the local target's). */
  revision: string | undefined;
  gitSha: string | undefined;
  /** The run id it carries (`RUN_ID`: the job run id). */
  runId: string | undefined;
  imageRef: string | undefined;
  imageDigest: string | undefined;
  modelVersion: string | undefined;
  /** True when what serves is the expected run's: same commit, run id and image digest. */
  matches: boolean;
}

/** What serves after a deploy or a rollback, with the whole trace it was read from. */
export interface LiveTrace extends LiveFields {
  /** The whole trace (Kubernetes' `traceOf`, the local target's revision context). */
  ctx: TraceContext;
}

/**
 * Compares what a deploy target says serves (`ctx`: a Deployment's current pod template, the local
 * target's current revision) with the image that should serve, on commit, run id and image digest,
 * and prints the comparison (`revisionNote`: shown after the revision, e.g. the local process).
 * Never throws: `matches` says whether it is the expected run.
 */
export function checkLive(
  ctx: TraceContext,
  expected: DeployableImage,
  options: { revisionNote?: string | undefined } = {},
): LiveTrace {
  const live: LiveTrace = {
    revision: ctx.deployment?.revision,
    gitSha: ctx.code?.gitSha,
    runId: runIdOf(ctx)?.runId,
    imageRef: ctx.image?.ref,
    imageDigest: ctx.image?.digest ?? ctx.image?.ref?.split("@")[1],
    modelVersion: ctx.model?.version,
    ctx,
    matches: false,
  };
  live.matches =
    live.gitSha === expected.ctx.code?.gitSha &&
    live.runId === expected.runId &&
    live.imageDigest === expected.digest;
  table([
    ["revision", options.revisionNote ? `${live.revision}  ${dim(options.revisionNote)}` : live.revision],
    ["GIT_SHA", live.gitSha],
    ["RUN_ID", `${live.runId}  ${dim(`(model v${live.modelVersion})`)}`],
    ["image", live.imageRef],
    [
      "matches the run",
      live.matches
        ? green(`yes: commit, run id and image digest are run ${expected.runId}'s`)
        : red(`NO: expected run ${expected.runId}, image ${expected.digest}`),
    ],
  ]);
  return live;
}
