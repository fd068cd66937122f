// Benchmark: download of a 1 GiB MLflow 3 logged model that a Databricks workspace keeps in Azure
// blob storage (here Azurite, on disk), three ways, side by side in one run:
//   modeltrail      client.download("models:/<model_id>")  (built dist, parallel byte ranges)
//   MLflow Python   mlflow.artifacts.download_artifacts("models:/<model_id>")  (its Databricks
//                   artifact repository: credentials-for-download, then parallel ranged GETs)
//   curl            one GET of the same SAS URL (the floor: no listing, no credentials, one stream)
// The workspace side (logged-models get / directories / credentials-for-download) is a small
// node:http fake on 127.0.0.1 that hands out real SAS URLs signed with Azurite's account key.
// Each download runs in its own child process under /usr/bin/time -v (peak RSS); "transfer" is
// measured inside the child around the download call, "process" around the whole child. Every
// download is checked with sha256 against the source.
//
// Usage: node bench/dbx-artifacts/run.mjs [--size full|quick] [--repeat N]   (needs `pnpm build`,
// scripts/install-dbx-storage.sh). Writes bench/results/dbx-artifacts.{json,md} (quick: .quick.*).
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { closureSize, coldImportMs } from "./sdk-cost.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const requireFromMlflow = createRequire(join(root, "packages", "mlflow", "package.json"));
const requireFromTestUtils = createRequire(join(root, "packages", "test-utils", "package.json"));
const {
  BlobServiceClient,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  BlobSASPermissions,
  SASProtocol,
} = requireFromMlflow("@azure/storage-blob");
const python = join(root, ".tools", "dbx-venv", "bin", "python");
const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  return args[i].includes("=") ? args[i].slice(args[i].indexOf("=") + 1) : args[i + 1];
};
const size = flag("size") ?? "full";
const repeat = Math.max(1, Number(flag("repeat") ?? 1));
const BYTES = size === "quick" ? 64 * 1024 ** 2 : 1024 ** 3;
if (!existsSync(join(root, "packages", "mlflow", "dist", "index.js"))) {
  console.error("run `pnpm build` first");
  process.exit(2);
}
if (!existsSync(python)) {
  console.error("run scripts/install-dbx-storage.sh first");
  process.exit(2);
}

const work = await mkdtemp(join(tmpdir(), "mt-bench-dbx-"));
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// --- Azurite on disk ---------------------------------------------------------------------------
const azuritePort = await freePort();
const azuriteMain = join(
  dirname(requireFromTestUtils.resolve("azurite/package.json")),
  "dist",
  "src",
  "blob",
  "main.js",
);
await mkdir(join(work, "azurite"));
const azurite = spawn(
  process.execPath,
  [
    azuriteMain,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(azuritePort),
    "--location",
    join(work, "azurite"),
    "--disableTelemetry",
    "--skipApiVersionCheck",
    "--silent",
  ],
  { stdio: "ignore", detached: true },
);
const azuriteUrl = `http://127.0.0.1:${azuritePort}/${ACCOUNT}`;
for (let i = 0; i < 150; i++) {
  const ok = await fetch(`${azuriteUrl}?comp=list`).then(
    (r) => r.arrayBuffer().then(() => r.status < 500),
    () => false,
  );
  if (ok) break;
  await new Promise((r) => setTimeout(r, 200));
}
const cleanup = async () => {
  try {
    process.kill(-azurite.pid, "SIGKILL");
  } catch {}
  await rm(work, { recursive: true, force: true });
};

try {
  // --- the logged model: one 1 GiB file in the workspace's store -------------------------------
  const credential = new StorageSharedKeyCredential(ACCOUNT, KEY);
  const container = new BlobServiceClient(azuriteUrl, credential).getContainerClient("mlflow");
  await container.createIfNotExists();
  const modelId = "m-bench0000000000000000000000000001";
  const prefix = `1/logged_models/${modelId}/artifacts`;
  const source = join(work, "model.bin");
  {
    const out = createWriteStream(source);
    for (let done = 0; done < BYTES; done += 16 * 1024 ** 2)
      out.write(randomBytes(Math.min(16 * 1024 ** 2, BYTES - done)));
    await new Promise((r) => out.end(r));
  }
  const sourceSha = await sha256(source);
  await container
    .getBlockBlobClient(`${prefix}/model.bin`)
    .uploadFile(source, { blockSize: 8 * 1024 ** 2, concurrency: 4 });
  await container
    .getBlockBlobClient(`${prefix}/MLmodel`)
    .uploadData(Buffer.from("artifact_path: model\nflavors: {}\n"));
  const sas = (blob) =>
    `${azuriteUrl}/mlflow/${blob}?${generateBlobSASQueryParameters(
      {
        containerName: "mlflow",
        blobName: blob,
        permissions: BlobSASPermissions.parse("r"),
        expiresOn: new Date(Date.now() + 3600_000),
        protocol: SASProtocol.HttpsAndHttp,
      },
      credential,
    )}`;

  // --- the workspace side --------------------------------------------------------------------
  const files = [
    { path: "MLmodel", is_dir: false, file_size: 33 },
    { path: "model.bin", is_dir: false, file_size: BYTES },
  ];
  const workspace = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
    const json = (status, v) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    const base = `/api/2.0/mlflow/logged-models/${modelId}`;
    if (url.pathname === base) {
      return json(200, {
        model: {
          info: {
            model_id: modelId,
            experiment_id: "1",
            name: "model",
            artifact_uri: `dbfs:/databricks/mlflow-tracking/${prefix}`,
          },
        },
      });
    }
    if (url.pathname === `${base}/artifacts/directories`) {
      const dir = url.searchParams.get("artifact_directory_path") ?? "";
      return json(200, { files: dir === "" ? files : files.filter((f) => f.path === dir) });
    }
    if (url.pathname === `${base}/artifacts/credentials-for-download`) {
      return json(200, {
        credentials: body.paths.map((p) => ({
          model_id: modelId,
          credential_info: { path: p, signed_uri: sas(`${prefix}/${p}`), type: "AZURE_SAS_URI", headers: [] },
        })),
      });
    }
    // MLflow 3's Python client tries the Files API first for logged models and falls back to the
    // credentials endpoints when it fails (a 404 would read as "no files"): this workspace has none
    if (url.pathname.startsWith("/api/2.0/fs/")) {
      return json(501, { error_code: "NOT_IMPLEMENTED", message: "the Files API is not served here" });
    }
    json(404, { error_code: "ENDPOINT_NOT_FOUND", message: `no ${req.method} ${url.pathname}` });
  });
  await new Promise((r) => workspace.listen(0, "127.0.0.1", r));
  const host = `http://127.0.0.1:${workspace.address().port}`;
  const env = {
    ...process.env,
    MLFLOW_TRACKING_URI: "databricks",
    DATABRICKS_HOST: host,
    DATABRICKS_TOKEN: "dapi0123456789abcdef0123456789abcdef",
    DATABRICKS_CONFIG_FILE: "/nonexistent",
    MLFLOW_DISABLE_TELEMETRY: "true",
    DO_NOT_TRACK: "true",
  };

  const modeltrailChild = `
    const { MlflowClient } = await import(${JSON.stringify(join(root, "packages", "mlflow", "dist", "index.js"))});
    const client = await MlflowClient.create();
    const t0 = performance.now();
    await client.download(process.argv[1], process.argv[2]);
    const ms = performance.now() - t0;
    await client.close();
    console.log(JSON.stringify({ transferMs: ms }));`;
  const pythonChild = `
import json, sys, time
import mlflow
t0 = time.perf_counter()
local = mlflow.artifacts.download_artifacts(artifact_uri=sys.argv[1], dst_path=sys.argv[2])
print(json.dumps({"transferMs": (time.perf_counter() - t0) * 1000, "local": local}))`;
  const runs = {
    modeltrail: (dest) => [
      "node",
      ["--input-type=module", "-e", modeltrailChild, `models:/${modelId}`, dest],
      join(dest, "model.bin"),
    ],
    "MLflow Python": (dest) => [
      python,
      ["-c", pythonChild, `models:/${modelId}`, dest],
      join(dest, "model.bin"),
    ],
    "curl (SAS URL)": (dest) => [
      "curl",
      ["-sS", "--fail", "-o", join(dest, "model.bin"), sas(`${prefix}/model.bin`)],
      join(dest, "model.bin"),
    ],
  };

  const results = {};
  for (let r = 0; r < repeat; r++) {
    for (const [name, make] of Object.entries(runs)) {
      const dest = join(work, `out-${r}-${name.replace(/\W+/g, "_")}`);
      await mkdir(dest);
      const [cmd, argv, file] = make(dest);
      const m = await timed(cmd, argv, env);
      const ok = (await sha256(m.local ? join(m.local, "model.bin") : file)) === sourceSha;
      if (!ok) throw new Error(`${name}: downloaded file differs from the source`);
      results[name] ??= [];
      results[name].push(m);
      await rm(dest, { recursive: true, force: true });
      console.log(
        `${name}: process ${m.processMs.toFixed(0)} ms, transfer ${m.transferMs?.toFixed(0) ?? "–"} ms, peak RSS ${(m.rssKiB / 1024).toFixed(1)} MiB`,
      );
    }
  }
  workspace.close();

  const mlflowDir = join(root, "packages", "mlflow");
  const sdks = ["@smithy/signature-v4", "@aws-sdk/client-s3", "@azure/storage-blob"].map((name) => ({
    name,
    used: name === "@smithy/signature-v4",
    ...closureSize(name, mlflowDir),
    coldImportMs: coldImportMs(name, mlflowDir),
  }));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = Object.entries(results).map(([name, ms]) => ({
    name,
    transferMs: ms.every((m) => m.transferMs !== undefined) ? median(ms.map((m) => m.transferMs)) : undefined,
    processMs: median(ms.map((m) => m.processMs)),
    rssMiB: median(ms.map((m) => m.rssKiB)) / 1024,
    cpuS: median(ms.map((m) => m.cpuS)),
  }));
  const curl = rows.find((r) => r.name.startsWith("curl"));
  const out = {
    date: new Date().toISOString(),
    size,
    bytes: BYTES,
    repeat,
    node: process.version,
    cpus: cpus().length,
    loadavg: loadavg(),
    rows,
    sdks,
  };
  const name = size === "full" ? "dbx-artifacts" : "dbx-artifacts.quick";
  await mkdir(join(root, "bench", "results"), { recursive: true });
  await writeFile(join(root, "bench", "results", `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  const fmt = (v) => (v === undefined ? "–" : `${v.toFixed(0)} ms`);
  const md = [
    "# dbx-artifacts benchmark",
    "",
    `${out.date} · one ${BYTES / 1024 ** 2} MiB file in an MLflow 3 logged model on a Databricks-style workspace backed by Azurite (on disk) · repeat ${repeat} (median) · Node ${process.version} · MLflow 3.17.2 · ${out.cpus} CPUs (shared machine)`,
    "",
    'Same fake workspace (logged-models get, directories, credentials-for-download handing out real SAS URLs), same blob. modeltrail: `client.download("models:/<id>")` from the built dist. MLflow Python: `mlflow.artifacts.download_artifacts("models:/<id>")` (its Databricks artifact repository; MLflow 3 first tries the Files API, which the fake answers 501, then falls back). curl: one GET of the SAS URL, the floor. **transfer** = inside the child around the download call; **process** = whole child (start-up and imports included). Every download verified with sha256.',
    "",
    "| client | transfer | process | transfer / curl | peak RSS | CPU (user+sys) |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.transferMs)} | ${fmt(r.processMs)} | ${curl ? ((r.transferMs ?? r.processMs) / curl.processMs).toFixed(2) : "–"} | ${r.rssMiB.toFixed(1)} MiB | ${r.cpuS.toFixed(2)} s |`,
    ),
    "",
    `curl has no transfer split: its process time is its transfer. Load average at end ${out.loadavg.map((l) => l.toFixed(2)).join(" / ")}.`,
    "",
    "## What the cloud SDKs would cost",
    "",
    "Installed size of each SDK with its dependency closure, and a cold `import()` in a fresh Node process (median of 5). modeltrail speaks Azure blob, ADLS Gen2, presigned S3 and GCS itself over core's transport; it loads only `@smithy/signature-v4` (the AWS SDK's SigV4 signer), lazily, the first time Unity Catalog hands out AWS temporary credentials.",
    "",
    "| package | used by modeltrail | packages | installed | cold import |",
    "|---|---|---:|---:|---:|",
    ...sdks.map(
      (s) =>
        `| \`${s.name}\` | ${s.used ? "yes, lazily" : "no"} | ${s.packages} | ${(s.bytes / 1024 ** 2).toFixed(2)} MiB | ${s.coldImportMs.toFixed(0)} ms |`,
    ),
    "",
  ].join("\n");
  await writeFile(join(root, "bench", "results", `${name}.md`), md);
  console.log(md);
} finally {
  await cleanup();
}

async function sha256(path) {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c);
  return h.digest("hex");
}

/** Runs a command under /usr/bin/time -v: process wall time, peak RSS, CPU, and the child's JSON line (transferMs). */
function timed(cmd, argv, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn("/usr/bin/time", ["-v", cmd, ...argv], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("close", (code) => {
      const processMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${err.slice(-3000)}`));
      const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1] ?? 0);
      const user = Number(/User time \(seconds\): ([\d.]+)/.exec(err)?.[1] ?? 0);
      const sys = Number(/System time \(seconds\): ([\d.]+)/.exec(err)?.[1] ?? 0);
      const line = out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .at(-1);
      const parsed = line ? JSON.parse(line) : {};
      if (process.env.BENCH_DEBUG)
        writeFileSync(`/tmp/bench-${Date.now()}.log`, `${cmd}\n${out}\n---\n${err}`);
      resolve({
        processMs,
        rssKiB: rss,
        cpuS: user + sys,
        transferMs: parsed.transferMs,
        local: parsed.local,
      });
    });
  });
}
