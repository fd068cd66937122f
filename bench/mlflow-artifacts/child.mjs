// One modeltrail transfer in its own process, so that its peak RSS is measured alone.
// argv[2]: JSON { bundle, op: "download" | "upload" | "idle", baseUrl, runId, path, local, concurrency,
// sampleMemory }. Prints one JSON line: { transferMs, bytes, files, maxRssKiB } and, with
// sampleMemory, the highest `process.memoryUsage()` ArrayBuffer and V8 heap figures seen every 25 ms
// (maxArrayBuffersMiB, maxHeapUsedMiB): where the peak RSS comes from.
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const job = JSON.parse(process.argv[2]);
const mod = await import(pathToFileURL(job.bundle).href);
const { HttpClient, MlflowArtifacts } = mod;
const http = new HttpClient({ baseUrl: job.baseUrl, service: "mlflow", timeoutMs: 120_000 });
const artifacts = new MlflowArtifacts(http, { concurrency: job.concurrency ?? 8 });
const ref = { runId: job.runId, path: job.path };
const sampled = { arrayBuffers: 0, heapUsed: 0 };
const sampler = job.sampleMemory
  ? setInterval(() => {
      const m = process.memoryUsage();
      sampled.arrayBuffers = Math.max(sampled.arrayBuffers, m.arrayBuffers);
      sampled.heapUsed = Math.max(sampled.heapUsed, m.heapUsed);
    }, 25)
  : undefined;
const start = performance.now();
let result;
if (job.op === "idle")
  result = { bytes: 0, files: [] }; // baseline: library loaded, client created
else if (job.op === "download") result = await artifacts.downloadTree(ref, job.local);
else if (job.op === "upload") result = await artifacts.uploadTree(job.local, ref);
else throw new Error(`unknown op ${job.op}`);
const transferMs = performance.now() - start;
clearInterval(sampler);
const mib = (b) => +(b / 1024 ** 2).toFixed(1);
const memory = job.sampleMemory
  ? { maxArrayBuffersMiB: mib(sampled.arrayBuffers), maxHeapUsedMiB: mib(sampled.heapUsed) }
  : {};
await http.close();
process.stdout.write(
  `${JSON.stringify({ transferMs, bytes: result.bytes, files: result.files.length, maxRssKiB: process.resourceUsage().maxRSS, ...memory })}\n`,
);
