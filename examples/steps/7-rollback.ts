/**
 * Step 7, roll back: step 5's deployment to a given run id (the latest revision that ran it), or,
 * with no run id, to the previous revision (like `kubectl rollout undo`); then checks that what serves
 * carries that run's GIT_SHA, RUN_ID and image digest. On the local target it also asks the serving
 * process for a prediction and checks that what ANSWERS (the response's headers, its body's trace and
 * the request's log line) carries them.
 *
 * It follows step 5's target (the state records it); --target must name the same one.
 *
 *   node examples/steps/7-rollback.ts                                  # the previous revision
 *   node examples/steps/7-rollback.ts --run-id 1795788642450001
 *   KUBECONFIG=~/.kube/aks node examples/steps/7-rollback.ts            # after step 5 --target kubernetes
 */
import { parseTraceContext } from "@modeltrail/core";
import { KubeClient } from "@modeltrail/k8s";
import { parseDeployTarget, TARGET_FLAG } from "../lib/deploy-target.ts";
import { dim, green, heading, say, short } from "../lib/print.ts";
import { need } from "../lib/state.ts";
import { runStep, StepUsageError } from "../lib/step-cli.ts";
import { DEPLOYMENT_NAME, printHistory, rollbackTo } from "../pipeline/deploy-k8s.ts";
import {
  answeredBy,
  localTarget,
  predict,
  printLocalHistory,
  rollbackLocal,
} from "../pipeline/deploy-local.ts";

await runStep<{ "run-id"?: string; target?: string; kubeconfig?: string }>({
  file: "7-rollback.ts",
  summary: `Step 7, roll back: ${DEPLOYMENT_NAME} to a run id or the previous revision, what serves then read back and checked; on the local target, a prediction shows what answers.`,
  options: { "run-id": { type: "string" }, target: { type: "string" }, kubeconfig: { type: "string" } },
  flags: [
    "--run-id ID        the run to go back to (a job run id or an MLflow run id; default: the previous revision)",
    `${TARGET_FLAG};`,
    "                   default (and it must be): the target step 5 deployed to",
    "--kubeconfig FILE  kubernetes: the cluster (default: step 5's, else KUBECONFIG)",
  ],
  env: [
    ["KUBECONFIG", "kubernetes: the cluster, when neither --kubeconfig nor step 5 named one"],
    ["MODELTRAIL_HOME", "local: where step 5's local target keeps its revisions (the state records it)"],
  ],
  async run({ values, state, save, dryRun, signal }) {
    const asked = values.target !== undefined ? parseDeployTarget(values.target) : undefined;
    const deployed = need(state.deployed, "deployment", "examples/steps/5-deploy.ts");
    const target = deployed.target;
    if (asked && asked !== target)
      throw new StepUsageError(
        `--target ${asked}: step 5 deployed to the ${target} target; run examples/steps/5-deploy.ts --target ${asked} first, or leave --target out`,
      );
    if (target === "local" && values.kubeconfig)
      throw new StepUsageError("--kubeconfig names a cluster, but step 5 deployed to the local target");
    const images = need(state.images, "images", "examples/steps/4-build-image.ts");
    const history = deployed.history;
    // the run expected to serve afterwards: the one named, else the one deployed before the live one
    const want = values["run-id"] ?? [...history].reverse().find((r) => r !== history.at(-1));
    const found = images.find(
      (i) => i.runId === want || parseTraceContext(i.ctx).model?.mlflowRunId === want,
    );
    if (!found) throw new Error(`No image of run ${want ?? "(none before the live one)"} in the state`);
    const image = { ...found, ctx: parseTraceContext(found.ctx) };
    // a rollback goes back to a revision: the run must have been deployed before (by step 5)
    if (!history.includes(image.runId))
      throw new Error(
        `Run ${image.runId} was never deployed to the ${target} target (deployed: ${history.join(", ")}): deploy it with examples/steps/5-deploy.ts --run-id ${image.runId}`,
      );
    if (dryRun) {
      console.log(
        `would roll ${DEPLOYMENT_NAME} back on the ${target} target ${values["run-id"] ? `to run ${values["run-id"]}` : "to the previous revision"} (expecting run ${image.runId})`,
      );
      return;
    }

    if (target === "local") {
      const local = localTarget({ stateDir: deployed.stateDir });
      const live = await rollbackLocal(local, image, { toRunId: values["run-id"], signal });
      await printLocalHistory(local);
      deployed.history = [...history, image.runId];
      deployed.url = live.url;
      await save();
      if (!live.matches)
        throw new Error("After the rollback, the local target serves another trace than expected");
      heading("what answers now: a prediction after the rollback");
      const after = await predict(local, `step7-${Date.now().toString(36)}`, { signal });
      const answered = answeredBy(after, image);
      if (!answered.ok)
        throw new Error(
          `After the rollback the serving process does not answer as run ${image.runId}: ${answered.problems.join("; ")}`,
        );
      say(
        green(
          `the response (headers and body) and its log line carry run ${image.runId}'s GIT_SHA ${short(answered.gitSha)} and RUN_ID ${answered.runId}`,
        ),
        4,
      );
      console.log(
        `\nstep 7 done: ${DEPLOYMENT_NAME} answers as run ${image.runId} again (revision ${live.revision}, ${live.url}) ${dim(`method ${live.method}`)}`,
      );
      return;
    }

    const kubeconfig = values.kubeconfig ?? deployed.kubeconfig;
    const kube = new KubeClient({ ...(kubeconfig ? { kubeconfig } : {}) });
    try {
      const live = await rollbackTo(kube, image, { toRunId: values["run-id"], signal });
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
