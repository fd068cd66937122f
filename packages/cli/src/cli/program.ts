import type { Command } from "commander";
import { cleanCommand } from "../commands/clean-command.js";
import { contextCommand } from "../commands/context-command.js";
import { deployCommand } from "../commands/deploy-command.js";
import { historyCommand } from "../commands/history-command.js";
import { imageCommand } from "../commands/image-command.js";
import { jobCommand } from "../commands/job-command.js";
import { modelCommand } from "../commands/model-command.js";
import { reproduceCommand } from "../commands/reproduce-command.js";
import { rollbackCommand } from "../commands/rollback-command.js";
import { traceCommand } from "../commands/trace-command.js";
import { verifyCommand } from "../commands/verify-command.js";
import { VERSION } from "../version.js";
import type { CliApp } from "./cli-app.js";
import { newCommand } from "./command-builder.js";

/** The command groups and commands of `modeltrail`, in the order `--help` lists them. */
export type CommandFactory = (app: CliApp) => Command;

const EXIT_CODE_HELP = `
Exit codes:
  0    the command did what was asked
  1    it failed (service error, failed run or rollout, bad configuration)
  2    usage error (unknown command or option, missing or malformed argument)
  3    verify ran and at least one check failed, or the deploy gate (deploy --verify)
       refused the image
  4    reproduce ran and something differs from the original run
  130  interrupted

Configuration comes from the same environment variables and files as the libraries:
  MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, ... (MLflow)
  DATABRICKS_HOST, DATABRICKS_TOKEN, ..., ~/.databrickscfg (Databricks unified auth)
  KUBECONFIG or ~/.kube/config (Kubernetes), DOCKER_CONFIG or ~/.docker/config.json (registries)
  AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID (Azure Container Registry)
  MODELTRAIL_REGISTRY (image repository), MODELTRAIL_DEPLOY_TARGET (k8s or local),
  MODELTRAIL_PUBLIC_KEY (the provenance public key of verify and deploy --verify),
  MODELTRAIL_HOME (local state directory, default ./.modeltrail)`;

/** Builds the `modeltrail` program with every command attached to `app`. */
export function buildProgram(app: CliApp, factories: readonly CommandFactory[]): Command {
  const program = newCommand(
    app.io,
    "modeltrail",
    "Trace ML models from commit to prediction, deploy them, verify every link, and roll back.",
    [],
  )
    .name("modeltrail")
    .version(VERSION, "-V, --version", "print the version")
    .option("--json", "print one JSON document on stdout instead of text")
    .option("--debug", "print stack traces and redacted HTTP debug events on stderr")
    .helpCommand(true)
    .addHelpText("after", EXIT_CODE_HELP);
  for (const factory of factories) program.addCommand(factory(app));
  return program;
}

/** Every command of `modeltrail`. */
export const COMMANDS: readonly CommandFactory[] = [
  contextCommand,
  jobCommand,
  modelCommand,
  imageCommand,
  deployCommand,
  historyCommand,
  rollbackCommand,
  traceCommand,
  verifyCommand,
  reproduceCommand,
  cleanCommand,
];
