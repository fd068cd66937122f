// Benchmark of @modeltrail/core (built dist):
//  (1) cold start: `node -e 'await import("@modeltrail/core")'` versus a bare `node -e ''`, each run
//      in fresh processes, interleaved, median wall time and the ratio;
//  (2) codec throughput: encode/decode operations per second for each TraceContext codec.
// Figures go to bench/results/core.json and core.md. Run with `pnpm bench core` after `pnpm build`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const dist = join(root, "packages", "core", "dist", "index.js");
if (!existsSync(dist)) {
  console.error("packages/core/dist is missing: run `pnpm build` first");
  process.exit(1);
}
const runs = Number(process.env.BENCH_COLD_RUNS ?? 25);

function timeProcess(args) {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}`);
  return performance.now() - start;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const importCode = `await import(${JSON.stringify(pathToFileURL(dist).href)})`;
const bare = [];
const withCore = [];
timeProcess(["-e", ""]); // warm the OS file cache for both sides
timeProcess(["--input-type=module", "-e", importCode]);
for (let i = 0; i < runs; i++) {
  bare.push(timeProcess(["-e", ""]));
  withCore.push(timeProcess(["--input-type=module", "-e", importCode]));
}
const cold = {
  runs,
  bareNodeMedianMs: +median(bare).toFixed(1),
  importCoreMedianMs: +median(withCore).toFixed(1),
  ratio: +(median(withCore) / median(bare)).toFixed(2),
};

const core = await import(pathToFileURL(dist).href);
const ctx = core.createTraceContext({
  code: {
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    repoUrl: "https://github.com/acme/churn-model.git",
    branch: "main",
    dirty: false,
  },
  ci: { provider: "github-actions", runId: "987654321", runAttempt: "1", workflow: "train" },
  job: { platform: "databricks", jobId: "1234", runId: "5678", taskRunId: "91011", taskKey: "train" },
  model: { name: "churn", version: "7", mlflowRunId: "a1b2c3d4e5f6" },
  image: { ref: "acme.azurecr.io/churn:a1b2c3d4e5f6", digest: `sha256:${"ab".repeat(32)}` },
  deployment: { platform: "kubernetes", cluster: "aks-prod", namespace: "models", name: "churn" },
  environment: { name: "prod", runtime: { node: "24.21.0", python: "3.11.7" } },
  data: [{ name: "train", uri: "s3://bucket/train.parquet", version: "3", digest: "sha256:abc" }],
});

function throughput(name, fn, minMs = 400) {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
  }
  return { name, opsPerSec: Math.round((ops * 1000) / (performance.now() - start)) };
}
const pairs = [
  ["toEnv", "fromEnv"],
  ["toMlflowTags", "fromMlflowTags"],
  ["toAnnotations", "fromAnnotations"],
  ["toBaggage", "fromBaggage"],
];
const codecs = [];
for (const [enc, dec] of pairs) {
  if (typeof core[enc] !== "function") continue;
  const encoded = core[enc](ctx);
  codecs.push(throughput(enc, () => core[enc](ctx)));
  if (typeof core[dec] === "function") codecs.push(throughput(dec, () => core[dec](encoded)));
}
for (const enc of ["toK8sLabels", "toOtelAttributes", "toLogFields"]) {
  if (typeof core[enc] === "function") codecs.push(throughput(enc, () => core[enc](ctx)));
}
codecs.push(throughput("createTraceContext", () => core.createTraceContext(ctx.toJSON())));

const result = {
  date: new Date().toISOString(),
  node: process.version,
  machine: `${process.platform}/${process.arch}`,
  coldStart: cold,
  codecs,
};
const outDir = join(root, "bench", "results");
mkdirSync(outDir, { recursive: true });
const write = (file, text) => {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
};
write(join(outDir, "core.json"), `${JSON.stringify(result, null, 2)}\n`);
const md = [
  "# @modeltrail/core benchmark",
  "",
  `${result.date}, Node ${result.node}, ${result.machine}. Produced by \`pnpm bench core\`.`,
  "",
  "## Cold start (median of fresh processes)",
  "",
  "| command | median ms |",
  "|---|---|",
  `| \`node -e ''\` | ${cold.bareNodeMedianMs} |`,
  `| \`node -e 'await import("@modeltrail/core")'\` | ${cold.importCoreMedianMs} |`,
  `| **ratio** | **${cold.ratio}** |`,
  "",
  "## Codec throughput",
  "",
  "| operation | ops/s |",
  "|---|---|",
  ...codecs.map((c) => `| ${c.name} | ${c.opsPerSec.toLocaleString("en-US")} |`),
  "",
].join("\n");
write(join(outDir, "core.md"), md);
console.log(md);
