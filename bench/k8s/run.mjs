// Benchmark of @modeltrail/k8s (built dist) against kubectl, on a local control plane (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kwok; built by scripts/install-k8s.sh and
// started here, stopped at the end):
//  (1) time from apply to rollout complete of a 3-replica Deployment update (new image and trace),
//      ours (`deploy()`: server-side apply + watch with kubectl's rollout algorithm) in-process and as a
//      fresh `node` process, versus `kubectl apply --server-side` + `kubectl rollout status` (two
//      process starts, as a CI job runs them); rounds interleaved, medians and ratios;
//  (2) the API requests ours makes for one deploy and one rollback (counted with the client's logger).
// Figures go to bench/results/k8s.json and k8s.md. Run with `pnpm build && pnpm bench k8s`.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startK8sControlPlane } from "../../packages/test-utils/src/k8s-control-plane.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const dist = join(root, "packages", "k8s", "dist", "index.js");
const coreDist = join(root, "packages", "core", "dist", "index.js");
if (!existsSync(dist) || !existsSync(coreDist)) {
  console.error("packages/k8s/dist or packages/core/dist is missing: run `pnpm build` first");
  process.exit(1);
}
const ROUNDS = Number(process.env.BENCH_K8S_ROUNDS ?? 7);
const REPLICAS = 3;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const round1 = (x) => Math.round(x * 10) / 10;

const k8s = await import(pathToFileURL(dist).href);
const core = await import(pathToFileURL(coreDist).href);
const work = mkdtempSync(join(tmpdir(), "modeltrail-bench-k8s-"));
console.log("starting the control plane ...");
const plane = await startK8sControlPlane();
const NS = "bench";
const kubectl = (...args) =>
  execFileSync(plane.kubectl, ["--kubeconfig", plane.kubeconfig, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

/** The manifests of training run `n` for Deployment `name`. */
function manifests(name, n) {
  const ctx = core.createTraceContext({
    code: { gitSha: String(n % 10).repeat(40) },
    job: { platform: "databricks", jobId: "1795788642450000", runId: String(1795788642450000 + n) },
    model: { name: "churn", version: String(n) },
  });
  return k8s.renderDeployment(ctx, {
    name,
    namespace: NS,
    image: `registry.example/models/churn:${1795788642450000 + n}`,
    port: 8080,
    replicas: REPLICAS,
  });
}

/** A child script deploying one Deployment with the built package, for the fresh-process figure. */
const childScript = join(work, "deploy-child.mjs");
writeFileSync(
  childScript,
  `const k8s = await import(${JSON.stringify(pathToFileURL(dist).href)});
const core = await import(${JSON.stringify(pathToFileURL(coreDist).href)});
const [kubeconfig, name, n] = process.argv.slice(2);
const ctx = core.createTraceContext({ code: { gitSha: String(n % 10).repeat(40) }, job: { platform: "databricks", jobId: "1795788642450000", runId: String(1795788642450000 + Number(n)) }, model: { name: "churn", version: String(n) } });
const m = k8s.renderDeployment(ctx, { name, namespace: "${NS}", image: "registry.example/models/churn:" + (1795788642450000 + Number(n)), port: 8080, replicas: ${REPLICAS} });
const kube = new k8s.KubeClient({ kubeconfig, namespace: "${NS}" });
await k8s.deploy(kube, m, { rolloutTimeoutMs: 120000 });
await kube.close();
`,
);

const loadBefore = loadavg()[0];
let results;
try {
  kubectl("create", "namespace", NS);
  let requests = 0;
  const kube = new k8s.KubeClient({
    kubeconfig: plane.kubeconfig,
    namespace: NS,
    logger: (e) => {
      if (e.type === "request") requests++;
    },
  });
  const time = (fn) => {
    const start = performance.now();
    return Promise.resolve(fn()).then(() => performance.now() - start);
  };
  const kubectlDeploy = (name, n) => {
    const file = join(work, `${name}-${n}.yaml`);
    writeFileSync(file, k8s.toYaml(manifests(name, n).deployment));
    kubectl("apply", "--server-side", "--field-manager=kubectl-bench", "-f", file);
    kubectl("rollout", "status", `deployment/${name}`, "-n", NS, "--timeout=120s");
  };
  const childDeploy = (name, n) => {
    const r = spawnSync(process.execPath, [childScript, plane.kubeconfig, name, String(n)], {
      stdio: "inherit",
    });
    if (r.status !== 0) throw new Error(`deploy child exited ${r.status}`);
  };

  // Create the three Deployments (not timed), then time updates: each round rolls out a new image.
  await k8s.deploy(kube, manifests("ours", 0), { rolloutTimeoutMs: 120_000 });
  childDeploy("ours-process", 0);
  kubectlDeploy("kubectl", 0);
  const ours = [];
  const oursProcess = [];
  const peer = [];
  for (let i = 1; i <= ROUNDS; i++) {
    ours.push(await time(() => k8s.deploy(kube, manifests("ours", i), { rolloutTimeoutMs: 120_000 })));
    oursProcess.push(await time(() => childDeploy("ours-process", i)));
    peer.push(await time(() => kubectlDeploy("kubectl", i)));
    console.log(
      `round ${i}: ours ${round1(ours.at(-1))} ms, ours (process) ${round1(oursProcess.at(-1))} ms, kubectl ${round1(peer.at(-1))} ms`,
    );
  }

  // Requests of one deploy (an update) and one rollback (to the previous revision).
  requests = 0;
  await k8s.deploy(kube, manifests("ours", ROUNDS + 1), { rolloutTimeoutMs: 120_000 });
  const deployRequests = requests;
  requests = 0;
  await k8s.rollback(kube, "ours", { rolloutTimeoutMs: 120_000 });
  const rollbackRequests = requests;
  await kube.close();

  const history = kubectl("rollout", "history", "deployment/kubectl", "-n", NS).trim().split("\n").length - 2;
  results = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    kubernetes: "v1.37.2 (kube-apiserver, controller-manager, scheduler, kubectl), etcd 3.7.0, kwok 0.8.0",
    rounds: ROUNDS,
    replicas: REPLICAS,
    rolloutMs: {
      oursInProcessMedian: round1(median(ours)),
      oursFreshProcessMedian: round1(median(oursProcess)),
      kubectlApplyPlusRolloutStatusMedian: round1(median(peer)),
      ratioInProcess: +(median(ours) / median(peer)).toFixed(2),
      ratioFreshProcess: +(median(oursProcess) / median(peer)).toFixed(2),
      samples: { ours: ours.map(round1), oursProcess: oursProcess.map(round1), kubectl: peer.map(round1) },
    },
    apiRequests: { deploy: deployRequests, rollback: rollbackRequests },
    kubectlRevisions: history,
    machine: {
      cpus: cpus().length,
      loadAverage1mBefore: round1(loadBefore),
      loadAverage1mAfter: round1(loadavg()[0]),
    },
  };
} finally {
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
}

const r = results.rolloutMs;
const md = `# @modeltrail/k8s benchmark

${results.date}, Node ${results.node}, ${results.platform}. Kubernetes ${results.kubernetes}, all on 127.0.0.1
(kwok marks pods ready at once, so the figures are the client's and the control plane's overhead, not
container start-up). ${results.machine.cpus} cores, 1-minute load average ${results.machine.loadAverage1mBefore} before and
${results.machine.loadAverage1mAfter} after (the machine is shared: compare the ratios, measured in the same interleaved rounds,
rather than the absolute times). Produced by \`pnpm build && pnpm bench k8s\`.

## Apply to rollout complete: update of a ${results.replicas}-replica Deployment (median of ${results.rounds} interleaved rounds)

| client | median ms | ratio to kubectl |
|---|---|---|
| \`deploy()\` in-process (server-side apply + watch) | ${r.oursInProcessMedian} | **${r.ratioInProcess}** |
| \`deploy()\` in a fresh \`node\` process (import + config + deploy) | ${r.oursFreshProcessMedian} | **${r.ratioFreshProcess}** |
| \`kubectl apply --server-side\` + \`kubectl rollout status\` | ${r.kubectlApplyPlusRolloutStatusMedian} | 1.00 |

Target: at most 1.0 of kubectl. Samples (ms): ours ${r.samples.ours.join(", ")}; ours in a process ${r.samples.oursProcess.join(", ")}; kubectl ${r.samples.kubectl.join(", ")}.

## API requests

| operation | requests |
|---|---|
| one deploy (apply + rollout watch + live trace) | ${results.apiRequests.deploy} |
| one rollback to the previous revision (read, history, apply, watch, live trace) | ${results.apiRequests.rollback} |
`;
const out = join(here, "..", "results");
mkdirSync(out, { recursive: true });
for (const [file, text] of [
  ["k8s.json", `${JSON.stringify(results, null, 2)}\n`],
  ["k8s.md", md],
]) {
  writeFileSync(join(out, `${file}.tmp`), text);
  renameSync(join(out, `${file}.tmp`), join(out, file));
}
console.log(md);
