import {
  deploy,
  history,
  type KubeClient,
  type Revision,
  renderDeployment,
  rollback,
  traceOf,
} from "@modeltrail/k8s";
import { dim, green, heading, say, short, table } from "../lib/print.ts";
import { checkLive, type DeployableImage, type LiveTrace } from "./live-trace.ts";

/** The Deployment (and Service) the demo deploys. */
export const DEPLOYMENT_NAME = "churn-model";

export type { DeployableImage, LiveTrace } from "./live-trace.ts";

/**
 * Step 5 on Kubernetes: renders a traceable Deployment and Service for the image
 * (`renderDeployment`: GIT_SHA, RUN_ID and the rest of the trace in the container env, trace labels
 * and annotations), applies them server-side and waits for the rollout (`deploy`), then reads back
 * what runs (`traceOf`) and checks it is this run's. Throws the k8s package's errors
 * (RolloutFailedError with a diagnosis, ApplyConflictError, ...).
 */
export async function deployImage(
  kube: KubeClient,
  image: DeployableImage,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<LiveTrace> {
  const [repository] = image.deployRef.split("@");
  const manifests = renderDeployment(image.ctx.with({ environment: { name: "dev" } }), {
    name: DEPLOYMENT_NAME,
    image: repository!,
    digest: image.digest,
    port: 8080,
    replicas: 2,
    service: true,
    changeCause: `modeltrail demo: run ${image.runId}, model v${image.ctx.model?.version}`,
  });
  heading(
    `deploy(kube, renderDeployment(ctx, { name: "${DEPLOYMENT_NAME}", image, replicas: 2, service: true }))`,
  );
  const container = manifests.deployment.spec?.template?.spec?.containers?.[0];
  const env = Object.fromEntries(
    (container?.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value ?? ""]),
  );
  table([
    ["image", container?.image],
    [
      "env",
      `GIT_SHA=${short(env.GIT_SHA)}... RUN_ID=${env.RUN_ID} JOB_ID=${env.JOB_ID} (+ ${Object.keys(env).length - 3} MODELTRAIL_*)`,
    ],
  ]);
  let last = "";
  const result = await deploy(kube, manifests, {
    signal: options.signal,
    rolloutTimeoutMs: 180_000,
    onProgress: ({ status }) => {
      if (status.message === last) return;
      last = status.message;
      say(dim(`rollout: ${last}`), 4);
    },
  });
  heading("traceOf(kube, deployment): what the pods run now");
  return checkLive(result.context ?? (await traceOf(kube, DEPLOYMENT_NAME, options)), image);
}

/** Prints `history(kube, name)`: one line per revision with its run id, current last. */
export async function printHistory(
  kube: KubeClient,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<Revision[]> {
  heading(`history(kube, "${DEPLOYMENT_NAME}")  ${dim("(as kubectl rollout history, with run ids)")}`);
  const revisions = await history(kube, DEPLOYMENT_NAME, options);
  for (const r of revisions)
    say(
      `revision ${r.revision}  run ${r.runId?.runId} (${r.runId?.kind})  ${r.changeCause ?? ""}${r.current ? `  ${green("<- live")}` : ""}`,
      4,
    );
  return revisions;
}

/**
 * Step 7 on Kubernetes: rolls the Deployment back (`rollback`): with no run id to the previous
 * revision (as `kubectl rollout undo`), with `toRunId` to the latest revision that ran that run id;
 * waits for the rollout and checks that what runs now is `expected`'s.
 */
export async function rollbackTo(
  kube: KubeClient,
  expected: DeployableImage,
  options: { toRunId?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<LiveTrace & { method: string; fromRevision: number | undefined; toRevision: number | undefined }> {
  heading(
    options.toRunId
      ? `rollback(kube, "${DEPLOYMENT_NAME}", { toRunId: "${options.toRunId}" })`
      : `rollback(kube, "${DEPLOYMENT_NAME}")  ${dim("(no run id: the previous revision)")}`,
  );
  const result = await rollback(kube, DEPLOYMENT_NAME, {
    ...(options.toRunId ? { toRunId: options.toRunId } : {}),
    signal: options.signal,
    rolloutTimeoutMs: 180_000,
  });
  say(
    dim(
      `method ${result.method}: from revision ${result.from?.revision} (run ${result.from?.runId?.runId}) to the template of revision ${result.to?.revision ?? "-"} (run ${result.to?.runId?.runId ?? "-"}), applied as a new revision`,
    ),
    4,
  );
  const live = checkLive(result.context, expected);
  return {
    ...live,
    method: result.method,
    fromRevision: result.from?.revision,
    toRevision: result.to?.revision,
  };
}
