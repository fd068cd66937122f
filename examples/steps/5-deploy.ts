/**
 * Step 5, deploy: the image of a run (default: the last one step 4 built) to Kubernetes as the
 * Deployment `churn-model`, with the trace in its pods' env (GIT_SHA, RUN_ID), labels and annotations,
 * the image by digest; waits for the rollout like `kubectl rollout status`, then reads back what the
 * pods run and checks it against the run. Records the deploy in the state.
 *
 *   KUBECONFIG=~/.kube/config node examples/steps/5-deploy.ts --run-id 1795788642450001
 *
 * The image must be pullable by the cluster: build with MODELTRAIL_REGISTRY set (step 4). On the
 * demo's local control plane (`pnpm demo --k8s`) kwok plays the node and pulls nothing.
 */
import { parseTraceContext } from "@modeltrail/core";
import { KubeClient } from "@modeltrail/k8s";
import { need } from "../lib/state.ts";
import { runStep } from "../lib/step-cli.ts";
import { DEPLOYMENT_NAME, deployImage, printHistory } from "../pipeline/deploy-k8s.ts";

await runStep<{ "run-id"?: string; kubeconfig?: string; context?: string }>({
  file: "5-deploy.ts",
  summary: `Step 5, deploy: renderDeployment() + deploy() of a run's image as the Deployment ${DEPLOYMENT_NAME}, the rollout awaited, traceOf() checked against the run.`,
  options: { "run-id": { type: "string" }, kubeconfig: { type: "string" }, context: { type: "string" } },
  flags: [
    "--run-id ID        the image of this run (default: the last image of step 4)",
    "--kubeconfig FILE  the cluster (default KUBECONFIG, ~/.kube/config, in-cluster)",
    "--context NAME     a context of the kubeconfig (default its current one)",
  ],
  env: [["KUBECONFIG", "the cluster, when --kubeconfig is not given (its current context and namespace)"]],
  async run({ values, state, save, dryRun, signal }) {
    const images = need(state.images, "images", "examples/steps/4-build-image.ts");
    const image = values["run-id"] ? images.find((i) => i.runId === values["run-id"]) : images.at(-1);
    if (!image)
      throw new Error(
        `No image of run ${values["run-id"]} in the state (built: ${images.map((i) => i.runId).join(", ")})`,
      );
    if (dryRun) {
      console.log(`would deploy ${image.deployRef} (run ${image.runId}) as deployment ${DEPLOYMENT_NAME}`);
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
        history: [...(state.deployed?.history ?? []), image.runId],
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
