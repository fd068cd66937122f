import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CallOptions,
  type CodecOptions,
  ConfigError,
  runIdOf,
  type TraceContext,
  toAnnotations,
  toEnv,
  ValidationError,
} from "@modeltrail/core";
import { canonicalJson } from "./canonical-json.js";
import { sha256Digest } from "./digest.js";
import {
  type BlobInput,
  type BlobStoreResult,
  type ImageDestination,
  type ImageSource,
  storeBlob,
  storeManifest,
} from "./image-store.js";
import { type BuiltLayer, buildLayer, type LayerCompression, sourceDateEpoch } from "./layer-builder.js";
import type { Descriptor, ImageConfig, ImageManifest } from "./manifest-schemas.js";
import { MediaType } from "./media-types.js";
import { OciLayout } from "./oci-layout.js";
import type { PlatformSpec } from "./platform.js";
import {
  formatReference,
  type ImageReference,
  isValidTag,
  parseReference,
  withReference,
} from "./reference.js";
import type { RegistryClient } from "./registry-client.js";

/** Annotation keys the builder sets besides the trace's own. */
export const IMAGE_ANNOTATIONS = {
  version: "org.opencontainers.image.version",
  title: "org.opencontainers.image.title",
  baseName: "org.opencontainers.image.base.name",
  baseDigest: "org.opencontainers.image.base.digest",
  /** On a layer descriptor: `model` or `app`. */
  layerRole: "modeltrail.dev/layer",
  /** On a layer descriptor: `none` or `gzip;level=<n>`. */
  layerCompression: "modeltrail.dev/layer.compression",
} as const;

/** Where the built image goes: a registry repository, an OCI layout directory, or both. */
export interface BuildTargets {
  /** Push to this repository (e.g. `myacr.azurecr.io/models/churn`) with this client. */
  push?: { client: RegistryClient; repository: string | ImageReference } | undefined;
  /** Write into this OCI image layout directory (created when missing). */
  layout?: string | undefined;
}

/** Options of {@link buildModelImage}. */
export interface BuildModelImageOptions extends CallOptions, BuildTargets {
  /**
   * The base image: an {@link ImageSource} (`registryImageSource`, `layoutImageSource`), or none for
   * an image of its own layers only.
   */
  base?: ImageSource | undefined;
  /** The model directory (e.g. the MLflow model downloaded for the run). */
  modelDir: string;
  /** Where the model goes in the image (default `/opt/model`). */
  modelPath?: string | undefined;
  /** An optional serving app directory, as a second layer. */
  appDir?: string | undefined;
  /** Where the app goes in the image (default `/opt/app`). */
  appPath?: string | undefined;
  /** The trace of the run: its env goes into the config, its annotations onto the manifest. */
  ctx: TraceContext;
  /** Codec conventions for env and annotations. */
  conventions?: CodecOptions["conventions"];
  /** The working directory of the container. */
  workingDir?: string | undefined;
  /** The command of the container. */
  cmd?: string[] | undefined;
  /** The entrypoint of the container. */
  entrypoint?: string[] | undefined;
  /** More environment variables (after the trace's). */
  env?: Record<string, string> | undefined;
  /** More config labels. */
  labels?: Record<string, string> | undefined;
  /** More manifest annotations. */
  annotations?: Record<string, string> | undefined;
  /** Platform of an image without base (default linux/amd64). */
  platform?: PlatformSpec | undefined;
  /** Layer compression (default `gzip`, at `gzipLevel`, default 6). */
  compression?: LayerCompression | undefined;
  gzipLevel?: number | undefined;
  /**
   * Seconds since the epoch used for every mtime and for `created` (default: `SOURCE_DATE_EPOCH`,
   * else 0, i.e. 1970-01-01T00:00:00Z).
   */
  sourceDateEpoch?: number | undefined;
  /** Tags besides the run id. */
  tags?: string[] | undefined;
  /** Where layers are staged before they are pushed (default: a temporary directory, removed after). */
  stagingDir?: string | undefined;
  /** Upload chunk size for the pushes (default: monolithic). */
  chunkSize?: number | undefined;
  /**
   * Called as the image is built and stored: after each layer is built (`build`), then while the
   * blobs go to each target (`layout`, `push`: bytes written or confirmed by the registry, of all the
   * image's blobs). For progress bars; an exception it throws is ignored.
   */
  onProgress?: ((progress: BuildProgress) => void) | undefined;
}

/** Progress of {@link buildModelImage}, for a bar. */
export interface BuildProgress {
  /** `build`: layers being built; `layout` / `push`: blobs being stored in that target. */
  phase: "build" | "layout" | "push";
  /** Layers built, or bytes stored in the target so far. */
  done: number;
  /** Layers to build, or bytes of all the image's blobs. */
  total: number;
  /** The layer or blob at hand (`model`, `app`, `config`, `base layer 1`, ...). */
  current?: string | undefined;
}

/** The image {@link buildModelImage} built. */
export interface BuiltImage {
  /** The manifest digest. */
  digest: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  config: ImageConfig;
  configDescriptor: Descriptor;
  /** The run id the image is tagged with, and its kind. */
  runId: string;
  /** Every tag (the run id first). */
  tags: string[];
  /** The model layer (and app layer). */
  modelLayer: Omit<BuiltLayer, "path">;
  appLayer?: Omit<BuiltLayer, "path"> | undefined;
  /** Pushed references by digest, e.g. `myacr.azurecr.io/models/churn@sha256:...`. */
  pushed?: { ref: string; blobs: BlobStoreResult[] } | undefined;
  /** The layout written, with the tags recorded in its index. */
  layout?: string | undefined;
  /** The base image, when there was one. */
  base?: { name: string; digest: string } | undefined;
}

/**
 * Builds a model image without a Docker engine: the base image's layers (if any), a layer with the
 * model directory and optionally one with a serving app; a config whose `Env` carries the trace
 * (`GIT_SHA`, `RUN_ID`, ...) and whose `Labels`, `WorkingDir`, `Cmd`, `created` are set; manifest
 * annotations with the trace (`org.opencontainers.image.revision`, `.source`, `.created`,
 * `.version`, `.title`, `.base.name`, `.base.digest` and `modeltrail.dev/...`). It is tagged with the
 * run id (`runIdOf(ctx)`: the job run id, else the MLflow run id) plus `tags`, and pushed and/or
 * written to an OCI layout.
 *
 * Reproducible: the same inputs give the same digest, whatever the files' mtimes and the directory
 * listing order (see `buildLayer`); `created` and every mtime come from `sourceDateEpoch`.
 *
 * @throws ConfigError when neither `push` nor `layout` is given; ValidationError when the context
 *   has no run id, a tag is invalid, or the model directory holds entries a layer cannot; plus the
 *   registry and file-system errors of the writes.
 */
export async function buildModelImage(options: BuildModelImageOptions): Promise<BuiltImage> {
  if (!options.push && !options.layout) {
    throw new ConfigError(
      "buildModelImage needs a target: push (a registry repository) or layout (a directory), or both",
    );
  }
  const run = runIdOf(options.ctx);
  if (!run) {
    throw new ValidationError("The trace has no run id to tag the image with", {
      issues: [{ path: "job.runId", message: "missing, and so is model.mlflowRunId" }],
      hint: "Build the context from the training run (job.runId, or model.mlflowRunId for a run outside a job)",
    });
  }
  const tags = [run.runId, ...(options.tags ?? []).filter((t) => t !== run.runId)];
  for (const tag of tags) {
    if (!isValidTag(tag))
      throw new ValidationError(`"${tag}" cannot be an image tag`, {
        issues: [{ path: "tags", message: `invalid tag "${tag}"` }],
      });
  }
  const epoch = options.sourceDateEpoch ?? sourceDateEpoch();
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new ValidationError(`sourceDateEpoch ${epoch} must be a non-negative whole number of seconds`);
  const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z");
  const compression = options.compression ?? "gzip";
  const codec = { conventions: options.conventions };
  const base = options.base;

  const staging = options.stagingDir ?? (await mkdtemp(join(tmpdir(), "modeltrail-build-")));
  try {
    const report = (p: BuildProgress) => {
      try {
        options.onProgress?.(p);
      } catch {
        // a progress bar must not fail the build
      }
    };
    const layerOptions = { mtime: epoch, compression, gzipLevel: options.gzipLevel, signal: options.signal };
    const layerCount = options.appDir ? 2 : 1;
    report({ phase: "build", done: 0, total: layerCount, current: "model" });
    const modelLayer = await buildLayer(
      options.modelDir,
      options.modelPath ?? "/opt/model",
      staging,
      layerOptions,
    );
    report({ phase: "build", done: 1, total: layerCount, current: options.appDir ? "app" : undefined });
    const appLayer = options.appDir
      ? await buildLayer(options.appDir, options.appPath ?? "/opt/app", staging, layerOptions)
      : undefined;
    if (appLayer) report({ phase: "build", done: 2, total: layerCount });

    const config = imageConfig(options, base, [modelLayer, ...(appLayer ? [appLayer] : [])], created, codec);
    const configBytes = canonicalJson(config);
    const configDescriptor: Descriptor = {
      mediaType: MediaType.OciConfig,
      digest: sha256Digest(configBytes),
      size: configBytes.length,
    };
    const layerDescriptor = (l: BuiltLayer, role: string): Descriptor => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      annotations: {
        [IMAGE_ANNOTATIONS.layerRole]: role,
        [IMAGE_ANNOTATIONS.layerCompression]: l.compression,
      },
    });
    const baseLayers = base
      ? base.manifest.layers.map((l) => ({
          mediaType: ociLayerType(l.mediaType),
          digest: l.digest,
          size: l.size,
          ...(l.urls ? { urls: l.urls } : {}),
        }))
      : [];
    const annotations: Record<string, string> = {
      ...toAnnotations(options.ctx, { ...codec, created }),
      ...(options.ctx.model?.version ? { [IMAGE_ANNOTATIONS.version]: options.ctx.model.version } : {}),
      ...(options.ctx.model?.name ? { [IMAGE_ANNOTATIONS.title]: options.ctx.model.name } : {}),
      ...(base
        ? { [IMAGE_ANNOTATIONS.baseName]: base.name, [IMAGE_ANNOTATIONS.baseDigest]: base.digest }
        : {}),
      ...options.annotations,
    };
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDescriptor,
      layers: [
        ...baseLayers,
        layerDescriptor(modelLayer, "model"),
        ...(appLayer ? [layerDescriptor(appLayer, "app")] : []),
      ],
      annotations,
    };
    const manifestBytes = canonicalJson(manifest);
    const digest = sha256Digest(manifestBytes);

    const destinations: Array<{ dest: ImageDestination; label: string }> = [];
    if (options.layout)
      destinations.push({
        dest: { kind: "layout", layout: await OciLayout.open(options.layout, { create: true }) },
        label: "layout",
      });
    let repo: ImageReference | undefined;
    if (options.push) {
      const r = options.push.repository;
      repo = withReference(typeof r === "string" ? parseReference(r, { defaultTag: "none" }) : r, {
        tag: null,
        digest: null,
      });
      destinations.push({
        dest: { kind: "registry", client: options.push.client, repository: repo },
        label: "push",
      });
    }
    const call: CallOptions & { chunkSize?: number | undefined } = {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      deadlineMs: options.deadlineMs,
      retry: options.retry,
      headers: options.headers,
      chunkSize: options.chunkSize,
    };
    let pushed: BuiltImage["pushed"];
    const blobs: Array<{ input: BlobInput; what: string }> = [
      { input: { desc: configDescriptor, bytes: configBytes }, what: "config" },
      ...(base?.manifest.layers ?? []).map((l, i) => ({
        input: { desc: l, from: base! } as BlobInput,
        what: `base layer ${i + 1}`,
      })),
      { input: { desc: manifest.layers[baseLayers.length]!, file: modelLayer.path }, what: "model" },
      ...(appLayer
        ? [{ input: { desc: manifest.layers[baseLayers.length + 1]!, file: appLayer.path }, what: "app" }]
        : []),
    ];
    const total = blobs.reduce((n, b) => n + b.input.desc.size, 0);
    for (const { dest, label } of destinations) {
      const phase = label === "push" ? "push" : "layout";
      const results: BlobStoreResult[] = [];
      let stored = 0;
      for (const { input, what } of blobs) {
        report({ phase, done: stored, total, current: what });
        const onProgress = (confirmed: number) =>
          report({ phase, done: stored + Math.min(confirmed, input.desc.size), total, current: what });
        results.push(await storeBlob(dest, input, { ...call, onProgress }));
        stored += input.desc.size;
      }
      report({ phase, done: stored, total });
      await storeManifest(
        dest,
        { bytes: manifestBytes, mediaType: MediaType.OciManifest, digest },
        tags,
        call,
      );
      if (label === "push" && repo)
        pushed = { ref: formatReference(withReference(repo, { digest })), blobs: results };
    }
    const strip = ({ path: _p, ...rest }: BuiltLayer) => rest;
    return {
      digest,
      manifest,
      manifestBytes,
      config,
      configDescriptor,
      runId: run.runId,
      tags,
      modelLayer: strip(modelLayer),
      appLayer: appLayer ? strip(appLayer) : undefined,
      pushed,
      layout: options.layout,
      base: base ? { name: base.name, digest: base.digest } : undefined,
    };
  } finally {
    if (!options.stagingDir) await rm(staging, { recursive: true, force: true });
  }
}

/** Docker layer media types become their OCI equivalents in an OCI manifest. */
function ociLayerType(mediaType: string): string {
  if (mediaType === MediaType.DockerLayerGzip) return MediaType.OciLayerGzip;
  if (mediaType === "application/vnd.docker.image.rootfs.diff.tar") return MediaType.OciLayer;
  return mediaType;
}

function imageConfig(
  options: BuildModelImageOptions,
  base: ImageSource | undefined,
  layers: BuiltLayer[],
  created: string,
  codec: CodecOptions,
): ImageConfig {
  const baseConfig = base?.config;
  const env = new Map<string, string>();
  for (const line of baseConfig?.config?.Env ?? []) {
    const eq = line.indexOf("=");
    env.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? "" : line.slice(eq + 1));
  }
  const traceEnv = toEnv(options.ctx, codec);
  for (const key of Object.keys(traceEnv).sort()) env.set(key, traceEnv[key]!);
  for (const key of Object.keys(options.env ?? {}).sort()) env.set(key, options.env![key]!);
  const labels = {
    ...(baseConfig?.config?.Labels ?? {}),
    ...toAnnotations(options.ctx, { ...codec, created }),
    ...options.labels,
  };
  const container = {
    ...(baseConfig?.config ?? {}),
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    Labels: labels,
    ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
    ...(options.cmd ? { Cmd: options.cmd } : {}),
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
  };
  const history = [
    ...(baseConfig?.history ?? []),
    ...layers.map((l, i) => ({
      created,
      created_by: `modeltrail buildModelImage: ${i === 0 ? "model" : "app"} layer (${l.compression})`,
    })),
  ];
  return {
    created,
    architecture: baseConfig?.architecture ?? options.platform?.architecture ?? "amd64",
    os: baseConfig?.os ?? options.platform?.os ?? "linux",
    ...((baseConfig?.variant ?? options.platform?.variant)
      ? { variant: baseConfig?.variant ?? options.platform?.variant }
      : {}),
    config: container,
    rootfs: {
      type: "layers",
      diff_ids: [...(baseConfig?.rootfs.diff_ids ?? []), ...layers.map((l) => l.diffId)],
    },
    history,
  };
}
