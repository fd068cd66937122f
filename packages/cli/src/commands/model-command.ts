import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { modelFindCommand } from "./model-find-command.js";
import { modelRegisterCommand } from "./model-register-command.js";

/** `modeltrail model`: register and find traceable MLflow model versions. */
export function modelCommand(app: CliApp): Command {
  return newCommand(app.io, "model", "Register and find MLflow model versions that carry their trace.", [
    "modeltrail model register --run-id 1795788642450001 --name churn",
    "modeltrail model find --git-sha 3f2a9c1",
  ])
    .addCommand(modelRegisterCommand(app))
    .addCommand(modelFindCommand(app));
}
