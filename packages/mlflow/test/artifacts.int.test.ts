import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { NotFoundError } from "@modeltrail/core";
import { HttpClient } from "@modeltrail/core/internal";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MlflowArtifacts } from "../src/artifacts/index.js";

const run = promisify(execFile);
const uri = inject("mlflowUri");
const python = inject("mlflowPython");

async function sha256Tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out[relative(dir, p).split("\\").join("/")] = createHash("sha256")
          .update(await readFile(p))
          .digest("hex");
    }
  };
  await walk(dir);
  return out;
}

async function makeTree(dir: string): Promise<void> {
  await mkdir(join(dir, "model", "weights"), { recursive: true });
  await writeFile(join(dir, "MLmodel"), "flavors:\n  python_function: {}\n");
  await writeFile(join(dir, "model", "weights", "w.bin"), randomBytes(3 * 1024 * 1024 + 17));
  await writeFile(join(dir, "model", "empty.txt"), "");
  await writeFile(join(dir, "model", "name with spaces & ü.txt"), "unicode + spaces");
  for (let i = 0; i < 20; i++) await writeFile(join(dir, "model", `part-${i}.json`), JSON.stringify({ i }));
}

describe("MlflowArtifacts against a real MLflow server", () => {
  let http: HttpClient;
  let artifacts: MlflowArtifacts;
  let work: string;
  let runId: string;
  let artifactUri: string;

  beforeAll(async () => {
    http = new HttpClient({ baseUrl: uri, service: "mlflow" });
    artifacts = new MlflowArtifacts(http, { concurrency: 4 });
    work = await mkdtemp(join(tmpdir(), "mt-art-int-"));
    const created = await http.json<{ run: { info: { run_id: string; artifact_uri: string } } }>({
      method: "POST",
      path: "/api/2.0/mlflow/runs/create",
      json: { experiment_id: "0", start_time: Date.now() },
    });
    runId = created.run.info.run_id;
    artifactUri = created.run.info.artifact_uri;
  });

  afterAll(async () => {
    await http?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("uploads a tree, lists it, downloads it byte-identical and deletes it", async () => {
    const src = join(work, "src");
    await makeTree(src);
    const progress: number[] = [];
    const up = await artifacts.uploadTree(
      src,
      { runId, path: "tree" },
      { onProgress: (p) => progress.push(p.filesDone) },
    );
    expect(up.files).toHaveLength(24);
    expect(progress.at(-1)).toBe(24);

    const listed: string[] = [];
    for await (const f of artifacts.list({ runId, path: "tree" })) if (!f.isDir) listed.push(f.path);
    expect(listed.sort()).toEqual(Object.keys(await sha256Tree(src)).sort());

    const shallow: string[] = [];
    for await (const f of artifacts.list(`${artifactUri}/tree`, { recursive: false })) shallow.push(f.path);
    expect(shallow.sort()).toEqual(["MLmodel", "model"]);

    const dest = join(work, "dest");
    const result = await artifacts.downloadTree({ runId, path: "tree" }, dest);
    expect(result.files).toHaveLength(24);
    expect(await sha256Tree(dest)).toEqual(await sha256Tree(src));

    const one = join(work, "one", "w.bin");
    await artifacts.downloadFile(`${artifactUri}/tree/model/weights/w.bin`, one);
    expect((await stat(one)).size).toBe(3 * 1024 * 1024 + 17);

    await artifacts.delete({ runId, path: "tree/model" });
    const after: string[] = [];
    for await (const f of artifacts.list({ runId, path: "tree" })) after.push(f.path);
    expect(after).toEqual(["MLmodel"]);
  });

  it("downloads a large file as parallel byte ranges (Range + If-Range) byte-identical", async () => {
    const src = join(work, "ranged-src");
    await makeTree(src);
    await artifacts.uploadTree(src, { runId, path: "ranged" });
    const statuses: number[] = [];
    const logged = new HttpClient({
      baseUrl: uri,
      service: "mlflow",
      logger: (e) => {
        if (e.type === "response" && e.status !== undefined) statuses.push(e.status);
      },
    });
    const ranged = new MlflowArtifacts(logged, {
      concurrency: 3,
      rangedDownload: { minFileSize: 1024 * 1024, chunkSize: 256 * 1024 },
    });
    const dest = join(work, "ranged-dest");
    const res = await ranged.downloadTree({ runId, path: "ranged" }, dest);
    await logged.close();
    expect(res.files).toHaveLength(24);
    expect(await sha256Tree(dest)).toEqual(await sha256Tree(src));
    // w.bin (3 MiB + 17 bytes) came as 13 ranges of 256 KiB, all answered 206
    expect(statuses.filter((s) => s === 206)).toHaveLength(13);
  });

  it("download() of a single file and of a missing path", async () => {
    const f = join(work, "single.txt");
    await writeFile(f, "single file");
    await artifacts.uploadFile(f, { runId, path: "singles" });
    const dest = join(work, "single-dest");
    const res = await artifacts.download({ runId, path: "singles/single.txt" }, dest);
    expect(await readFile(join(dest, "single.txt"), "utf8")).toBe("single file");
    expect(res.files).toHaveLength(1);
    await expect(artifacts.download({ runId, path: "singles/nope.txt" }, dest)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it.skipIf(!python)("downloads artifacts logged by MLflow's Python client byte-identical", async () => {
    const src = join(work, "py-src");
    await makeTree(src);
    const script = [
      "import sys, mlflow",
      "mlflow.set_tracking_uri(sys.argv[1])",
      "with mlflow.start_run() as r:",
      "    mlflow.log_artifacts(sys.argv[2], artifact_path='pylogged')",
      "    print('RUN_ID=' + r.info.run_id)",
    ].join("\n");
    const { stdout } = await run(python, ["-c", script, uri, src], { timeout: 120_000 });
    const pyRun = /RUN_ID=(\w+)/.exec(stdout)?.[1] as string;
    const dest = join(work, "py-dest");
    await artifacts.downloadTree({ runId: pyRun, path: "pylogged" }, dest);
    expect(await sha256Tree(dest)).toEqual(await sha256Tree(src));
  });

  it.skipIf(!python)("uploads artifacts that MLflow's Python client downloads byte-identical", async () => {
    const src = join(work, "mt-src");
    await makeTree(src);
    await artifacts.uploadTree(src, { runId, path: "mt-logged" });
    const dest = join(work, "mt-py-dest");
    const script = [
      "import sys, mlflow",
      "mlflow.set_tracking_uri(sys.argv[1])",
      "mlflow.artifacts.download_artifacts(run_id=sys.argv[2], artifact_path='mt-logged', dst_path=sys.argv[3])",
    ].join("\n");
    await run(python, ["-c", script, uri, runId, dest], { timeout: 120_000 });
    expect(await sha256Tree(join(dest, "mt-logged"))).toEqual(await sha256Tree(src));
  });

  it.skipIf(!python)("reads a run whose artifact root is not proxied through the tracking API", async () => {
    const src = join(work, "local-src");
    await makeTree(src);
    const store = join(work, "local-store");
    const script = [
      "import sys, uuid, mlflow",
      "mlflow.set_tracking_uri(sys.argv[1])",
      "exp = mlflow.create_experiment('local-' + uuid.uuid4().hex, artifact_location=sys.argv[3])",
      "with mlflow.start_run(experiment_id=exp) as r:",
      "    mlflow.log_artifacts(sys.argv[2], artifact_path='direct')",
      "    print('RUN_ID=' + r.info.run_id)",
    ].join("\n");
    const { stdout } = await run(python, ["-c", script, uri, src, store], { timeout: 120_000 });
    const localRun = /RUN_ID=(\w+)/.exec(stdout)?.[1] as string;
    const loc = await artifacts.resolve({ runId: localRun, path: "direct" });
    expect(loc.kind).toBe("tracking");
    const dest = join(work, "local-dest");
    await artifacts.downloadTree({ runId: localRun, path: "direct" }, dest);
    expect(await sha256Tree(dest)).toEqual(await sha256Tree(src));
    await expect(artifacts.uploadFile(join(src, "MLmodel"), { runId: localRun })).rejects.toMatchObject({
      code: "CONFIG_ERROR",
    });
  });
});
