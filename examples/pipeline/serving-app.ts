import { existsSync } from "node:fs";
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { DEMO_DIR, EXAMPLES_DIR } from "../lib/paths.ts";
import type { ServingApp } from "./build-image.ts";

/** The reference serving app's Python package (examples/serving, the FastAPI app). */
export const SERVING_APP_PACKAGE = join(EXAMPLES_DIR, "serving", "modeltrail_serving");

/**
 * Stages the serving app for the image's app layer: a copy of its Python package without
 * `__pycache__` and `.pyc` files (written when its tests or the app ran; they would change the
 * layer's digest from run to run), under `<demo dir>/app/modeltrail_serving`. The image runs it as
 * `python -m modeltrail_serving` in `/opt/app`, reading the model from `MODEL_DIR` (`/opt/model`,
 * where `buildModelImage` puts the model layer). Returns undefined when the app is not in this
 * checkout.
 */
export async function stageServingApp(): Promise<ServingApp | undefined> {
  if (!existsSync(join(SERVING_APP_PACKAGE, "__main__.py"))) return undefined;
  const dir = join(DEMO_DIR, "app");
  await rm(dir, { recursive: true, force: true });
  await cp(SERVING_APP_PACKAGE, join(dir, "modeltrail_serving"), {
    recursive: true,
    filter: (src) => !src.split(/[\\/]/).includes("__pycache__") && !src.endsWith(".pyc"),
  });
  return { dir, cmd: ["python", "-m", "modeltrail_serving"], workingDir: "/opt/app" };
}
