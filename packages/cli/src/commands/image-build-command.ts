import { createPublicKey, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runIdOf, type TraceContext } from "@modeltrail/core";
import type { MlflowClient, ModelVersion } from "@modeltrail/mlflow";
import {
  attachLayoutProvenance,
  attachProvenance,
  type BuiltImage,
  buildModelImage,
  type ImageSource,
  layoutImageSource,
  modelProvenance,
  parsePlatform,
  type RegistryClient,
  registryImageSource,
  verifyLayoutProvenance,
  verifyProvenance,
} from "@modeltrail/registry";
import type { Command } from "commander";
import type { CliApp, RunContext } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { collect, keyValue, runId } from "../cli/option-parsers.js";
import { formatBytes } from "../cli/output.js";
import { UsageError } from "../cli/usage-error.js";
import { mlflowClient, registryClient } from "../config/clients.js";
import { detectContext } from "../config/detect-context.js";
import { imageLocation } from "../config/image-target.js";
import { findMlflowRun, traceOfRun } from "../config/mlflow-run-lookup.js";
import { readSigningKey, signingKeyFile } from "../config/signing-key.js";

interface ImageBuildOptions {
  runId?: string;
  modelName?: string;
  modelVersion?: string;
  artifactPath: string;
  modelDir?: string;
  base?: string;
  appDir?: string;
  cmd?: string;
  entrypoint?: string;
  workdir?: string;
  env?: Record<string, string>;
  tag?: string[];
  platform?: string;
  repository?: string;
  layout?: string;
  signingKey?: string;
}

/** `modeltrail image build`: the model of a run in a container image tagged with the run id. */
export function imageBuildCommand(app: CliApp): Command {
  const cmd = newCommand(
    app.io,
    "build",
    "Build a container image (no Docker engine) holding the model version of a training run and optionally a serving app, with the trace in its env (GIT_SHA, RUN_ID, ...) and annotations, tagged with the run id; push it to a registry and/or write an OCI layout. Reproducible: the same inputs give the same digest.",
    [
      "modeltrail image build --run-id 1795788642450001 --base python:3.12-slim --app-dir serving --repository myacr.azurecr.io/models/churn",
      "modeltrail image build --model-name churn --model-version 3 --layout .modeltrail/images",
      "modeltrail image build --run-id 1795788642450001 --repository myacr.azurecr.io/models/churn --signing-key signing.key",
    ],
  )
    .option("--run-id <id>", "the training run (Databricks job run id or MLflow run id)", runId)
    .option(
      "--model-name <name>",
      "the registered model (with --model-version, or to pick among a run's versions)",
    )
    .option("--model-version <version>", "the model version to build")
    .option(
      "--artifact-path <path>",
      "where the run logged the model (when it has no registered version)",
      "model",
    )
    .option("--model-dir <dir>", "use this local model directory instead of downloading it (needs --run-id)")
    .option("--base <image>", "the base image: a registry reference, or oci:DIR[:TAG] for a layout")
    .option("--app-dir <dir>", "a serving app directory, added as a second layer")
    .option("--cmd <json>", 'the container command, as a JSON array: \'["python","-m","app"]\'')
    .option("--entrypoint <json>", "the container entrypoint, as a JSON array")
    .option("--workdir <dir>", "the container working directory")
    .option("--env <key=value>", "an extra container env variable (repeatable)", keyValue)
    .option("--tag <tag>", "an extra tag besides the run id (repeatable)", collect)
    .option("--platform <os/arch>", "platform of an image without base (default linux/amd64)")
    .option("--repository <repo>", "push to this registry repository (default: MODELTRAIL_REGISTRY)")
    .option(
      "--layout <dir>",
      "also write the image into this OCI layout directory (besides pushing to MODELTRAIL_REGISTRY, if set)",
    )
    .option(
      "--signing-key <file>",
      "sign SLSA provenance of the image with this unencrypted PEM private key (Ed25519 or ECDSA P-256) and attach it: a referrer and cosign's sha256-<digest>.att tag in the registry, the .att tag in the layout (default: MODELTRAIL_SIGNING_KEY); deploy --verify --public-key then checks it",
    );
  return app.handle<ImageBuildOptions>(cmd, async (run) => {
    const { opts, out } = run;
    const cmdArray = opts.cmd === undefined ? undefined : jsonArray("--cmd", opts.cmd);
    const entrypoint = opts.entrypoint === undefined ? undefined : jsonArray("--entrypoint", opts.entrypoint);
    if (!opts.runId && !(opts.modelName && opts.modelVersion))
      throw new UsageError("image build needs --run-id, or --model-name with --model-version");
    if (opts.modelDir && !opts.runId)
      throw new UsageError("--model-dir needs --run-id (the run the model comes from)");
    const where = imageLocation(opts, run.io.env, true, true);
    // the key is read before anything is built: a key that cannot sign fails fast (exit 2)
    const keyFile = signingKeyFile(opts, run.io.env);
    const signingKey = keyFile ? await readSigningKey(keyFile, run.io.cwd) : undefined;
    const registry = where.repository ? registryClient(run, where.repository) : undefined;
    const mlflow = await mlflowClient(run);
    const staging = await mkdtemp(join(tmpdir(), "modeltrail-image-"));
    try {
      await mkdir(join(staging, "layers"));
      const model = await resolveModel(run, mlflow);
      let modelDir: string;
      if (opts.modelDir) modelDir = resolve(run.io.cwd, opts.modelDir);
      else modelDir = await downloadModel(run, mlflow, model.uri, staging);
      const here = (await detectContext(run.io)).context;
      // The model's trace (its commit, job, run, data) is what the image carries; the CI that builds
      // the image is recorded from here.
      const ctx = model.ctx.with({ ci: here.ci ? { ...here.ci } : undefined });
      const base = opts.base
        ? await baseImage(run, registry ?? registryClient(run), opts.base, opts.platform)
        : undefined;
      out.status(
        `building the image of run ${runIdOf(ctx)?.runId ?? "?"}${where.repository ? ` for ${where.repository}` : ""}`,
      );
      const built = await buildModelImage({
        ctx,
        modelDir,
        ...(opts.appDir ? { appDir: resolve(run.io.cwd, opts.appDir) } : {}),
        ...(base ? { base } : {}),
        ...(cmdArray ? { cmd: cmdArray } : {}),
        ...(entrypoint ? { entrypoint } : {}),
        ...(opts.workdir ? { workingDir: opts.workdir } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.tag ? { tags: opts.tag } : {}),
        ...(opts.platform && !base ? { platform: parsePlatform(opts.platform) } : {}),
        ...(registry && where.repository ? { push: { client: registry, repository: where.repository } } : {}),
        ...(where.layout ? { layout: resolve(run.io.cwd, where.layout) } : {}),
        stagingDir: join(staging, "layers"),
        signal: run.signal,
      });
      const provenance = signingKey
        ? await signProvenance(run, built, ctx, signingKey, {
            repository: where.repository,
            registry,
          })
        : undefined;
      const data = {
        digest: built.digest,
        ref: built.pushed?.ref ?? (built.layout ? `oci:${built.layout}@${built.digest}` : undefined),
        pushed: built.pushed?.ref,
        layout: built.layout,
        tags: built.tags,
        runId: built.runId,
        gitSha: ctx.code?.gitSha,
        model: model.version ? { name: model.version.name, version: model.version.version } : undefined,
        mlflowRunId: ctx.model?.mlflowRunId,
        modelLayer: { digest: built.modelLayer.digest, size: built.modelLayer.size },
        base: built.base,
        blobs: built.pushed?.blobs,
        attestation: provenance?.attestation,
        provenance: provenance ?? { signed: false },
        context: ctx.toJSON(),
      };
      return {
        data,
        print: (o) =>
          o.keyValues([
            ["image", data.ref],
            ["digest", built.digest],
            ["tags", built.tags.join(", ")],
            ["run id", built.runId],
            ["commit", data.gitSha],
            ["model", data.model ? `${data.model.name} v${data.model.version}` : `runs:/${data.mlflowRunId}`],
            ["model layer", `${built.modelLayer.digest} (${formatBytes(built.modelLayer.size)})`],
            ["base", built.base ? `${built.base.name}@${built.base.digest}` : undefined],
            ["layout", built.layout],
            [
              "provenance",
              provenance
                ? `signed (${provenance.keyType}), verified: ${[
                    provenance.registry ? `referrer ${provenance.registry.digest}` : undefined,
                    provenance.layout ? `${provenance.layout.tag} in the layout` : undefined,
                  ]
                    .filter(Boolean)
                    .join(", ")}`
                : "not signed (no --signing-key)",
            ],
          ]),
      };
    } finally {
      await rm(staging, { recursive: true, force: true });
      await mlflow.close();
      await registry?.close();
    }
  });
}

/** The signed provenance of a built image, as the result reports it. */
interface SignedProvenance {
  signed: true;
  /** The attestation's manifest digest: the registry's referrer when pushed, else the layout's. */
  attestation: string;
  keyType: "ed25519" | "ecdsa-p256";
  /** The builder id the statement records. */
  builder: string;
  registry?: { digest: string; indexedBy: "api" | "tag-schema"; cosignTag?: string | undefined } | undefined;
  layout?: { digest: string; tag: string } | undefined;
}

/**
 * Signs the image's SLSA provenance (`modelProvenance`: commit, base image, model layer, CI
 * builder) with the key, attaches it where the image went (`attachProvenance` to the pushed image,
 * `attachLayoutProvenance` to the image in the layout), and verifies each back with the key's
 * public half, so that a key that signs something else fails here and not at the deploy gate.
 */
async function signProvenance(
  run: RunContext<ImageBuildOptions>,
  built: BuiltImage,
  ctx: TraceContext,
  signingKey: KeyObject,
  where: { repository?: string | undefined; registry?: RegistryClient | undefined },
): Promise<SignedProvenance> {
  const call = { signal: run.signal };
  const publicKey = createPublicKey(signingKey);
  const statement = modelProvenance({
    image: {
      repository: built.pushed && where.repository ? where.repository : `oci:${built.layout}`,
      digest: built.digest,
    },
    ctx,
    base: built.base,
    modelLayer: built.modelLayer,
    internalParameters: { compression: built.modelLayer.compression },
  });
  let registry: SignedProvenance["registry"];
  if (built.pushed && where.registry) {
    run.out.status(`signing the provenance of ${built.pushed.ref}`);
    const attached = await attachProvenance(where.registry, built.pushed.ref, statement, {
      signingKey,
      ...call,
    });
    await verifyProvenance(where.registry, built.pushed.ref, publicKey, call);
    registry = { digest: attached.digest, indexedBy: attached.indexedBy, cosignTag: attached.cosignTag };
  }
  let layout: SignedProvenance["layout"];
  if (built.layout) {
    run.out.status(`signing the provenance of ${built.digest} in ${built.layout}`);
    layout = await attachLayoutProvenance(built.layout, built.digest, statement, signingKey);
    await verifyLayoutProvenance(built.layout, { digest: built.digest }, publicKey);
  }
  const attestation = registry?.digest ?? layout?.digest;
  if (!attestation)
    throw new UsageError(
      "--signing-key: the image was neither pushed nor written to an OCI layout, so there is nothing to sign",
      {
        hint: "Push the image (--repository / MODELTRAIL_REGISTRY) or write it to an OCI layout (--layout DIR) to sign its provenance",
      },
    );
  return {
    signed: true,
    attestation,
    keyType: signingKey.asymmetricKeyType === "ed25519" ? "ed25519" : "ecdsa-p256",
    builder: statement.predicate.runDetails.builder.id,
    ...(registry ? { registry } : {}),
    ...(layout ? { layout } : {}),
  };
}

interface ResolvedModel {
  ctx: TraceContext;
  /** The artifact URI to download. */
  uri: string;
  version?: { name: string; version: string } | undefined;
}

/** The model version (or the run's logged model) to build, with its trace. */
async function resolveModel(
  run: RunContext<ImageBuildOptions>,
  mlflow: MlflowClient,
): Promise<ResolvedModel> {
  const { opts } = run;
  const call = { signal: run.signal };
  if (opts.modelName && opts.modelVersion) {
    const ctx = await mlflow.traceOfModelVersion(opts.modelName, opts.modelVersion, call);
    const version = { name: opts.modelName, version: opts.modelVersion };
    if (opts.runId && ctx.job?.runId !== opts.runId && ctx.model?.mlflowRunId !== opts.runId)
      throw new UsageError(`${opts.modelName} v${opts.modelVersion} was not trained by run ${opts.runId}`);
    return { ctx, uri: `models:/${opts.modelName}/${opts.modelVersion}`, version };
  }
  const id = opts.runId!;
  const versions: ModelVersion[] = [];
  for await (const mv of mlflow.findModelVersions({ runId: id }, { name: opts.modelName, ...call })) {
    versions.push(mv);
    if (versions.length > 20) break;
  }
  const names = new Set(versions.map((v) => v.name));
  if (names.size > 1)
    throw new UsageError(
      `Run ${id} has versions of several models (${[...names].sort().join(", ")}); choose one with --model-name`,
    );
  if (versions.length > 0) {
    const newest = versions.reduce((a, b) => (Number(b.version) > Number(a.version) ? b : a));
    const ctx = await mlflow.traceOfModelVersion(newest.name, newest.version, call);
    return {
      ctx,
      uri: `models:/${newest.name}/${newest.version}`,
      version: { name: newest.name, version: String(newest.version) },
    };
  }
  // No registered version: the model the run logged, with the run's trace.
  const trainingRun = await findMlflowRun(mlflow, id, call);
  return {
    ctx: traceOfRun(trainingRun),
    uri: `runs:/${trainingRun.info.run_id}/${opts.artifactPath.replace(/^\/+|\/+$/g, "")}`,
  };
}

/**
 * Downloads the model files (streamed, size-checked) with a progress bar on a terminal: a
 * `models:/` version as MLflow resolves it (the registry's download URI, Unity Catalog's storage),
 * a `runs:/` path also when it is an MLflow 3 logged model of the run.
 */
async function downloadModel(
  run: RunContext<ImageBuildOptions>,
  mlflow: MlflowClient,
  uri: string,
  staging: string,
): Promise<string> {
  run.out.status(`downloading ${uri}`);
  const bar = run.out.progress("model", { unit: "bytes" });
  const result = await mlflow.download(uri, join(staging, "download"), {
    signal: run.signal,
    onProgress: (p) => {
      if (p.bytesTotal !== undefined) bar.setTotal(p.bytesTotal);
      bar.update(p.bytesDone, p.currentPath);
    },
  });
  bar.stop();
  run.out.status(`downloaded ${result.files.length} files, ${formatBytes(result.bytes)}`);
  return result.localPath;
}

async function baseImage(
  run: RunContext<ImageBuildOptions>,
  client: RegistryClient,
  ref: string,
  platform: string | undefined,
): Promise<ImageSource> {
  const plat = platform ? { platform: parsePlatform(platform) } : {};
  if (ref.startsWith("oci:")) {
    const spec = ref.slice(4);
    const at = spec.lastIndexOf("@");
    const colon = spec.lastIndexOf(":");
    const [dir, sel] =
      at > 0
        ? [spec.slice(0, at), { digest: spec.slice(at + 1) }]
        : colon > 0
          ? [spec.slice(0, colon), { tag: spec.slice(colon + 1) }]
          : [spec, {}];
    return layoutImageSource(resolve(run.io.cwd, dir), sel, plat);
  }
  return registryImageSource(client, ref, { ...plat, signal: run.signal });
}

function jsonArray(option: string, value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`${option} must be a JSON array of strings, e.g. '["python","-m","app"]'`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((s) => typeof s === "string"))
    throw new UsageError(`${option} must be a non-empty JSON array of strings`);
  return parsed as string[];
}
