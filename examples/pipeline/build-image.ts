import { createHash, type KeyObject } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { runIdOf, type TraceContext } from "@modeltrail/core";
import type { MlflowClient } from "@modeltrail/mlflow";
import {
  attachLayoutProvenance,
  attachProvenance,
  type BuiltImage,
  buildModelImage,
  modelProvenance,
  type RegistryClient,
  verifyLayoutProvenance,
  verifyProvenance,
} from "@modeltrail/registry";
import { DEMO_DIR, REPO_ROOT } from "../lib/paths.ts";
import { dim, green, heading, keyValues, say, short, table } from "../lib/print.ts";
import { progress } from "../lib/progress.ts";
import type { BaseImage } from "./base-image.ts";

/** The repository name of the model images: in the layout's annotations, the provenance subject, the Deployment. */
export const IMAGE_NAME = "modeltrail-demo/churn-model";

/** The serving app that goes into the image, and how the image starts it. */
export interface ServingApp {
  /** The app's directory (its layer, at `/opt/app`). */
  dir: string;
  /** The container command. */
  cmd: string[];
  /** The container's working directory. */
  workingDir: string;
}

/** Options of {@link buildRunImage}. */
export interface BuildRunImageOptions {
  /** The base image (`makeBaseImage`). */
  base: BaseImage;
  /** The OCI layout the images go to (always written: the local deploy target runs from it). */
  layoutDir: string;
  /** Also push to this registry repository (`MODELTRAIL_REGISTRY`). */
  push?: { client: RegistryClient; repository: string } | undefined;
  /** The serving app, when there is one to put in the image. */
  app?: ServingApp | undefined;
  /** The key the provenance is signed with, and the public key it is checked with. */
  signingKey: KeyObject;
  publicKey: KeyObject;
  signal?: AbortSignal | undefined;
}

/** What {@link buildRunImage} built. */
export interface RunImage {
  /** The run id the image is tagged with (job run id, or MLflow run id) and its kind. */
  runId: string;
  runIdKind: "job-run" | "mlflow-run";
  /** Manifest digest. */
  digest: string;
  /** The image in the layout: `oci:<dir>:<run id>`. */
  layoutRef: string;
  /** The pushed reference by digest, when pushed. */
  pushedRef: string | undefined;
  /** The reference a Deployment uses: the pushed one, else `<IMAGE_NAME>:<run id>@<digest>` (not pullable). */
  deployRef: string;
  /** The model files, downloaded by run id, and one digest over them. */
  modelDir: string;
  modelFiles: number;
  modelTreeSha256: string;
  /** True when the serving app is in the image. */
  withApp: boolean;
  /** The trace the image carries (the model version's, with image ref and digest). */
  ctx: TraceContext;
  /** The image's manifest annotations (the trace, OCI keys). */
  annotations: Record<string, string>;
  /** The env of the image config (GIT_SHA, RUN_ID, ...). */
  env: Record<string, string>;
  /** Signed provenance: where it is stored and that it verified. */
  provenance: { attestation: string; where: "layout" | "registry"; verified: boolean; builder: string };
  built: BuiltImage;
}

/**
 * Step 4, build the image of a run: downloads the model version's files by their MLflow run id
 * (`client.artifacts.download`), builds the image with `buildModelImage` on the demo's base image
 * (model layer, serving app layer when there is an app, the trace in `Env`, labels and annotations),
 * tagged with the run id (`runIdOf`: the Databricks job run id), into the OCI layout and, with
 * `push`, to a registry; then signs SLSA provenance (`modelProvenance`, DSSE with the demo's key) and
 * attaches it (to the layout as a cosign-style `.att`, or with `attachProvenance` to the registry) and
 * verifies it back. Throws when the trace has no run id, and the clients' errors.
 */
export async function buildRunImage(
  client: MlflowClient,
  modelCtx: TraceContext,
  options: BuildRunImageOptions,
): Promise<RunImage> {
  const { signal } = options;
  const mlflowRunId = modelCtx.model?.mlflowRunId;
  const run = runIdOf(modelCtx);
  if (!mlflowRunId || !run) throw new Error("The model version's trace has no MLflow run id");

  const downloadTo = join(DEMO_DIR, "models", mlflowRunId);
  await rm(downloadTo, { recursive: true, force: true });
  heading(
    `client.artifacts.download({ runId: "${mlflowRunId}", path: "model" }, "${relative(REPO_ROOT, downloadTo)}")`,
  );
  const bar = progress("model", { unit: "bytes" }); // on a terminal only
  const downloaded = await client.artifacts
    .download({ runId: mlflowRunId, path: "model" }, downloadTo, {
      signal,
      onProgress: (p) => {
        if (p.bytesTotal !== undefined) bar.setTotal(p.bytesTotal);
        bar.update(p.bytesDone, p.currentPath);
      },
    })
    .finally(() => bar.stop());
  const hashes: string[] = [];
  for (const f of [...downloaded.files].sort((a, b) => a.path.localeCompare(b.path)))
    hashes.push(`${await sha256File(f.localPath)}  ${f.path}\n`);
  const modelTreeSha256 = createHash("sha256").update(hashes.join("")).digest("hex");
  say(
    dim(
      `${downloaded.files.length} files, ${downloaded.bytes} bytes; model digest sha256:${modelTreeSha256}`,
    ),
    4,
  );
  const modelDir = downloaded.localPath;

  const app = options.app;
  const ctx = modelCtx.with({ extra: { "model.sha256": modelTreeSha256 } });
  heading(
    `buildModelImage({ base, modelDir, ${app ? "appDir, cmd, " : ""}ctx, layout${options.push ? ", push" : ""} })`,
  );
  // a bar per target (the layout, the registry) as the blobs are stored: on a terminal only
  let storing: { phase: string; bar: ReturnType<typeof progress> } | undefined;
  const built = await buildModelImage({
    onProgress: (p) => {
      if (p.phase === "build") return;
      if (storing?.phase !== p.phase) {
        storing?.bar.stop();
        storing = {
          phase: p.phase,
          bar: progress(p.phase === "push" ? "push" : "image", { unit: "bytes", total: p.total }),
        };
      }
      storing.bar.update(p.done, p.current);
    },
    base: options.base.source,
    modelDir,
    modelPath: "/opt/model",
    ...(app ? { appDir: app.dir, appPath: "/opt/app", cmd: app.cmd, workingDir: app.workingDir } : {}),
    env: { MODEL_DIR: "/opt/model" }, // where the serving app loads the model from
    ctx,
    layout: options.layoutDir,
    ...(options.push ? { push: options.push } : {}),
    signal,
  }).finally(() => storing?.bar.stop());
  const layoutRef = `oci:${relative(REPO_ROOT, options.layoutDir)}:${built.runId}`;
  const pushedRef = built.pushed?.ref;
  const deployRef = pushedRef
    ? `${options.push!.repository}:${built.runId}@${built.digest}`
    : `${IMAGE_NAME}:${built.runId}@${built.digest}`;
  const imageCtx = ctx.with({ image: { ref: deployRef, digest: built.digest } });
  const env: Record<string, string> = {};
  for (const line of built.config.config?.Env ?? []) {
    const eq = line.indexOf("=");
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  table([
    [
      "tag",
      `${built.runId}  ${dim(run.fallback ? "(the MLflow run id: no job run)" : "(the job run id, DBR_RUN_ID)")}`,
    ],
    ["digest", built.digest],
    ["layout", layoutRef],
    ["pushed", pushedRef],
    [
      "layers",
      `${built.manifest.layers.length}: base ${short(options.base.digest.slice(7))}..., model ${short(built.modelLayer.digest.slice(7))}...${built.appLayer ? `, app ${short(built.appLayer.digest.slice(7))}...` : ""}`,
    ],
    ["cmd", app ? app.cmd.join(" ") : undefined],
  ]);
  if (!app)
    say(
      dim(
        "no serving app layer: the serving app (examples/serving) is not in this checkout yet, so this image holds the base and the model and no command",
      ),
      4,
    );
  heading("its config Env (what the container starts with)");
  keyValues(
    Object.fromEntries(Object.entries(env).filter(([k]) => ["GIT_SHA", "RUN_ID", "JOB_ID"].includes(k))),
    4,
  );
  say(dim(`+ ${Object.keys(env).length - 3} more (MODELTRAIL_*, PATH, ...)`), 4);

  // Signed provenance: in-toto Statement v1 + SLSA provenance v1, DSSE-signed with the demo's key.
  const statement = modelProvenance({
    image: { repository: options.push?.repository ?? IMAGE_NAME, digest: built.digest },
    ctx,
    base: built.base,
    modelLayer: built.modelLayer,
    internalParameters: { compression: built.modelLayer.compression },
  });
  let provenance: RunImage["provenance"];
  if (options.push && pushedRef) {
    const attached = await attachProvenance(options.push.client, pushedRef, statement, {
      signingKey: options.signingKey,
      signal,
    });
    const verified = await verifyProvenance(
      options.push.client,
      `${options.push.repository}:${built.runId}`,
      options.publicKey,
      { signal },
    );
    provenance = {
      attestation: attached.digest,
      where: "registry",
      verified: verified.digest === built.digest,
      builder: verified.statement.predicate.runDetails.builder.id,
    };
  } else {
    const attached = await attachLayoutProvenance(
      options.layoutDir,
      built.digest,
      statement,
      options.signingKey,
    );
    const verified = await verifyLayoutProvenance(options.layoutDir, built.runId, options.publicKey);
    provenance = {
      attestation: attached.digest,
      where: "layout",
      verified: verified.digest === built.digest,
      builder: verified.statement.predicate.runDetails.builder.id,
    };
  }
  heading("signed provenance (SLSA v1 in an in-toto Statement, DSSE, Ed25519)");
  table([
    [
      "attestation",
      `${provenance.attestation} ${dim(`(${provenance.where === "layout" ? "tag sha256-<digest>.att in the layout" : "referrer + .att tag in the registry"})`)}`,
    ],
    ["subject", `${statement.subject[0]?.name}@sha256:${short(statement.subject[0]?.digest.sha256, 16)}...`],
    [
      "depends on",
      statement.predicate.buildDefinition.resolvedDependencies
        .map((d) => `${d.name} ${d.digest ? Object.entries(d.digest)[0]?.join(":").slice(0, 24) : ""}`)
        .join(", "),
    ],
    ["verified", provenance.verified ? green("yes: signature, statement type and subject digest") : "NO"],
  ]);
  if (!provenance.verified) throw new Error(`The provenance of ${layoutRef} did not verify`);

  return {
    runId: built.runId,
    runIdKind: run.kind,
    digest: built.digest,
    layoutRef,
    pushedRef,
    deployRef,
    modelDir,
    modelFiles: downloaded.files.length,
    modelTreeSha256,
    withApp: Boolean(app),
    ctx: imageCtx,
    annotations: built.manifest.annotations ?? {},
    env,
    provenance,
    built,
  };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
