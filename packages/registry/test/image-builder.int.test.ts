import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext } from "@modeltrail/core";
import {
  anonymousCredentials,
  buildModelImage,
  findImageForRun,
  layoutImageSource,
  listTraceableImages,
  OciLayout,
  RegistryClient,
  registryImageSource,
  registryRunImageResolver,
  unpackImage,
} from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const open = inject("openRegistry");
const JOB_RUN = "1795788642450001";
const MLFLOW_RUN = "0e65f4e6ffd84bbcaca05398f1d5dff3";
const ctx = createTraceContext({
  code: { gitSha: "a".repeat(40), repoUrl: "https://github.com/example/churn" },
  job: { platform: "databricks", jobId: "1795788642450000", runId: JOB_RUN },
  model: { name: "churn", version: "3", mlflowRunId: MLFLOW_RUN, uri: "models:/churn/3" },
});

let work: string;
let modelDir: string;
const client = new RegistryClient({ credentials: anonymousCredentials });

async function writeModel(dir: string, order: "forward" | "reverse", mtime: number) {
  const files: Array<[string, Buffer | string]> = [
    ["MLmodel", "flavors:\n  python_function: {}\n"],
    ["model.pkl", randomBytesSeeded(200_000)],
    ["requirements.txt", "scikit-learn==1.5.0\n"],
    [`deep/${"n".repeat(120)}/weights.bin`, randomBytesSeeded(5000)],
    ["code/predict.py", "print('hi')\n"],
  ];
  const list = order === "forward" ? files : [...files].reverse();
  for (const [name, content] of list) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
    await utimes(join(dir, name), mtime, mtime);
  }
  await symlink("model.pkl", join(dir, "latest.pkl"));
}
function randomBytesSeeded(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = n;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-build-int-"));
  modelDir = join(work, "model");
  await writeModel(modelDir, "forward", 1_700_000_000);
});
afterAll(async () => {
  await client.close();
  await rm(work, { recursive: true, force: true });
});

describe("buildModelImage against a real registry, checked with skopeo", () => {
  it("builds the same digest whatever the mtimes and the order files were created in", async () => {
    const other = join(work, "model-again");
    await writeModel(other, "reverse", 1_600_000_000);
    const a = await buildModelImage({ modelDir, ctx, layout: join(work, "layout-a") });
    const b = await buildModelImage({ modelDir: other, ctx, layout: join(work, "layout-b") });
    expect(b.digest).toBe(a.digest);
    expect(b.modelLayer.diffId).toBe(a.modelLayer.diffId);
    const c = await buildModelImage({
      modelDir,
      ctx,
      layout: join(work, "layout-c"),
      sourceDateEpoch: 1_800_000_000,
    });
    expect(c.digest).not.toBe(a.digest);
    expect(c.config.created).toBe("2027-01-15T08:00:00Z");
  });

  it("pushes an image tagged with the run id that skopeo reads and copies byte for byte", async () => {
    const repo = `${open}/models/churn`;
    const pushed: number[] = [];
    let total = 0;
    const built = await buildModelImage({
      modelDir,
      ctx,
      push: { client, repository: repo },
      tags: ["latest"],
      workingDir: "/opt/model",
      cmd: ["python", "-m", "serve"],
      onProgress: (p) => {
        if (p.phase !== "push") return;
        pushed.push(p.done);
        total = p.total;
      },
    });
    expect(built.tags).toEqual([JOB_RUN, "latest"]);
    // progress: the bytes the registry confirmed, never going back, up to every blob of the image
    expect(total).toBe(built.configDescriptor.size + built.manifest.layers.reduce((n, l) => n + l.size, 0));
    expect(pushed.at(-1)).toBe(total);
    expect(pushed.every((d, i) => i === 0 || d >= pushed[i - 1]!)).toBe(true);
    const inspect = JSON.parse(
      execFileSync("skopeo", ["inspect", "--tls-verify=false", `docker://${repo}:${JOB_RUN}`], {
        encoding: "utf8",
      }),
    ) as {
      Digest: string;
      Labels: Record<string, string>;
      Env: string[];
    };
    expect(inspect.Digest).toBe(built.digest);
    expect(inspect.Env).toContain(`RUN_ID=${JOB_RUN}`);
    expect(inspect.Env).toContain(`GIT_SHA=${"a".repeat(40)}`);
    expect(inspect.Labels["org.opencontainers.image.revision"]).toBe("a".repeat(40));
    const raw = JSON.parse(
      execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${repo}:${JOB_RUN}`], {
        encoding: "utf8",
      }),
    ) as {
      annotations: Record<string, string>;
    };
    expect(raw.annotations).toMatchObject({
      "org.opencontainers.image.revision": "a".repeat(40),
      "org.opencontainers.image.source": "https://github.com/example/churn",
      "org.opencontainers.image.created": "1970-01-01T00:00:00Z",
      "org.opencontainers.image.version": "3",
      "org.opencontainers.image.title": "churn",
    });

    const copied = join(work, "skopeo-copy");
    execFileSync(
      "skopeo",
      ["copy", "--src-tls-verify=false", `docker://${repo}:${JOB_RUN}`, `oci:${copied}:copy`],
      { stdio: "ignore" },
    );
    const unpacked = join(work, "unpacked-from-skopeo");
    const result = await unpackImage(await layoutImageSource(copied, { tag: "copy" }), unpacked);
    expect(result.layers).toBe(1);
    for (const f of [
      "MLmodel",
      "model.pkl",
      "requirements.txt",
      `deep/${"n".repeat(120)}/weights.bin`,
      "code/predict.py",
    ]) {
      expect((await readFile(join(unpacked, "opt/model", f))).equals(await readFile(join(modelDir, f)))).toBe(
        true,
      );
    }
    // the same files, unpacked from the layer with GNU tar
    const tarDir = join(work, "gnu-tar");
    await mkdir(tarDir);
    const layout = await OciLayout.open(copied);
    execFileSync("tar", ["-xzf", layout.blobPath(built.modelLayer.digest), "-C", tarDir]);
    expect(
      (await readFile(join(tarDir, "opt/model/model.pkl"))).equals(
        await readFile(join(modelDir, "model.pkl")),
      ),
    ).toBe(true);
  });

  it("sends no layer again when the unchanged image is pushed a second time", async () => {
    const repo = `${open}/models/churn-twice`;
    await buildModelImage({ modelDir, ctx, push: { client, repository: repo } });
    const again = await buildModelImage({ modelDir, ctx, push: { client, repository: repo } });
    expect(again.pushed?.blobs.every((r) => r === "exists")).toBe(true);
  });

  it("pulls an image that skopeo pushed, and builds on it as a base from the registry and from a layout", async () => {
    // a base image made here: a layer with /etc/base.txt, written to a layout, pushed with skopeo
    const baseLayout = join(work, "base-layout");
    const baseFiles = join(work, "base-files");
    await mkdir(join(baseFiles, "etc"), { recursive: true });
    await writeFile(join(baseFiles, "etc/base.txt"), "base image\n");
    const baseCtx = createTraceContext({ job: { runId: "1" } });
    await buildModelImage({
      modelDir: baseFiles,
      modelPath: "/",
      ctx: baseCtx,
      layout: baseLayout,
      tags: ["base"],
      env: { PATH: "/usr/bin" },
    });
    execFileSync(
      "skopeo",
      ["copy", "--dest-tls-verify=false", `oci:${baseLayout}:base`, `docker://${open}/base/python:3.12`],
      { stdio: "ignore" },
    );
    const pulled = await registryImageSource(client, `${open}/base/python:3.12`);
    expect(pulled.config.config?.Env).toContain("PATH=/usr/bin");

    const built = await buildModelImage({
      base: pulled,
      modelDir,
      ctx,
      push: { client, repository: `${open}/models/on-base` },
    });
    expect(built.manifest.layers).toHaveLength(2);
    expect(built.manifest.annotations?.["org.opencontainers.image.base.name"]).toBe(
      `${open}/base/python:3.12`,
    );
    expect(built.manifest.annotations?.["org.opencontainers.image.base.digest"]).toBe(pulled.digest);
    expect(built.pushed?.blobs[1]).toBe("mounted");
    const fromLayout = await buildModelImage({
      base: await layoutImageSource(baseLayout, { tag: "base" }),
      modelDir,
      ctx,
      layout: join(work, "on-base-layout"),
    });
    // same layers and config; only org.opencontainers.image.base.name says where the base came from
    expect(fromLayout.manifest.layers).toEqual(built.manifest.layers);
    expect(fromLayout.configDescriptor).toEqual(built.configDescriptor);
    expect(fromLayout.manifest.annotations?.["org.opencontainers.image.base.digest"]).toBe(pulled.digest);

    const dir = join(work, "unpacked-on-base");
    await unpackImage(await registryImageSource(client, `${open}/models/on-base:${JOB_RUN}`), dir);
    expect(await readFile(join(dir, "etc/base.txt"), "utf8")).toBe("base image\n");
    expect((await readdir(join(dir, "opt/model"))).sort()).toEqual([
      "MLmodel",
      "code",
      "deep",
      "latest.pkl",
      "model.pkl",
      "requirements.txt",
    ]);
  });

  it("finds the image of a run by either kind of run id, newest first", async () => {
    const repo = `${open}/models/find`;
    const older = createTraceContext({
      job: { runId: "1795788642449000" },
      model: { mlflowRunId: "f".repeat(32) },
    });
    await buildModelImage({
      modelDir,
      ctx: older,
      push: { client, repository: repo },
      sourceDateEpoch: 1_700_000_000,
    });
    const newer = await buildModelImage({
      modelDir,
      ctx,
      push: { client, repository: repo },
      sourceDateEpoch: 1_800_000_000,
    });
    const list = await listTraceableImages(client, repo);
    expect(list.map((i) => i.tags[0])).toEqual([JOB_RUN, "1795788642449000"]);
    expect(list[0]?.context.model?.mlflowRunId).toBe(MLFLOW_RUN);
    expect((await findImageForRun(client, repo, JOB_RUN))?.digest).toBe(newer.digest);
    expect((await findImageForRun(client, repo, MLFLOW_RUN))?.digest).toBe(newer.digest);
    expect(await findImageForRun(client, repo, "123")).toBeUndefined();
    const resolver = registryRunImageResolver(client, repo);
    expect((await resolver.imageForRun(MLFLOW_RUN))?.ref).toBe(`${repo}@${newer.digest}`);
  });
});
