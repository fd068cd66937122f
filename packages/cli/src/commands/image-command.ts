import type { Command } from "commander";
import type { CliApp } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { imageBuildCommand } from "./image-build-command.js";
import { imageFindCommand } from "./image-find-command.js";

/** `modeltrail image`: build and find model images. */
export function imageCommand(app: CliApp): Command {
  return newCommand(app.io, "image", "Build model images tagged with their run id, and find them again.", [
    "modeltrail image build --run-id 1795788642450001 --repository myacr.azurecr.io/models/churn",
    "modeltrail image find --run-id 1795788642450001 --repository myacr.azurecr.io/models/churn",
  ])
    .addCommand(imageBuildCommand(app))
    .addCommand(imageFindCommand(app));
}
