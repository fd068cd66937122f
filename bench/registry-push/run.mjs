// bench/registry-push: modeltrail against skopeo in one run, on a local distribution registry
// (Debian's docker-registry). For each layer size (256 MiB and 1 GiB of random model bytes):
//   build  - buildModelImage of the model directory into an OCI layout (uncompressed and gzip),
//            against `tar -cf - DIR | sha256sum` of the same tree (the floor);
//   push   - the image from the layout to a fresh registry: modeltrail's copyImage against
//            `skopeo copy oci:LAYOUT:TAG docker://...`, then a second push of the unchanged image;
//   peak RSS of every process (GNU time's %M).
// Figures go to bench/results/registry-push.{json,md}. Needs `pnpm build`, docker-registry and
// skopeo (scripts/install-oci-tools.sh). Usage: node bench/registry-push/run.mjs [--sizes 256,1024] [--repeats 2]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const sizes = arg("--sizes", "256,1024").split(",").map(Number);
const repeats = Number(arg("--repeats", "2"));
const work = mkdtempSync(join(tmpdir(), "bench-registry-push-"));

/** Runs a command under GNU time; returns wall seconds, peak RSS MiB and stdout. */
function timed(cmd, args, opts = {}) {
  const r = spawnSync("/usr/bin/time", ["-f", "__TIME__ %e %M", cmd, ...args], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    ...opts,
  });
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr.slice(-2000)}`);
  return { s: Number(m[1]), rssMiB: Number(m[2]) / 1024, stdout: r.stdout };
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A fresh docker-registry with its own storage; stop() kills it by pid and deletes the storage. */
async function startRegistry() {
  const dir = mkdtempSync(join(work, "registry-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/storage\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: bench\n`,
  );
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (res.ok) break;
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

function makeModel(dir, mib) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "MLmodel"), "flavors: {}\n");
  const fd = openSync(join(dir, "model.bin"), "w");
  const buf = Buffer.alloc(8 << 20);
  for (let left = mib << 20; left > 0; left -= buf.length) {
    randomFillSync(buf);
    writeSync(fd, buf, 0, Math.min(buf.length, left));
  }
  closeSync(fd);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {
  when: new Date().toISOString(),
  node: process.version,
  skopeo: execFileSync("skopeo", ["--version"], { encoding: "utf8" }).trim(),
  repeats,
  sizes: {},
};

for (const mib of sizes) {
  const model = join(work, `model-${mib}`);
  makeModel(model, mib);
  const r = { build: {}, push: {} };
  // build: floor, none, gzip
  const floor = [];
  const none = [];
  const gzip = [];
  let layout;
  let tag;
  for (let i = 0; i < repeats; i++) {
    execFileSync("sync");
    floor.push(timed("bash", ["-c", `tar -C '${model}' -cf - . | sha256sum >/dev/null`]));
    const l = join(work, `layout-${mib}-${i}`);
    const b = timed(process.execPath, [join(here, "child.mjs"), "build", model, l, "none"]);
    none.push(b);
    tag = JSON.parse(b.stdout).tag;
    layout = l;
    if (i === 0)
      gzip.push(
        timed(process.execPath, [
          join(here, "child.mjs"),
          "build",
          model,
          join(work, `layout-gz-${mib}`),
          "gzip",
        ]),
      );
  }
  r.build = {
    floorS: median(floor.map((x) => x.s)),
    noneS: median(none.map((x) => x.s)),
    noneRssMiB: Math.max(...none.map((x) => x.rssMiB)),
    gzipS: gzip[0].s,
    gzipRssMiB: gzip[0].rssMiB,
    ratioNoneToFloor: median(none.map((x) => x.s)) / median(floor.map((x) => x.s)),
  };
  // push: alternate order, fresh registry per tool and repeat
  const mt = [];
  const mt2 = [];
  const sk = [];
  const sk2 = [];
  for (let i = 0; i < repeats; i++) {
    for (const tool of i % 2 === 0 ? ["modeltrail", "skopeo"] : ["skopeo", "modeltrail"]) {
      const reg = await startRegistry();
      const target = `${reg.host}/bench/model`;
      try {
        execFileSync("sync");
        if (tool === "modeltrail") {
          mt.push(timed(process.execPath, [join(here, "child.mjs"), "push", layout, tag, target]));
          mt2.push(timed(process.execPath, [join(here, "child.mjs"), "push", layout, tag, target]));
        } else {
          const args = [
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            `oci:${layout}:${tag}`,
            `docker://${target}:${tag}`,
          ];
          sk.push(timed("skopeo", args));
          sk2.push(timed("skopeo", args));
        }
      } finally {
        await reg.stop();
      }
    }
  }
  r.push = {
    modeltrailS: median(mt.map((x) => x.s)),
    skopeoS: median(sk.map((x) => x.s)),
    ratio: median(mt.map((x) => x.s)) / median(sk.map((x) => x.s)),
    secondPushS: median(mt2.map((x) => x.s)),
    secondToFirst: median(mt2.map((x) => x.s)) / median(mt.map((x) => x.s)),
    secondPushBlobs: JSON.parse(mt2[0].stdout).blobs,
    skopeoSecondS: median(sk2.map((x) => x.s)),
    modeltrailRssMiB: Math.max(...mt.map((x) => x.rssMiB)),
    skopeoRssMiB: Math.max(...sk.map((x) => x.rssMiB)),
  };
  results.sizes[mib] = r;
  console.log(`${mib} MiB`, JSON.stringify(r));
  rmSync(model, { recursive: true, force: true });
}
rmSync(work, { recursive: true, force: true });

const out = join(root, "bench", "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "registry-push.json"), `${JSON.stringify(results, null, 2)}\n`);
const f = (x) => (typeof x === "number" ? x.toFixed(x < 10 ? 3 : 1) : String(x));
const lines = [
  "# registry-push",
  "",
  `modeltrail's push of a model image from an OCI layout against \`skopeo copy oci:... docker://...\` (${results.skopeo}), to a fresh local distribution registry each, and buildModelImage into a layout against \`tar -cf - DIR | sha256sum\` (the floor). ${results.node}, median of ${repeats}, ${results.when}. Targets: push ratio <= 1.0, second push / first <= 0.1, peak RSS flat in the layer size.`,
  "",
  "| layer | push modeltrail (s) | push skopeo (s) | ratio | 2nd push (s) | 2nd / 1st | RSS modeltrail (MiB) | RSS skopeo (MiB) | build none (s) | floor (s) | build / floor | build gzip (s) | build RSS (MiB) |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...Object.entries(results.sizes).map(
    ([mib, r]) =>
      `| ${mib} MiB | ${f(r.push.modeltrailS)} | ${f(r.push.skopeoS)} | ${f(r.push.ratio)} | ${f(r.push.secondPushS)} | ${f(r.push.secondToFirst)} | ${f(r.push.modeltrailRssMiB)} | ${f(r.push.skopeoRssMiB)} | ${f(r.build.noneS)} | ${f(r.build.floorS)} | ${f(r.build.ratioNoneToFloor)} | ${f(r.build.gzipS)} | ${f(r.build.noneRssMiB)} |`,
  ),
  "",
  "The second push sends no layer: every blob answers HEAD (`exists`); its time is process start, the HEADs and the manifest PUT.",
  "",
];
writeFileSync(join(out, "registry-push.md"), lines.join("\n"));
console.log(lines.join("\n"));
