// Benchmark of the serving app's trace layer (examples/serving): the same FastAPI app, model and
// uvicorn settings, with the trace layer (`python -m modeltrail_serving`: trace headers, the "trace"
// body member, one JSON log line per request written to a file) and without it (untraced.py), both
// running at once on loopback ports, under the same wrk load in interleaved rounds (the order
// alternates each round), for POST /invocations (a two-row prediction of a scikit-learn model) and
// GET /healthz (no model work: the layer's largest relative cost). Requests/s and p99 latency, medians
// of the rounds, and the ratio traced / untraced (target: >= 0.95 of the throughput).
// Needs `wrk` (Debian: apt-get install wrk) and the serving venv (scripts/install-serving.sh).
// Figures go to bench/results/serving.json and serving.md. Run with `pnpm bench serving`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertServingPython,
  pythonEnv,
  SERVING_DIR,
  SERVING_PYTHON,
  saveTinyModel,
} from "../../examples/serving/test/serving-python.ts";
import { startLocalProcess, waitUntilReady } from "../../packages/test-utils/src/local-process.ts";
import { freePort } from "../../packages/test-utils/src/mlflow-server.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const ROUNDS = Number(process.env.BENCH_SERVING_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SERVING_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_SERVING_CONNECTIONS ?? 16);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;

let wrkVersion;
try {
  wrkVersion = execFileSync("wrk", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
} catch (err) {
  wrkVersion = `${err.stdout ?? ""}`;
  if (!wrkVersion.includes("wrk")) {
    console.error("wrk is not installed: apt-get install wrk");
    process.exit(1);
  }
}
wrkVersion = wrkVersion.split("\n")[0].split(" Copyright")[0].trim();
await assertServingPython();

const TRACE_ENV = {
  GIT_SHA: "0123456789abcdef0123456789abcdef01234567",
  MODELTRAIL_CODE_GIT_SHA: "0123456789abcdef0123456789abcdef01234567",
  RUN_ID: "1795788642450001",
  MODELTRAIL_JOB_RUN_ID: "1795788642450001",
  JOB_ID: "1795788642450000",
  MODELTRAIL_MODEL_MLFLOW_RUN_ID: "0e65f4e6ffd84bbcaca05398f1d5dff3",
  MODELTRAIL_MODEL_NAME: "churn",
  MODELTRAIL_MODEL_VERSION: "2",
  MODELTRAIL_IMAGE_DIGEST: `sha256:${"cd".repeat(32)}`,
  MODELTRAIL_CODE_REPO_URL: "https://github.com/acme/churn.git",
  MODELTRAIL_JOB_PLATFORM: "databricks",
  MODELTRAIL_ENVIRONMENT_RUNTIME: JSON.stringify({
    python: "3.11",
    "scikit-learn": "1.9.1",
    mlflow: "3.17.2",
  }),
  MODELTRAIL_SCHEMA_VERSION: "1",
};

const work = mkdtempSync(join(tmpdir(), "modeltrail-bench-serving-"));
const model = join(work, "model");
console.log("saving the model ...");
await saveTinyModel(model);

async function start(name, args, env) {
  const port = await freePort();
  const logFile = join(work, `${name}.log`);
  const proc = startLocalProcess(SERVING_PYTHON, args, {
    cwd: SERVING_DIR,
    logFile,
    env: pythonEnv({ ...env, MODEL_DIR: model, HOST: "127.0.0.1", PORT: String(port) }),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    name,
    proc,
    async () => {
      try {
        return (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200;
      } catch {
        return false;
      }
    },
    300_000,
  );
  return { name, proc, base, logFile };
}

/** Parses wrk's `--latency` report. */
function parseWrk(out) {
  const unit = { us: 0.001, ms: 1, s: 1000 };
  const p = (re) => out.match(re);
  const rps = Number(p(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const p99m = p(/\s99%\s+([\d.]+)(us|ms|s)\b/);
  const p50m = p(/\s50%\s+([\d.]+)(us|ms|s)\b/);
  const total = Number(p(/(\d+) requests in/)?.[1]);
  const non2xx = Number(p(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const errors = p(/Socket errors:.*/)?.[0];
  if (!Number.isFinite(rps) || !p99m || !p50m) throw new Error(`cannot read wrk's report:\n${out}`);
  return {
    rps,
    p50Ms: Number(p50m[1]) * unit[p50m[2]],
    p99Ms: Number(p99m[1]) * unit[p99m[2]],
    requests: total,
    non2xx,
    socketErrors: errors ?? null,
  };
}

function load(base, path, seconds) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "--timeout", "10s"];
  if (path === "/invocations") args.push("-s", join(here, "post.lua"));
  const out = execFileSync("wrk", [...args, `${base}${path}`], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return parseWrk(out);
}

const countRequestLines = (file) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.includes('"msg":"request"')).length;

const loadBefore = loadavg()[0];
const servers = [];
let results;
try {
  console.log("starting both apps ...");
  servers.push(await start("traced", ["-m", "modeltrail_serving"], TRACE_ENV));
  servers.push(await start("untraced", [join(here, "untraced.py")], {}));
  const [traced, untraced] = servers;

  // the two really differ, and the traced one logs with the trace
  const probe = async (s) =>
    fetch(`${s.base}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"dataframe_records": [{"tenure": 2.0, "charges": 88.0}]}',
    });
  const a = await probe(traced);
  const b = await probe(untraced);
  if (
    a.headers.get("x-modeltrail-run-id") !== TRACE_ENV.RUN_ID ||
    b.headers.get("x-modeltrail-run-id") !== null
  )
    throw new Error("the traced app lacks its trace headers, or the untraced one has them");
  const [bodyA, bodyB] = [await a.json(), await b.json()];
  if (!bodyA.trace || bodyB.trace || JSON.stringify(bodyA.predictions) !== JSON.stringify(bodyB.predictions))
    throw new Error(`unexpected bodies: ${JSON.stringify(bodyA)} / ${JSON.stringify(bodyB)}`);

  results = {};
  for (const path of ["/invocations", "/healthz"]) {
    console.log(`warming up ${path} ...`);
    for (const s of servers) load(s.base, path, 3);
    const samples = { traced: [], untraced: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [traced, untraced] : [untraced, traced];
      for (const s of order) {
        const linesBefore = s === traced ? countRequestLines(s.logFile) : 0;
        const m = load(s.base, path, SECONDS);
        if (m.non2xx > 0) throw new Error(`${s.name} ${path}: ${m.non2xx} non-2xx answers`);
        if (s === traced) {
          const logged = countRequestLines(s.logFile) - linesBefore;
          m.logLines = logged;
          if (logged < m.requests)
            throw new Error(`traced ${path}: ${m.requests} requests but ${logged} log lines`);
        }
        samples[s.name].push(m);
        console.log(
          `  round ${r + 1} ${s.name.padEnd(8)} ${path}: ${round1(m.rps)} req/s, p99 ${round2(m.p99Ms)} ms`,
        );
      }
    }
    const summary = (xs) => ({
      rps: round1(median(xs.map((x) => x.rps))),
      p50Ms: round2(median(xs.map((x) => x.p50Ms))),
      p99Ms: round2(median(xs.map((x) => x.p99Ms))),
    });
    const t = summary(samples.traced);
    const u = summary(samples.untraced);
    // per-round ratios (each round's traced and untraced runs are back to back)
    const ratios = samples.traced.map((x, i) => x.rps / samples.untraced[i].rps);
    results[path] = {
      traced: t,
      untraced: u,
      throughputRatio: round2(t.rps / u.rps),
      medianRoundRatio: round2(median(ratios)),
      p99Ratio: round2(t.p99Ms / u.p99Ms),
      samples,
    };
  }
} finally {
  for (const s of servers) await s.proc.stop();
}
const loadAfter = loadavg()[0];
const pyVersions = execFileSync(
  SERVING_PYTHON,
  [
    "-c",
    "import importlib.metadata as m, platform; print(platform.python_version(), *(m.version(p) for p in ('fastapi','uvicorn','mlflow','scikit-learn')))",
  ],
  { encoding: "utf8", env: pythonEnv() },
)
  .trim()
  .split(" ");
rmSync(work, { recursive: true, force: true });

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform}/${process.arch}`,
  cpus: cpus().length,
  loadBefore: round1(loadBefore),
  loadAfter: round1(loadAfter),
  python: pyVersions[0],
  fastapi: pyVersions[1],
  uvicorn: pyVersions[2],
  mlflow: pyVersions[3],
  scikitLearn: pyVersions[4],
  wrk: wrkVersion,
  rounds: ROUNDS,
  seconds: SECONDS,
  connections: CONNECTIONS,
};
const out = { meta, results };
mkdirSync(join(root, "bench", "results"), { recursive: true });
const write = (file, text) => {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
};
write(join(root, "bench", "results", "serving.json"), `${JSON.stringify(out, null, 2)}\n`);

const row = (label, x, ratio) => `| ${label} | ${x.rps} | ${x.p50Ms} | ${x.p99Ms} | ${ratio} |`;
const section = (path, what) => {
  const r = results[path];
  return `## ${path}: ${what} (median of ${ROUNDS} interleaved rounds of ${SECONDS} s)

| app | requests/s | p50 ms | p99 ms | throughput ratio |
|---|---|---|---|---|
${row("with the trace layer (headers, body, one JSON log line per request)", r.traced, `**${r.throughputRatio}**`)}
${row("without it (same app, same model, same uvicorn settings)", r.untraced, "1.00")}

Median of the per-round ratios: ${r.medianRoundRatio}; p99 ratio: ${r.p99Ratio}.
Requests/s per round: traced ${r.samples.traced.map((x) => round1(x.rps)).join(", ")}; untraced ${r.samples.untraced.map((x) => round1(x.rps)).join(", ")}.
`;
};
const md = `# Serving app benchmark: the trace layer's cost

${meta.date}, ${meta.platform}, ${meta.cpus} cores, 1-minute load average ${meta.loadBefore} before and ${meta.loadAfter} after
(the machine is shared: compare the ratios, measured in the same interleaved rounds, rather than the
absolute figures). Python ${meta.python}, FastAPI ${meta.fastapi}, uvicorn ${meta.uvicorn} (one process),
MLflow ${meta.mlflow}, scikit-learn ${meta.scikitLearn}; load from ${meta.wrk}, 1 thread,
${CONNECTIONS} connections, on 127.0.0.1. Both apps run at once; the traced one writes its log lines
to a file, and the benchmark checks it wrote one for every request. Produced by \`pnpm bench serving\`.

Target: the app with the trace layer keeps at least 0.95 of the throughput without it.

${section("/invocations", "a two-row prediction of a scikit-learn model (MLflow pyfunc)")}
${section("/healthz", "no model work, the largest relative cost of the layer")}`;
write(join(root, "bench", "results", "serving.md"), md);
console.log(md);
