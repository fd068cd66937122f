/**
 * Step 7, roll back: the Deployment of step 5 to a given run id (the latest revision that ran it),
 * or, with no run id, to the previous revision (like `kubectl rollout undo`); then reads back what
 * the pods run and checks that it carries that run's GIT_SHA and RUN_ID and image digest.
 *
 *   KUBECONFIG=~/.kube/config node examples/steps/7-rollback.ts                # the previous revision
 *   KUBECONFIG=~/.kube/config node examples/steps/7-rollback.ts --run-id 1795788642450001
 */
import { parseTraceContext } from "@modeltrail/core";
import { KubeClient } from "@modeltrail/k8s";
import { need } from "../lib/state.ts";
import { runStep } from "../lib/step-cli.ts";
import { DEPLOYMENT_NAME, printHistory, rollbackTo } from "../pipeline/deploy-k8s.ts";

await runStep<{ "run-id"?: string; kubeconfig?: string }>({
  file: "7-rollback.ts",
  summary: `Step 7, roll back: rollback() of the Deployment ${DEPLOYMENT_NAME} to a run id or the previous revision, what runs then read back and checked.`,
  options: { "run-id": { type: "string" }, kubeconfig: { type: "string" } },
  flags: [
    "--run-id ID        the run to go back to (a job run id or an MLflow run id; default: the previous revision)",
    "--kubeconfig FILE  the cluster (default: step 5's, else KUBECONFIG)",
  ],
  env: [["KUBECONFIG", "the cluster, when neither --kubeconfig nor step 5 named one"]],
  async run({ values, state, save, dryRun, signal }) {
    const deployed = need(state.deployed, "deployment", "examples/steps/5-deploy.ts");
    const images = need(state.images, "images", "examples/steps/4-build-image.ts");
    const history = deployed.history;
    // the run expected to serve afterwards: the one named, else the one deployed before the live one
    const want = values["run-id"] ?? [...history].reverse().find((r) => r !== history.at(-1));
    const image = images.find(
      (i) => i.runId === want || parseTraceContext(i.ctx).model?.mlflowRunId === want,
    );
    if (!image) throw new Error(`No image of run ${want ?? "(none before the live one)"} in the state`);
    if (dryRun) {
      console.log(
        `would roll ${DEPLOYMENT_NAME} back ${values["run-id"] ? `to run ${values["run-id"]}` : "to the previous revision"} (expecting run ${image.runId})`,
      );
      return;
    }
    const kubeconfig = values.kubeconfig ?? deployed.kubeconfig;
    const kube = new KubeClient({ ...(kubeconfig ? { kubeconfig } : {}) });
    try {
      const live = await rollbackTo(
        kube,
        { ...image, ctx: parseTraceContext(image.ctx) },
        { toRunId: values["run-id"], signal },
      );
      await printHistory(kube, { signal });
      deployed.history = [...history, image.runId];
      await save();
      if (!live.matches)
        throw new Error("After the rollback, the Deployment runs another trace than expected");
      console.log(
        `\nstep 7 done: ${DEPLOYMENT_NAME} runs run ${image.runId} again (revision ${live.revision})`,
      );
    } finally {
      await kube.close();
    }
  },
});
