/**
 * Step 5, deploy: the image of a run (default: the last one step 4 built) with the trace in its env
 * (GIT_SHA, RUN_ID, ...), waiting until it serves, then what serves is read back and checked against
 * the run (commit, run id, image digest). Records the target and the deploy in the state, so that
 * steps 6 and 7 follow.
 *
 * Two targets, the same words as `modeltrail deploy --target`:
 *   --target local (default)  the local deploy target: the image's layers unpacked, its command (the
 *                             serving app) run as a local process on a loopback port with the demo's
 *                             Python (.tools/mlflow-venv) standing in for the base image's; revisions
 *                             kept like a Deployment's. No cluster needed: what a fresh clone runs.
 *   --target kubernetes       the Deployment `churn-model` in the cluster of --kubeconfig / KUBECONFIG
 *                             (its current context and namespace), the rollout awaited like
 *                             `kubectl rollout status`. The image must be pullable by the cluster:
 *                             build with MODELTRAIL_REGISTRY set (step 4).
 *
 *   node examples/steps/5-deploy.ts                                    # the last image, locally
 *   node examples/steps/5-deploy.ts --run-id 1795788642450001
 *   KUBECONFIG=~/.kube/aks node examples/steps/5-deploy.ts --target kubernetes
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseTraceContext } from "@modeltrail/core";
import { KubeClient } from "@modeltrail/k8s";
import { chainCredentials, dockerConfigCredentials, RegistryClient } from "@modeltrail/registry";
import { chooseDeployTarget, TARGET_FLAG } from "../lib/deploy-target.ts";
import { need, type PipelineState } from "../lib/state.ts";
import { runStep, StepUsageError } from "../lib/step-cli.ts";
import { DEPLOYMENT_NAME, deployImage, printHistory } from "../pipeline/deploy-k8s.ts";
import { deployLocal, LOCAL_STATE_DIR, localTarget, printLocalHistory } from "../pipeline/deploy-local.ts";

type StateImage = NonNullable<PipelineState["images"]>[number];

/**
 * Where the local target takes the image from, as step 4 recorded it: its OCI layout when that is on
 * this machine, else the registry it was pushed to (MODELTRAIL_REGISTRY in step 4). Throws when neither is.
 */
function localSource(image: StateImage): string | { ref: string } {
  if (existsSync(join(image.layoutDir, "index.json"))) return image.layoutDir;
  if (image.pushedRef) return { ref: image.deployRef };
  throw new Error(
    `The image of run ${image.runId} is neither in its OCI layout (${image.layoutDir}) nor pushed to a registry: run examples/steps/4-build-image.ts on this machine, or with MODELTRAIL_REGISTRY set`,
  );
}

await runStep<{ "run-id"?: string; target?: string; kubeconfig?: string; context?: string }>({
  file: "5-deploy.ts",
  summary: `Step 5, deploy: a run's image as ${DEPLOYMENT_NAME} with its trace in the env, readiness or the rollout awaited, what serves checked against the run (commit, run id, image digest). Local target: LocalDeployTarget.deploy(); Kubernetes: renderDeployment() + deploy(), traceOf().`,
  options: {
    "run-id": { type: "string" },
    target: { type: "string" },
    kubeconfig: { type: "string" },
    context: { type: "string" },
  },
  flags: [
    "--run-id ID        the image of this run (a job run id or an MLflow run id; default: the last image of step 4)",
    `${TARGET_FLAG};`,
    "                   default MODELTRAIL_DEPLOY_TARGET, else kubernetes when --kubeconfig or --context",
    "                   is given, else local",
    "--kubeconfig FILE  kubernetes: the cluster (default KUBECONFIG, ~/.kube/config, in-cluster)",
    "--context NAME     kubernetes: a context of the kubeconfig (default its current one)",
  ],
  env: [
    ["MODELTRAIL_DEPLOY_TARGET", "local or kubernetes, when --target is not given (as the modeltrail CLI)"],
    [
      "KUBECONFIG",
      "kubernetes: the cluster, when --kubeconfig is not given (its current context and namespace)",
    ],
    ["MODELTRAIL_HOME", `local: where the target keeps revisions and logs (${LOCAL_STATE_DIR})`],
    ["DOCKER_CONFIG", "local: registry credentials, when the image is only in a registry"],
  ],
  async run({ values, state, save, dryRun, signal }) {
    const target = chooseDeployTarget(values);
    if (target === "local" && (values.kubeconfig || values.context))
      throw new StepUsageError(
        "--kubeconfig and --context name a cluster: use them with --target kubernetes",
      );
    const images = need(state.images, "images", "examples/steps/4-build-image.ts");
    const wanted = values["run-id"];
    const image = wanted
      ? images.find((i) => i.runId === wanted || parseTraceContext(i.ctx).model?.mlflowRunId === wanted)
      : images.at(-1);
    if (!image)
      throw new Error(
        `No image of run ${values["run-id"]} in the state (built: ${images.map((i) => i.runId).join(", ")})`,
      );
    // a deploy to another target starts that target's history
    const history = state.deployed?.target === target ? state.deployed.history : [];

    if (target === "local") {
      const from = localSource(image);
      const ref = typeof from === "string" ? `oci:${from}@${image.digest}` : from.ref;
      if (dryRun) {
        console.log(
          `would deploy ${ref} (run ${image.runId}) to the local target as ${DEPLOYMENT_NAME} (state in ${LOCAL_STATE_DIR})`,
        );
        return;
      }
      const registry =
        typeof from === "string"
          ? undefined
          : new RegistryClient({ credentials: chainCredentials(dockerConfigCredentials()) });
      try {
        const local = localTarget({ registry });
        const live = await deployLocal(local, { ...image, ctx: parseTraceContext(image.ctx) }, from, {
          signal,
        });
        await printLocalHistory(local);
        state.deployed = {
          target: "local",
          namespace: local.namespace,
          stateDir: local.stateDir,
          url: live.url,
          history: [...history, image.runId],
        };
        await save();
        if (!live.matches)
          throw new Error(`After deploying run ${image.runId}, the local target serves another trace`);
        console.log(
          `\nstep 5 done: ${DEPLOYMENT_NAME} serves run ${image.runId} at ${live.url} (revision ${live.revision}, pid ${live.pid}); stop it with modeltrail clean`,
        );
      } finally {
        await registry?.close();
      }
      return;
    }

    if (dryRun) {
      console.log(
        `would deploy ${image.deployRef} (run ${image.runId}) to kubernetes as deployment ${DEPLOYMENT_NAME}`,
      );
      return;
    }
    const kube = new KubeClient({
      ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
      ...(values.context ? { context: values.context } : {}),
    });
    try {
      const live = await deployImage(kube, { ...image, ctx: parseTraceContext(image.ctx) }, { signal });
      await printHistory(kube, { signal });
      state.deployed = {
        target: "kubernetes",
        kubeconfig: values.kubeconfig,
        namespace: kube.namespace,
        history: [...history, image.runId],
      };
      await save();
      if (!live.matches)
        throw new Error(`After deploying run ${image.runId}, the Deployment runs another trace`);
      console.log(`\nstep 5 done: ${DEPLOYMENT_NAME} runs run ${image.runId} (revision ${live.revision})`);
    } finally {
      await kube.close();
    }
  },
});
