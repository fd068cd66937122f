import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import {
  buildLayer,
  canonicalJson,
  type ImageConfig,
  type ImageManifest,
  type ImageSource,
  layoutImageSource,
  MediaType,
  OciLayout,
  sha256Digest,
  storeBlob,
  storeManifest,
} from "@modeltrail/registry";
import { REPO_ROOT, VENV_PYTHON } from "../lib/paths.ts";
import { dim, heading, say, table } from "../lib/print.ts";

const run = promisify(execFile);

/** The base image the demo makes: a name for its layout and for the image annotations. */
export const BASE_IMAGE_NAME = "modeltrail-demo/python-base";

/** What {@link makeBaseImage} made. */
export interface BaseImage {
  /** The image, read back from its layout: the `base` of `buildModelImage`. */
  source: ImageSource;
  /** `oci:<layout>:<tag>`. */
  ref: string;
  /** The tag: `py<major.minor>`. */
  tag: string;
  digest: string;
  /** The Python version and packages the image records. */
  python: string;
  packages: number;
}

/**
 * Makes the base image the model images are built on, into an OCI image layout, without a Docker
 * engine: one reproducible layer recording the Python environment the serving app runs in (its
 * version and every installed distribution, `/opt/python/requirements.lock`), a config with `PATH`
 * and `PYTHONUNBUFFERED`, and OCI annotations. No cloud account, no registry, no download.
 *
 * It is a stand-in, and says so in its description: the layer holds no interpreter. The local deploy
 * target runs the image's app with the demo's virtualenv (`.tools/mlflow-venv`), whose packages are
 * the ones listed; in production the base is a real Python image (`registryImageSource(registry,
 * "myacr.azurecr.io/base/python:3.12")`). The same virtualenv gives the same digest.
 * Throws when the virtualenv's Python cannot run, and the registry package's errors.
 */
export async function makeBaseImage(
  layoutDir: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<BaseImage> {
  const { stdout } = await run(
    VENV_PYTHON,
    [
      "-c",
      [
        "import importlib.metadata as m, platform",
        "print(platform.python_version())",
        "print('\\n'.join(sorted({f\"{d.metadata['Name'].lower()}=={d.version}\" for d in m.distributions() if d.metadata['Name']})))",
      ].join("\n"),
    ],
    { signal: options.signal, maxBuffer: 8 * 1024 * 1024 },
  );
  const [python = "", ...requirements] = stdout.trim().split("\n");
  const tag = `py${python.split(".").slice(0, 2).join(".")}`;

  const work = await mkdtemp(join(layoutDir, "..", ".base-build-"));
  try {
    const root = join(work, "rootfs");
    await mkdir(join(root, "opt", "python"), { recursive: true });
    await writeFile(join(root, "opt", "python", "VERSION"), `${python}\n`);
    await writeFile(join(root, "opt", "python", "requirements.lock"), `${requirements.join("\n")}\n`);
    const layer = await buildLayer(root, "/", work, { mtime: 0, compression: "gzip" });

    const created = "1970-01-01T00:00:00Z";
    const description =
      "Stand-in Python base of the modeltrail demo: records the Python version and packages of the environment the local deploy target runs the serving app with (.tools/mlflow-venv); it holds no interpreter.";
    const config: ImageConfig = {
      created,
      architecture: "amd64",
      os: "linux",
      config: {
        Env: ["PATH=/opt/python/bin:/usr/local/bin:/usr/bin:/bin", "PYTHONUNBUFFERED=1"],
        Labels: { "org.opencontainers.image.description": description },
      },
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
      history: [{ created, created_by: "modeltrail demo: makeBaseImage" }],
    };
    const configBytes = canonicalJson(config);
    const configDesc = {
      mediaType: MediaType.OciConfig,
      digest: sha256Digest(configBytes),
      size: configBytes.length,
    };
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDesc,
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
      annotations: {
        "org.opencontainers.image.title": BASE_IMAGE_NAME,
        "org.opencontainers.image.version": python,
        "org.opencontainers.image.description": description,
        "org.opencontainers.image.created": created,
      },
    };
    const manifestBytes = canonicalJson(manifest);
    const digest = sha256Digest(manifestBytes);
    const dest = { kind: "layout" as const, layout: await OciLayout.open(layoutDir, { create: true }) };
    await storeBlob(dest, { desc: configDesc, bytes: configBytes });
    await storeBlob(dest, { desc: manifest.layers[0]!, file: layer.path });
    await storeManifest(dest, { bytes: manifestBytes, mediaType: MediaType.OciManifest, digest }, [tag]);

    const source = await layoutImageSource(layoutDir, { tag });
    heading(`the base image: ${BASE_IMAGE_NAME}:${tag}, made here into an OCI layout`);
    table([
      ["layout", `oci:${relative(REPO_ROOT, layoutDir)}:${tag}`],
      ["digest", source.digest],
      ["layer", `${layer.digest} (${layer.size} bytes): /opt/python/VERSION, /opt/python/requirements.lock`],
      ["records", `Python ${python}, ${requirements.length} distributions`],
    ]);
    say(
      dim(
        "A stand-in: the layer lists the Python environment the local deploy target runs the app with (.tools/mlflow-venv) and holds no interpreter.",
      ),
      4,
    );
    return {
      source,
      ref: `oci:${layoutDir}:${tag}`,
      tag,
      digest: source.digest,
      python,
      packages: requirements.length,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
