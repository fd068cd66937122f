import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { relative } from "node:path";
import { runIdOf, type TraceContext, toAnnotations, toEnv, toK8sLabels } from "@modeltrail/core";
import type { MlflowClient } from "@modeltrail/mlflow";
import { DEMO_DIR, REPO_ROOT } from "../lib/paths.ts";
import { dim, heading, keyValues, say, table } from "../lib/print.ts";

/** The container registry the reference pipeline pushes to (Azure Container Registry in production). */
export const IMAGE_REPOSITORY = "modeltraildemo.azurecr.io/churn-model";

/** What the CD step produced. */
export interface CdResult {
  /** Where the model was downloaded. */
  modelDir: string;
  files: Array<{ path: string; size: number; sha256: string }>;
  /** sha256 over the sorted `sha256  path` lines of the files: one digest for the whole model. */
  treeSha256: string;
  /** The context the image and the Deployment carry. */
  servingCtx: TraceContext;
  /** The env of the serving container (`toEnv`). */
  env: Record<string, string>;
  /** The Deployment's annotations (`toAnnotations`). */
  annotations: Record<string, string>;
  /** The Deployment's labels (`toK8sLabels`). */
  labels: Record<string, string>;
}

/**
 * Step 4, CD: downloads the model by its MLflow run id into .tmp/demo/model with the artifacts API
 * (streamed, size-checked, atomic per file), hashes the files, and prints what the container image
 * and the Kubernetes Deployment would carry: the image tagged with "the run id" (the Databricks job
 * run id, `runIdOf`), env (GIT_SHA, RUN_ID, ...), annotations and labels. Throws NotFoundError when
 * the run has no `model` directory, and the artifact client's errors.
 */
export async function cdStep(
  client: MlflowClient,
  modelCtx: TraceContext,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<CdResult> {
  const runId = modelCtx.model?.mlflowRunId;
  if (!runId) throw new Error("The model's trace has no MLflow run id");
  // The image is named with "the run id": the Databricks job run id (DBR_RUN_ID), or the MLflow run id
  // for a model trained outside a job (reference pipeline, step 4; DESIGN.md, "Which id is which").
  const theRunId = runIdOf(modelCtx);
  if (!theRunId) throw new Error("The model's trace has no run id");
  const imageRef = `${IMAGE_REPOSITORY}:${theRunId.runId}`;
  const modelDir = `${DEMO_DIR}/model`;
  await rm(modelDir, { recursive: true, force: true });

  heading(
    `client.artifacts.download({ runId: "${runId}", path: "model" }, "${relative(REPO_ROOT, DEMO_DIR)}")`,
  );
  const result = await client.artifacts.download({ runId, path: "model" }, DEMO_DIR, {
    signal: options.signal,
  });
  const files: CdResult["files"] = [];
  for (const f of [...result.files].sort((a, b) => a.path.localeCompare(b.path))) {
    files.push({ path: f.path, size: f.size, sha256: await sha256File(f.localPath) });
  }
  for (const f of files) say(`${f.sha256}  ${String(f.size).padStart(6)}  ${f.path}`, 4);
  const treeSha256 = createHash("sha256")
    .update(files.map((f) => `${f.sha256}  ${f.path}\n`).join(""))
    .digest("hex");
  say(
    dim(
      `${files.length} files, ${result.bytes} bytes in ${relative(REPO_ROOT, result.localPath)}; model digest sha256:${treeSha256}`,
    ),
    4,
  );

  const servingCtx = modelCtx.with({
    image: { ref: imageRef },
    deployment: {
      platform: "kubernetes",
      cluster: "aks-demo-westeurope",
      namespace: "ml-serving",
      name: "churn-model",
    },
    environment: { name: "dev" },
    extra: { "model.sha256": treeSha256 },
  });
  const env = toEnv(servingCtx);
  const annotations = toAnnotations(servingCtx, { created: new Date().toISOString() });
  const labels = toK8sLabels(servingCtx);

  heading(
    `the container's environment: toEnv(ctx)  ${dim("(GIT_SHA, RUN_ID = the job run id, JOB_ID + the full namespaced set)")}`,
  );
  keyValues(env);
  heading("the image's labels and the Deployment's annotations: toAnnotations(ctx)");
  keyValues(annotations, 4, ": ");
  heading(`the Deployment's labels (selectable, <= 63 chars): toK8sLabels(ctx)`);
  keyValues(labels, 4, ": ");
  console.log("");
  say(
    dim(
      `Building and pushing ${imageRef} and deploying it are the future @modeltrail/registry and @modeltrail/k8s packages.`,
    ),
  );
  table([
    [
      "image (would be)",
      `${imageRef}  ${dim(theRunId.fallback ? "(MLflow run id: no job run)" : "(the job run id, DBR_RUN_ID)")}`,
    ],
  ]);
  return { modelDir, files, treeSha256, servingCtx, env, annotations, labels };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
