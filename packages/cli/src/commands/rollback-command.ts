import type { RunImageResolver } from "@modeltrail/core";
import { rollback } from "@modeltrail/k8s";
import { registryRunImageResolver } from "@modeltrail/registry";
import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { positiveInt, runId } from "../cli/option-parsers.js";
import { UsageError } from "../cli/usage-error.js";
import { kubeClient, registryClient } from "../config/clients.js";
import { imageLocation } from "../config/image-target.js";
import { rolloutProgress } from "./deploy-command.js";
import type { RollbackCommandOptions } from "./deploy-options.js";
import { addDeployTargetOptions, deployTarget } from "./deploy-target-options.js";
import { printRollback, rollbackGoal } from "./deployment-view.js";
import { rollbackLocal } from "./local-target-commands.js";
import { revisionView } from "./revision-view.js";

/** `modeltrail rollback NAME [--run-id ID]`: back to a run's image, or to the previous revision. */
export function rollbackCommand(app: CliApp): Command {
  const cmd = addDeployTargetOptions(
    newCommand(
      app.io,
      "rollback",
      "Roll a deployment back to the image of a run (either kind of run id; a revision that ran it, else the image built for it, found in the registry), to a revision, or to the previous revision when neither is given; wait for the rollout and print what now serves.",
      [
        "modeltrail rollback churn -n ml-serving",
        "modeltrail rollback churn --run-id 1795788642450001 --repository myacr.azurecr.io/models/churn",
        "modeltrail rollback churn --target local --run-id 1795788642450001",
      ],
    ).argument("<name>", "the deployment name"),
  )
    .option("--run-id <id>", "roll back to the image of this run", runId)
    .option("--revision <n>", "roll back to this revision number", positiveInt)
    .option(
      "--repository <repo>",
      "where to find the image of a run no revision ran (default: MODELTRAIL_REGISTRY)",
    )
    .option("--layout <dir>", "local target: the OCI layout to find the image of a run no revision ran");
  return app.handle<RollbackCommandOptions>(cmd, async (run) => {
    const [name] = run.args as [string];
    const { opts, out } = run;
    if (opts.runId !== undefined && opts.revision !== undefined)
      throw new UsageError("give --run-id or --revision, not both");
    if (deployTarget(opts, run.io.env) === "local") return rollbackLocal(run, name);
    const where = opts.runId ? imageLocation(opts, run.io.env, false) : {};
    const registry = where.repository ? registryClient(run, where.repository) : undefined;
    const resolver: RunImageResolver | undefined =
      registry && where.repository ? registryRunImageResolver(registry, where.repository) : undefined;
    const kube = kubeClient(run, opts);
    try {
      const namespace = opts.namespace ?? kube.namespace;
      out.status(`rolling ${namespace}/${name} back to ${rollbackGoal(opts)}`);
      const result = await rollback(kube, name, {
        namespace,
        ...(opts.runId ? { toRunId: opts.runId } : {}),
        ...(opts.revision ? { toRevision: opts.revision } : {}),
        ...(resolver ? { resolver } : {}),
        ...(opts.timeout !== undefined ? { rolloutTimeoutMs: opts.timeout } : {}),
        onProgress: rolloutProgress(out),
        signal: run.signal,
      });
      const live = result.context;
      const data = {
        target: "k8s",
        namespace,
        name,
        method: result.method,
        from: result.from ? revisionView(result.from) : undefined,
        to: result.to ? revisionView(result.to) : undefined,
        image: result.deployment.spec?.template?.spec?.containers?.[0]?.image,
        revision: live.deployment?.revision,
        rolledOut: true,
        runId: live.job?.runId ?? live.model?.mlflowRunId,
        gitSha: live.code?.gitSha,
        context: live.toJSON(),
      };
      return { data, print: (o) => printRollback(o, data, result.method, opts.runId) };
    } finally {
      await kube.close();
      await registry?.close();
    }
  });
}
