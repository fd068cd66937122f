/**
 * Step 4, build the image of each registered version: the model downloaded by its MLflow run id, the
 * serving app, on the demo's base image, tagged with the run id, the trace in its Env, labels and
 * annotations, into an OCI layout (and pushed to MODELTRAIL_REGISTRY when set), with SLSA provenance
 * signed with an Ed25519 key and verified back. Adds the images to the state.
 *
 *   MLFLOW_TRACKING_URI=http://127.0.0.1:5000 node examples/steps/4-build-image.ts
 *   MODELTRAIL_REGISTRY=myacr.azurecr.io/models MODELTRAIL_SIGNING_KEY=key.pem node examples/steps/4-build-image.ts
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseTraceContext } from "@modeltrail/core";
import { MlflowClient } from "@modeltrail/mlflow";
import { chainCredentials, dockerConfigCredentials, RegistryClient } from "@modeltrail/registry";
import { DEMO_DIR, ensureDemoDir } from "../lib/paths.ts";
import { need } from "../lib/state.ts";
import { requireEnv, runStep } from "../lib/step-cli.ts";
import { makeBaseImage } from "../pipeline/base-image.ts";
import { buildRunImage } from "../pipeline/build-image.ts";
import { stageServingApp } from "../pipeline/serving-app.ts";

/** The key the demo makes when MODELTRAIL_SIGNING_KEY is not given (kept for the next builds). */
const DEMO_KEY = join(DEMO_DIR, "keys", "provenance-ed25519.pem");

async function signingKey(): Promise<KeyObject> {
  const given = process.env.MODELTRAIL_SIGNING_KEY?.trim();
  if (given) return createPrivateKey(await readFile(given));
  try {
    return createPrivateKey(await readFile(DEMO_KEY));
  } catch {
    const { privateKey } = generateKeyPairSync("ed25519");
    await mkdir(join(DEMO_DIR, "keys"), { recursive: true, mode: 0o700 });
    await writeFile(DEMO_KEY, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    return privateKey;
  }
}

await runStep<{ "run-id"?: string }>({
  file: "4-build-image.ts",
  summary:
    "Step 4, build: per model version, client.artifacts.download() by run id, buildModelImage() on the base image with the serving app, modelProvenance() signed (DSSE, Ed25519) and verified back.",
  options: { "run-id": { type: "string" } },
  flags: [
    "--run-id ID    only the version of this MLflow run (default: every version of step 3 not built yet)",
  ],
  env: [
    ["MLFLOW_TRACKING_URI", "the MLflow server the model is downloaded from (required)"],
    ["MODELTRAIL_REGISTRY", "also push to <registry>/churn-model (e.g. myacr.azurecr.io/models)"],
    ["DOCKER_CONFIG", "the registry credentials (~/.docker/config.json, credential helpers)"],
    ["MODELTRAIL_SIGNING_KEY", "a PEM private key (Ed25519 or ECDSA P-256) to sign the provenance with"],
  ],
  async run({ values, state, save, dryRun, signal }) {
    const versions = need(state.versions, "registered model versions", "examples/steps/3-register.ts");
    const built = new Set(
      (state.images ?? []).map((i) => String(parseTraceContext(i.ctx).model?.mlflowRunId)),
    );
    const todo = versions.filter((v) =>
      values["run-id"] ? v.mlflowRunId === values["run-id"] : !built.has(v.mlflowRunId),
    );
    requireEnv("MLFLOW_TRACKING_URI", "the MLflow server to download the model from");
    const target = process.env.MODELTRAIL_REGISTRY?.trim().replace(/\/+$/, "");
    if (dryRun) {
      console.log(
        `would build ${todo.map((v) => `${v.name} v${v.version}`).join(", ") || "nothing"} into ${join(DEMO_DIR, "images")}${target ? ` and push to ${target}/churn-model` : ""}`,
      );
      return;
    }
    await ensureDemoDir();
    const key = await signingKey();
    const publicKey = createPublicKey(key);
    const client = await MlflowClient.fromEnv();
    const registry = target
      ? new RegistryClient({ credentials: chainCredentials(dockerConfigCredentials()) })
      : undefined;
    try {
      const base = await makeBaseImage(join(DEMO_DIR, "base-layout"), { signal });
      const app = await stageServingApp();
      for (const v of todo) {
        const img = await buildRunImage(client, parseTraceContext(v.ctx), {
          base,
          layoutDir: join(DEMO_DIR, "images"),
          ...(registry && target ? { push: { client: registry, repository: `${target}/churn-model` } } : {}),
          app,
          signingKey: key,
          publicKey,
          signal,
        });
        state.images = [
          ...(state.images ?? []).filter((i) => i.runId !== img.runId),
          {
            runId: img.runId,
            digest: img.digest,
            layoutDir: join(DEMO_DIR, "images"),
            layoutRef: img.layoutRef,
            pushedRef: img.pushedRef,
            deployRef: img.deployRef,
            ctx: img.ctx.toJSON() as Record<string, unknown>,
          },
        ];
        state.publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
        await save();
        console.log(`\nbuilt ${img.layoutRef} (${img.digest})`);
      }
    } finally {
      await client.close();
      await registry?.close();
    }
  },
});
