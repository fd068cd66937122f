import { history } from "@modeltrail/k8s";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { kubeClient } from "../config/clients.js";
import { addDeployTargetOptions, type DeployTargetOptions, deployTarget } from "./deploy-target-options.js";
import { historyResult } from "./deployment-view.js";
import { historyLocal } from "./local-target-commands.js";
import { revisionView } from "./revision-view.js";

/** `modeltrail history NAME`: the revisions of a deployment, each with its run id and commit. */
export function historyCommand(app: CliApp): Command {
  const cmd = addDeployTargetOptions(
    newCommand(
      app.io,
      "history",
      "List the revisions of a deployment, oldest first (as kubectl rollout history), each with the run id, commit and image it ran.",
      [
        "modeltrail history churn -n ml-serving",
        "modeltrail history churn --json | jq '.revisions[-1].runId'",
        "modeltrail history churn --target local",
      ],
    ).argument("<name>", "the deployment name"),
    false,
  );
  return app.handle<DeployTargetOptions>(cmd, async (run) => {
    const [name] = run.args as [string];
    if (deployTarget(run.opts, run.io.env) === "local") return historyLocal(run, name);
    const kube = kubeClient(run, run.opts);
    try {
      const namespace = run.opts.namespace ?? kube.namespace;
      const revisions = (await history(kube, name, { namespace, signal: run.signal })).map(revisionView);
      return historyResult({ target: "k8s", namespace, name }, revisions);
    } finally {
      await kube.close();
    }
  });
}
