import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { jobDeployCommand } from "./job-deploy-command.js";
import { jobRenderCommand } from "./job-render-command.js";
import { jobRunCommand } from "./job-run-command.js";

/** `modeltrail job`: render, deploy and run Databricks jobs. */
export function jobCommand(app: CliApp): Command {
  return newCommand(app.io, "job", "Render, deploy and run the training job (Databricks Jobs, or here).", [
    "modeltrail job render pipeline/job.template.yaml",
    "modeltrail job deploy pipeline/job.template.yaml && modeltrail job run 1795788642450000 --wait",
  ])
    .addCommand(jobRenderCommand(app))
    .addCommand(jobDeployCommand(app))
    .addCommand(jobRunCommand(app));
}
