// What each cloud SDK would add to an install of @modeltrail/mlflow and to the first use of a
// storage URI: the size of its installed dependency closure (files on disk, pnpm layout) and the
// time to import it cold in a fresh Node process (median of `runs`). modeltrail loads only
// @smithy/signature-v4, and only when Unity Catalog hands out AWS temporary credentials.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

function dirSize(d) {
  let s = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.name === "node_modules") continue;
    const p = join(d, e.name);
    if (e.isDirectory()) s += dirSize(p);
    else if (e.isFile()) s += statSync(p).size;
  }
  return s;
}

/** The directory of `name` as Node would find it from `fromDir` (walking up node_modules). */
function findPackage(name, fromDir) {
  for (let d = fromDir; ; d = dirname(d)) {
    const p = join(d, "node_modules", name, "package.json");
    if (existsSync(p)) return realpathSync(dirname(p));
    if (dirname(d) === d) throw new Error(`cannot find ${name} from ${fromDir}`);
  }
}

/** Installed size (bytes) and package count of `name` and everything it depends on. */
export function closureSize(name, fromDir) {
  const seen = new Map();
  const visit = (n, from) => {
    const dir = findPackage(n, from);
    if (seen.has(dir)) return;
    seen.set(dir, dirSize(dir));
    const pj = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) {
      try {
        visit(dep, dir);
      } catch {
        // an optional dependency for another platform
      }
    }
  };
  visit(name, fromDir);
  return { packages: seen.size, bytes: [...seen.values()].reduce((a, b) => a + b, 0) };
}

/** Median wall time (ms) of a cold `import(name)` in a fresh Node process, resolved from `fromDir`. */
export function coldImportMs(name, fromDir, runs = 5) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const t=performance.now();await import(${JSON.stringify(name)});console.log(performance.now()-t)`,
      ],
      { cwd: fromDir, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(r.stderr);
    times.push(Number(r.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
