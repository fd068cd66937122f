// Loads the built dist of every publishable package with plain Node (no vitest, no aliases: what a
// user's `import` and `require` get) and prints one JSON report:
//   { packages: { "<name>": { esm: ModuleReport, cjs: ModuleReport } }, crossBuild: {...} }
// Usage: node dist-probe.mjs <repo root>
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeModule, sampleError } from "./module-report.mjs";

const root = process.argv[2];
if (!root) {
  console.error("usage: node dist-probe.mjs <repo root>");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const coreDir = join(root, "packages", "core");
const coreEsm = await import(pathToFileURL(join(coreDir, "dist", "index.js")).href);
const coreCjs = require(join(coreDir, "dist", "index.cjs"));

const packages = {};
for (const dir of readdirSync(join(root, "packages")).sort()) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
  } catch {
    continue;
  }
  if (manifest.private) continue;
  // Every entry of the exports map (`@modeltrail/core` and `@modeltrail/core/internal`, ...).
  for (const [subpath, target] of Object.entries(manifest.exports ?? { ".": {} })) {
    if (typeof target === "string") continue; // ./package.json
    const pkgDir = join(root, "packages", dir);
    const esm = await import(pathToFileURL(join(pkgDir, target.import?.default ?? "dist/index.js")).href);
    const cjs = require(join(pkgDir, target.require?.default ?? "dist/index.cjs"));
    const entry = subpath === "." ? manifest.name : `${manifest.name}/${subpath.replace(/^\.\//, "")}`;
    packages[entry] = { esm: describeModule(esm, coreEsm), cjs: describeModule(cjs, coreCjs) };
  }
}

// The ESM and CJS builds are two copies of core: the brand must still recognise each other's errors.
const esmError = sampleError(coreEsm.ValidationError, coreEsm);
const cjsError = sampleError(coreCjs.ValidationError, coreCjs);
const crossBuild = {
  esmErrorSeenByCjs: coreCjs.isModelTrailError(esmError),
  cjsErrorSeenByEsm: coreEsm.isModelTrailError(cjsError),
  esmErrorInstanceOfCjsClass: esmError instanceof coreCjs.ModelTrailError,
};
process.stdout.write(JSON.stringify({ node: process.versions.node, packages, crossBuild }));
