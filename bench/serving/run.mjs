// Benchmark of the serving app's trace layer (examples/serving): the same FastAPI app, model and
// uvicorn settings, with the trace layer (`python -m modeltrail_serving`: trace headers, the "trace"
// body member, one JSON log line per request written to a file) and without it (untraced.py), both
// running at once on loopback ports, under the same wrk load in interleaved rounds (the order
// alternates each round), for POST /invocations (a two-row prediction of a scikit-learn model) and
// GET /healthz (no model work: the layer's largest relative cost). Requests/s and p99 latency, medians
// of the rounds, and the ratio traced / untraced (target: >= 0.95 of the throughput): the headline is
// the median of the per-round ratios (each round's two runs are back to back, so a change in the
// machine's load between rounds cancels out). Beside it, each server's CPU time per request (user +
// system, all its threads, from /proc/<pid>/stat): what the layer costs the server, which the other
// sessions on a shared machine disturb far less than they disturb throughput.
// Needs `wrk` (Debian: apt-get install wrk) and the serving venv (scripts/install-serving.sh).
// Figures go to bench/results/serving.json and serving.md. Run with `pnpm bench serving`.
import { execFile, execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  assertServingPython,
  pythonEnv,
  SERVING_DIR,
  SERVING_PYTHON,
  saveTinyModel,
} from "../../examples/serving/test/serving-python.ts";
import { startLocalProcess, waitUntilReady } from "../../packages/test-utils/src/local-process.ts";
import { freePort } from "../../packages/test-utils/src/mlflow-server.ts";

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const ROUNDS = Number(process.env.BENCH_SERVING_ROUNDS ?? 11);
const IN_ROUNDS = Number(process.env.BENCH_SERVING_IN_PROCESS_ROUNDS ?? 11);
const SECONDS = Number(process.env.BENCH_SERVING_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_SERVING_CONNECTIONS ?? 16);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const round1 = (x) => Math.round(x * 10) / 10;
const round2 = (x) => Math.round(x * 100) / 100;
const round3 = (x) => Math.round(x * 1000) / 1000;
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds (user + system, all threads) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

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

async function load(base, path, seconds) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "--timeout", "10s"];
  if (path === "/invocations") args.push("-s", join(here, "post.lua"));
  const { stdout } = await execFileAsync("wrk", [...args, `${base}${path}`], {
    encoding: "utf8",
    timeout: (seconds + 60) * 1000,
  });
  return parseWrk(stdout);
}

/**
 * The number of request log lines in a file so far. Reads on from where the last call for the file
 * stopped, 1 MiB at a time: a log of gigabytes (a quiet machine answers ~10,000 /healthz a second)
 * is never held whole.
 */
const lineCounters = new Map();
function countRequestLines(file) {
  let c = lineCounters.get(file);
  if (!c) {
    c = { offset: 0, rest: "", lines: 0 };
    lineCounters.set(file, c);
  }
  const fd = openSync(file, "r");
  const buf = Buffer.alloc(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, c.offset);
      if (n === 0) break;
      c.offset += n;
      const parts = (c.rest + buf.toString("latin1", 0, n)).split("\n");
      c.rest = parts.pop();
      for (const l of parts) if (l.includes('"msg":"request"')) c.lines++;
    }
  } finally {
    closeSync(fd);
  }
  return c.lines;
}

const loadBefore = loadavg()[0];
let traceHeaderCount = 0;
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
  traceHeaderCount = [...a.headers.keys()].filter((k) => k.startsWith("x-modeltrail-")).length;
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
    await Promise.all(servers.map((s) => load(s.base, path, 3)));
    /** Loads each of `group` (one app, or both at once) for SECONDS; checks the answers and log lines. */
    const measure = async (group, label, r) => {
      const before = group.map((s) => ({
        lines: s === traced ? countRequestLines(s.logFile) : 0,
        cpu: cpuSeconds(s.proc.pid),
      }));
      const loadAverage = round1(loadavg()[0]);
      const ms = await Promise.all(group.map((s) => load(s.base, path, SECONDS)));
      return group.map((s, i) => {
        const m = ms[i];
        m.cpuUsPerRequest = round1(((cpuSeconds(s.proc.pid) - before[i].cpu) * 1e6) / m.requests);
        m.loadAverage = loadAverage;
        if (m.non2xx > 0) throw new Error(`${s.name} ${path}: ${m.non2xx} non-2xx answers`);
        if (s === traced) {
          m.logLines = countRequestLines(s.logFile) - before[i].lines;
          if (m.logLines < m.requests)
            throw new Error(`traced ${path}: ${m.requests} requests but ${m.logLines} log lines`);
        }
        console.log(
          `  round ${r + 1} ${label} ${s.name.padEnd(8)} ${path}: ${round1(m.rps)} req/s, p99 ${round2(m.p99Ms)} ms, ${m.cpuUsPerRequest} µs CPU/request, load ${m.loadAverage}`,
        );
        return m;
      });
    };
    // in turn: one app at a time, back to back, the order alternating; at once: both under load
    // together, so that the rest of the machine's load is the same for both
    const samples = { traced: [], untraced: [] };
    const atOnce = { traced: [], untraced: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [traced, untraced] : [untraced, traced];
      for (const s of order) samples[s.name].push((await measure([s], "in turn", r))[0]);
      const [t, u] = await measure([traced, untraced], "at once", r);
      atOnce.traced.push(t);
      atOnce.untraced.push(u);
    }
    const summary = (xs) => ({
      rps: round1(median(xs.map((x) => x.rps))),
      p50Ms: round2(median(xs.map((x) => x.p50Ms))),
      p99Ms: round2(median(xs.map((x) => x.p99Ms))),
      cpuUsPerRequest: round1(median(xs.map((x) => x.cpuUsPerRequest))),
    });
    const t = summary(samples.traced);
    const u = summary(samples.untraced);
    // per-round ratios (each round's traced and untraced runs are back to back)
    const ratios = samples.traced.map((x, i) => x.rps / samples.untraced[i].rps);
    // the same for CPU time: untraced CPU per request / traced CPU per request
    const cpuRatios = samples.traced.map((x, i) => samples.untraced[i].cpuUsPerRequest / x.cpuUsPerRequest);
    const atOnceRatios = atOnce.traced.map((x, i) => x.rps / atOnce.untraced[i].rps);
    results[path] = {
      atOnceRatio: round3(median(atOnceRatios)),
      atOnceRoundRatios: atOnceRatios.map(round3),
      atOnce: { traced: summary(atOnce.traced), untraced: summary(atOnce.untraced) },
      traced: t,
      untraced: u,
      medianRoundRatio: round3(median(ratios)),
      roundRatios: ratios.map(round3),
      throughputRatio: round3(t.rps / u.rps),
      cpuRatio: round3(median(cpuRatios)),
      cpuRoundRatios: cpuRatios.map(round3),
      layerCpuUsPerRequest: round1(t.cpuUsPerRequest - u.cpuUsPerRequest),
      p99Ratio: round2(t.p99Ms / u.p99Ms),
      samples,
      atOnceSamples: atOnce,
    };
  }
} finally {
  for (const s of servers) await s.proc.stop();
}

/** How many trace headers a traced response carries (besides x-request-id). */
const TRACE_HEADERS = traceHeaderCount;

// in process: each app's CPU time per request through uvicorn's own HTTP protocol, no sockets
console.log("in process ...");
const IN_PROCESS = { "/invocations": [IN_ROUNDS, 200], "/healthz": [IN_ROUNDS, 2000] };
for (const [path, [rounds, requests]] of Object.entries(IN_PROCESS)) {
  const logFile = join(work, "in-process.log");
  const linesBefore = existsSync(logFile) ? countRequestLines(logFile) : 0;
  const { stdout } = await execFileAsync(
    SERVING_PYTHON,
    [
      join(here, "inprocess.py"),
      model,
      logFile,
      String(rounds),
      String(requests),
      ...(path === "/healthz" ? ["--breakdown"] : []),
      path,
    ],
    { cwd: SERVING_DIR, env: pythonEnv(TRACE_ENV), encoding: "utf8", timeout: 1_800_000 },
  );
  const { [path]: runs } = JSON.parse(stdout);
  const warmUp = Math.max(50, Math.floor(requests / 10));
  const logged = countRequestLines(logFile) - linesBefore;
  if (logged !== warmUp + rounds * requests)
    throw new Error(
      `in process ${path}: ${warmUp + rounds * requests} traced requests but ${logged} log lines`,
    );
  const ratios = runs.traced.map((t, i) => runs.untraced[i] / t);
  results[path].inProcess = {
    rounds,
    requests,
    tracedCpuUs: round1(median(runs.traced)),
    untracedCpuUs: round1(median(runs.untraced)),
    ratio: round3(median(ratios)),
    roundRatios: ratios.map(round3),
    layerCpuUs: round1(median(runs.traced.map((t, i) => t - runs.untraced[i]))),
    runs,
  };
  if (runs["no-write"]) {
    // where the layer's time goes: medians of the per-round differences between the variants
    const diff = (a, b) => round1(median(a.map((x, i) => x - b[i])));
    results[path].inProcess.breakdown = {
      write: diff(runs.traced, runs["no-write"]),
      headers: diff(runs["no-write"], runs["no-write-no-headers"]),
      rest: diff(runs["no-write-no-headers"], runs.untraced),
    };
  }
  console.log(`  ${path}: ${JSON.stringify(results[path].inProcess)}`);
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

const row = (label, x) => `| ${label} | ${x.rps} | ${x.p50Ms} | ${x.p99Ms} | ${x.cpuUsPerRequest} |`;
const verdict = (ratio) => (ratio >= 0.95 ? "target met" : `short of the target by ${round3(0.95 - ratio)}`);
const loads = (xs) => xs.map((x) => x.loadAverage);
const section = (path, what) => {
  const r = results[path];
  const all = [...r.samples.traced, ...r.samples.untraced];
  const rps = (xs) => xs.map((x) => round1(x.rps)).join(", ");
  // the target is judged on predictions; /healthz's ratios are shown as they are
  const v = (ratio) => (path === "/invocations" ? ` (${verdict(ratio)})` : "");
  return `## ${path}: ${what} (${ROUNDS} rounds of ${SECONDS} s)

| app (run in turn) | requests/s | p50 ms | p99 ms | server CPU µs / request |
|---|---|---|---|---|
${row("with the trace layer (headers, body, one JSON log line per request)", r.traced)}
${row("without it (same app, same model, same uvicorn settings)", r.untraced)}

(medians of the rounds)

- **Throughput ratio, in turn (median of the per-round ratios): ${r.medianRoundRatio}**${v(r.medianRoundRatio)};
  ratio of the median throughputs: ${r.throughputRatio}.
- **Throughput ratio, both at once (median of the per-round ratios): ${r.atOnceRatio}**${v(r.atOnceRatio)};
  medians ${r.atOnce.traced.rps} and ${r.atOnce.untraced.rps} requests/s.
- CPU-time ratio (untraced / traced CPU per request, in turn, median of the rounds): ${r.cpuRatio}: the
  layer costs the server ${r.layerCpuUsPerRequest} µs of CPU a request (medians ${r.traced.cpuUsPerRequest} and ${r.untraced.cpuUsPerRequest}).
- **In process, through uvicorn's HTTP protocol without sockets (median of ${r.inProcess.rounds} rounds of ${r.inProcess.requests}
  requests a app): CPU-time ratio ${r.inProcess.ratio}**${v(r.inProcess.ratio)}: ${r.inProcess.tracedCpuUs} µs a request with
  the layer, ${r.inProcess.untracedCpuUs} µs without; the layer costs ${r.inProcess.layerCpuUs} µs (per-round ratios ${r.inProcess.roundRatios.join(", ")}).
${
  r.inProcess.breakdown
    ? `- Where the layer's ${r.inProcess.layerCpuUs} µs go (in process, medians of the per-round differences between
  variants of the traced app run in the same rounds): the log line's write (one \`write\` to the log file,
  before the response leaves) ${r.inProcess.breakdown.write} µs; the ${TRACE_HEADERS} trace headers and the request
  id (uvicorn checks each header) ${r.inProcess.breakdown.headers} µs; the rest (the ASGI middleware, the request id,
  building the line, the body member) ${r.inProcess.breakdown.rest} µs.
`
    : ""
}- p99 ratio (in turn): ${r.p99Ratio}.
- Per-round throughput ratios, in turn: ${r.roundRatios.join(", ")}; at once: ${r.atOnceRoundRatios.join(", ")}.
- Per-round CPU-time ratios, in turn: ${r.cpuRoundRatios.join(", ")}.
- Requests/s per round, in turn: traced ${rps(r.samples.traced)}; untraced ${rps(r.samples.untraced)}.
- Requests/s per round, at once: traced ${rps(r.atOnceSamples.traced)}; untraced ${rps(r.atOnceSamples.untraced)}.
- 1-minute load average at the start of each run: ${Math.min(...loads(all))} to ${Math.max(...loads(all))}.
`;
};
const md = `# Serving app benchmark: the trace layer's cost

${meta.date}, ${meta.platform}, ${meta.cpus} cores, 1-minute load average ${meta.loadBefore} before and ${meta.loadAfter} after
(the machine is shared with other work: compare the ratios, measured in the same interleaved rounds,
rather than the absolute figures). Python ${meta.python}, FastAPI ${meta.fastapi}, uvicorn ${meta.uvicorn}
(one process, httptools and uvloop), MLflow ${meta.mlflow}, scikit-learn ${meta.scikitLearn}; load from
${meta.wrk}, 1 thread, ${CONNECTIONS} connections per app, on 127.0.0.1, on the same machine. Both apps
run all along. Each round loads them in turn (${SECONDS} s each, back to back, the order alternating from
round to round), then both at once (${SECONDS} s, the same load on each, so that whatever else the
machine runs weighs on both alike). The traced one writes its log lines to a file, and the benchmark
checks it wrote one for every request. Produced by \`pnpm bench serving\`.

Target: the app with the trace layer keeps at least 0.95 of the throughput without it, judged on
predictions (\`POST /invocations\`, what the app is for). \`GET /healthz\` does no work of its own (about
${results["/healthz"].inProcess.untracedCpuUs} µs a request in process): it shows the layer's fixed cost per request, which no
request can avoid while each one is logged (broken down below). The figures
are medians of the per-round ratios; the CPU time each server spends per request (from
/proc/<pid>/stat, all threads) measures the layer's cost with less of the other sessions' noise.
Last, \`bench/serving/inprocess.py\` runs both apps in one process through uvicorn's own HTTP
protocol (httptools, the same ASGI stack, uvicorn's response writing) on an in-memory transport,
rounds alternating, and measures the process CPU time per request: no kernel networking, no load
generator, the closest this machine gets to the layer's own cost (a CPU-bound server's throughput
ratio is the inverse of its CPU-time ratio).

${section("/invocations", "a two-row prediction of a scikit-learn model (MLflow pyfunc)")}
${section("/healthz", "no work of its own, the layer's fixed cost per request (not the target's endpoint)")}`;
write(join(root, "bench", "results", "serving.md"), md);
console.log(md);
