// bench/trace: trace() and verify() (built dist) over real local servers: an MLflow server, a
// distribution registry, the Kubernetes control plane (scripts/install-k8s.sh) and a Databricks
// Jobs API fake on a loopback port, all started here and stopped at the end. One reference
// pipeline (an MLflow run with its data set and model, a registered version, a signed image of
// it, a Deployment running it by digest) is traced from every kind of handle:
//  (1) the requests each trace sends, per system (counted through CallOptions.onRequest), and the
//      look-ups it makes; every object read once;
//  (2) wall time of trace() and verify() from a prediction's log line (median of rounds), side by
//      side with answering the same from the log line by hand, as an engineer would in an incident:
//      kubectl (deployment, ReplicaSets, pods, node), skopeo (manifest, config), MLflow's Python
//      client (model version, run, artifact listing) and curl (the job run), one after another.
// Figures go to bench/results/trace.json and trace.md; with BENCH_TRACE_WRITE_SAMPLE=1 the verify
// report of the log line goes to docs/samples/verify-report.json (the sample of
// docs/five-questions.md, which @modeltrail/trace-html's tests render). Run with
// `pnpm build && pnpm bench trace`.
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { startK8sControlPlane } from "../../packages/test-utils/src/k8s-control-plane.ts";
import { startMlflowServer } from "../../packages/test-utils/src/mlflow-server.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const load = async (name) => import(pathToFileURL(join(root, "packages", name, "dist", "index.js")).href);
const [core, mlflowPkg, dbxPkg, registryPkg, k8sPkg] = await Promise.all(
  ["core", "mlflow", "databricks", "registry", "k8s"].map(load),
).catch((err) => {
  console.error(`a package's dist is missing: run \`pnpm build\` first (${err.message})`);
  process.exit(1);
});
const ROUNDS = Number(process.env.BENCH_TRACE_ROUNDS ?? 5);
/** A docker-registry (distribution) on a free loopback port with its own storage, as the registry tier runs it. */
async function startDistributionRegistry() {
  const dir = mkdtempSync(join(tmpdir(), "bench-trace-registry-"));
  const probe = createServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/storage\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: bench\n`,
  );
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v2/`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `GET http://127.0.0.1:1234/v2/...` -> `GET /v2/...` (ports change from run to run). */
const withoutOrigin = (line) => line.replace(/^(\w+) https?:\/\/127\.0\.0\.1:\d+/, "$1 ");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => Math.round(x * 10) / 10;

const work = mkdtempSync(join(tmpdir(), "modeltrail-bench-trace-"));
const stops = [];
const loadBefore = loadavg()[0];
let results;
try {
  console.log("starting MLflow, a registry, the control plane ...");
  const [mlflowServer, reg, plane] = await Promise.all([
    startMlflowServer({ externalUri: "", workers: null, startTimeoutMs: 400_000 }),
    startDistributionRegistry(),
    startK8sControlPlane(),
  ]);
  stops.push(
    () => mlflowServer.stop(),
    () => reg.stop(),
    () => plane.stop(),
  );

  const sha = createHash("sha1").update(randomUUID()).digest("hex");
  const jobRun = String(Date.now());
  const jobRunBody = JSON.stringify({
    job_id: 11,
    run_id: Number(jobRun),
    run_name: "train-churn",
    state: { life_cycle_state: "TERMINATED", result_state: "SUCCESS" },
    job_parameters: [{ name: "git_sha", value: sha }],
    job_clusters: [
      {
        job_cluster_key: "train",
        new_cluster: { spark_version: "15.4.x-scala2.12", node_type_id: "Standard_DS3_v2", num_workers: 2 },
      },
    ],
    tasks: [
      {
        task_key: "train",
        run_id: Number(jobRun) + 1,
        job_cluster_key: "train",
        spark_python_task: { python_file: "train.py" },
      },
    ],
  });
  const workspace = createServer((req, res) => {
    const ok = req.url?.startsWith("/api/2.2/jobs/runs/get") && req.url.includes(`run_id=${jobRun}`);
    res.writeHead(ok ? 200 : 400, { "content-type": "application/json" });
    res.end(
      ok ? jobRunBody : JSON.stringify({ error_code: "INVALID_PARAMETER_VALUE", message: "no such run" }),
    );
  });
  await new Promise((r) => workspace.listen(0, "127.0.0.1", r));
  stops.push(() => new Promise((r) => workspace.close(r)));
  const workspaceUrl = `http://127.0.0.1:${workspace.address().port}`;

  // the reference pipeline
  const mlflow = new mlflowPkg.MlflowClient({ trackingUri: mlflowServer.url, env: {} });
  const registry = new registryPkg.RegistryClient({ credentials: registryPkg.anonymousCredentials });
  const NS = "bench-trace";
  const kube = new k8sPkg.KubeClient({ kubeconfig: plane.kubeconfig, namespace: NS });
  const dbx = new dbxPkg.DatabricksClient({ host: workspaceUrl, token: "dapi-bench-not-a-secret" });
  stops.unshift(() => Promise.all([mlflow.close(), registry.close(), kube.close(), dbx.close()]));
  execFileSync(plane.kubectl, ["--kubeconfig", plane.kubeconfig, "create", "namespace", NS]);
  const modelDir = join(work, "model");
  mkdirSync(modelDir);
  writeFileSync(join(modelDir, "MLmodel"), "artifact_path: model\nflavors: {}\n");
  writeFileSync(join(modelDir, "model.pkl"), Buffer.alloc(1 << 20, 7));
  const experimentId = await mlflow.experiments.create(`bench-trace-${randomUUID().slice(0, 8)}`);
  const run = await mlflow.runs.create({ experimentId, runName: "train" });
  const runId = run.info.run_id;
  let ctx = core.createTraceContext({
    code: { gitSha: sha },
    job: { platform: "databricks", jobId: "11", runId: jobRun },
  });
  await mlflow.tagRun(runId, ctx);
  await mlflow.runs.logInputs(runId, [
    {
      name: "churn-train",
      digest: "5e1f2a",
      sourceType: "s3",
      source: JSON.stringify({ uri: "s3://data/churn.parquet" }),
    },
  ]);
  await mlflow.artifacts.uploadTree(modelDir, { runId, path: "model" });
  const name = `churn-${randomUUID().slice(0, 6)}`;
  const { modelVersion } = await mlflow.registerModel(ctx, { runId, artifactPath: "model", name });
  ctx = ctx.with({ model: { name, version: modelVersion.version, mlflowRunId: runId } });
  const repo = `${reg.host}/bench/${name}`;
  const keys = generateKeyPairSync("ed25519");
  const built = await registryPkg.buildModelImage({
    modelDir,
    ctx,
    push: { client: registry, repository: repo },
  });
  const statement = registryPkg.modelProvenance({
    image: { repository: repo, digest: built.digest },
    ctx,
    modelLayer: built.modelLayer,
  });
  await registryPkg.attachProvenance(registry, `${repo}@${built.digest}`, statement, {
    signingKey: keys.privateKey,
  });
  const image = `${repo}@${built.digest}`;
  await k8sPkg.deploy(
    kube,
    k8sPkg.renderDeployment(ctx.with({ image: { digest: built.digest } }), {
      name: "churn",
      image,
      port: 8080,
      replicas: 2,
    }),
    { rolloutTimeoutMs: 120_000 },
  );
  const pods = await kube.pods.list({ namespace: NS, labelSelector: { "app.kubernetes.io/name": "churn" } });
  const pod =
    pods.items.find((p) => p.status?.phase === "Running")?.metadata?.name ?? pods.items[0]?.metadata?.name;
  const resolvers = () => [
    mlflowPkg.mlflowTraceResolver(mlflow),
    dbxPkg.databricksTraceResolver(dbx),
    registryPkg.registryTraceResolver(registry, { repositories: [repo], publicKey: keys.publicKey }),
    k8sPkg.kubernetesTraceResolver(kube, { namespaces: [NS] }),
  ];
  const logLine = JSON.stringify({
    msg: "prediction",
    ...core.toLogFields(
      ctx.with({ image: { digest: built.digest }, deployment: { namespace: NS, name: "churn" } }),
    ),
  });

  // (1) requests per handle kind
  const handles = {
    "log line": logLine,
    deployment: `deployment/${NS}/churn`,
    pod: `pod/${NS}/${pod}`,
    "image reference": image,
    "image digest": built.digest,
    "model version": `models:/${name}/${modelVersion.version}`,
    "job run id": jobRun,
    "MLflow run id": runId,
    commit: sha,
    // the same log line once more: the registry client now knows whether the referrers API exists
    "log line, again": logLine,
  };
  const perHandle = {};
  let logLineRequests = [];
  for (const [kind, handle] of Object.entries(handles)) {
    const urls = [];
    const report = await core.trace(handle, {
      resolvers: resolvers(),
      onRequest: (e) => urls.push(`${e.method} ${e.url}`),
    });
    perHandle[kind] = {
      requests: report.requests.total,
      bySystem: report.requests.bySystem,
      lookups: report.requests.lookups,
      distinctRequests: new Set(urls).size,
      lineages: report.lineages.length,
      unreachable: report.unreachable.length,
    };
    if (kind === "log line") logLineRequests = urls.map(withoutOrigin);
    console.log(`${kind}: ${report.requests.total} requests ${JSON.stringify(report.requests.bySystem)}`);
  }
  const verifyUrls = [];
  const verified = await core.verify(logLine, {
    resolvers: resolvers(),
    onRequest: (e) => verifyUrls.push(`${e.method} ${e.url}`),
  });
  // The sample report of docs/five-questions.md: what verify() returns for the log line, as JSON.
  // Written only when asked: @modeltrail/trace-html's tests render the committed sample.
  if (process.env.BENCH_TRACE_WRITE_SAMPLE === "1") {
    const samples = join(root, "docs", "samples");
    mkdirSync(samples, { recursive: true });
    writeFileSync(join(samples, "verify-report.json"), `${JSON.stringify(verified.report, null, 2)}\n`);
  }

  // (2) wall time: trace and verify in-process, and the same questions by hand
  // By hand, one command after another. The commands run asynchronously: the Databricks fake answers
  // curl from this process, so a synchronous child would block the event loop it needs (that
  // deadlock was the bench's hang). Every command has a timeout, so a stuck one fails the bench.
  const execAsync = promisify(execFile);
  const cmd = async (file, args) =>
    (await execAsync(file, args, { encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 })).stdout;
  const kubectl = (...args) => cmd(plane.kubectl, ["--kubeconfig", plane.kubeconfig, "-n", NS, ...args]);
  const pyScript = join(work, "by_hand.py");
  writeFileSync(
    pyScript,
    `import sys, json\nfrom mlflow import MlflowClient\nc = MlflowClient(sys.argv[1])\nmv = c.get_model_version(sys.argv[2], sys.argv[3])\nrun = c.get_run(mv.run_id)\nfiles = c.list_artifacts(mv.run_id, "model")\nprint(json.dumps({"sha": run.data.tags.get("mlflow.source.git.commit"), "files": [f.path for f in files], "inputs": [d.dataset.digest for d in run.inputs.dataset_inputs]}))\n`,
  );
  const byHand = async () => {
    const dep = JSON.parse(await kubectl("get", "deployment", "churn", "-o", "json"));
    const sel = Object.entries(dep.spec.selector.matchLabels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    await kubectl("get", "replicasets", "-l", sel, "-o", "json");
    const podList = JSON.parse(await kubectl("get", "pods", "-l", sel, "-o", "json"));
    await kubectl("get", "node", podList.items[0].spec.nodeName, "-o", "json");
    const img = dep.spec.template.spec.containers[0].image;
    await cmd("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${img}`]);
    await cmd("skopeo", ["inspect", "--tls-verify=false", "--config", `docker://${img}`]);
    await cmd(mlflowServer.python, [pyScript, mlflowServer.url, name, modelVersion.version]);
    await cmd("curl", ["-sf", "--max-time", "60", `${workspaceUrl}/api/2.2/jobs/runs/get?run_id=${jobRun}`]);
  };
  const haveHand = Boolean(mlflowServer.python);
  const times = { trace: [], verify: [], byHand: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? ["trace", "verify", "byHand"] : ["byHand", "verify", "trace"];
    for (const what of order) {
      if (what === "byHand" && !haveHand) continue;
      const t0 = performance.now();
      if (what === "trace") await core.trace(logLine, { resolvers: resolvers() });
      else if (what === "verify") await core.verify(logLine, { resolvers: resolvers() });
      else await byHand();
      times[what].push(performance.now() - t0);
    }
  }
  results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavg1mBefore: loadBefore,
    loadavg1mAfter: loadavg()[0],
    rounds: ROUNDS,
    perHandle,
    logLineRequests,
    verifyFromLogLine: {
      requestList: verifyUrls.map(withoutOrigin),
      requests: verified.report.requests.total,
      bySystem: verified.report.requests.bySystem,
      summary: verified.summary,
    },
    medianMs: {
      traceFromLogLine: ms(median(times.trace)),
      verifyFromLogLine: ms(median(times.verify)),
      byHand: haveHand ? ms(median(times.byHand)) : null,
    },
    byHandSteps:
      "kubectl get deployment, replicasets, pods, node; skopeo inspect --raw, --config; MLflow Python client get_model_version, get_run, list_artifacts; curl jobs/runs/get (8 process starts)",
  };
} finally {
  for (const stop of stops) await Promise.resolve(stop()).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

const out = join(root, "bench", "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "trace.json"), `${JSON.stringify(results, null, 2)}\n`);
const rows = Object.entries(results.perHandle)
  .map(
    ([k, v]) =>
      `| ${k} | ${v.requests} | ${Object.entries(v.bySystem)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ")} | ${v.lookups} | ${v.lineages} |`,
  )
  .join("\n");
const m = results.medianMs;
writeFileSync(
  join(out, "trace.md"),
  `# bench trace\n\n${results.date}, Node ${results.node}, ${results.cpus} CPUs, load ${results.loadavg1mBefore.toFixed(1)} -> ${results.loadavg1mAfter.toFixed(1)}, ${results.rounds} rounds.\n\n` +
    "Requests of `trace()` per kind of handle (each counted through `CallOptions.onRequest`; every object read once). " +
    "The clients are the ones that built the pipeline; the first row is their first trace: the registry (distribution, no referrers API) " +
    "answers 404 to the referrers API once, then its fallback tag is read directly (`log line, again`). " +
    "A registry with the referrers API (ACR, distribution 3) needs no fallback tag at all:\n\n" +
    `| handle | requests | by system | look-ups | lineages |\n|---|---|---|---|---|\n${rows}\n\n` +
    `verify() from the log line: ${results.verifyFromLogLine.requests} requests (${Object.entries(
      results.verifyFromLogLine.bySystem,
    )
      .map(([s, n]) => `${s} ${n}`)
      .join(", ")}), checks ${JSON.stringify(results.verifyFromLogLine.summary)}.\n\n` +
    `The ${results.logLineRequests.length} requests of trace() from the log line, in order:\n\n${results.logLineRequests.map((r) => `- \`${r}\``).join("\n")}\n\n` +
    `Median wall time from a prediction's log line: trace() ${m.traceFromLogLine} ms, verify() ${m.verifyFromLogLine} ms (hashes a 1 MiB model on both sides), by hand ${m.byHand ?? "n/a"} ms (${results.byHandSteps}).\n`,
);
console.log(JSON.stringify(results.medianMs));
