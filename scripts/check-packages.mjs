// Package hygiene for every publishable workspace package (run after `pnpm build`):
//  - publint (strict) finds exports/main/types mistakes;
//  - @arethetypeswrong/cli checks that types resolve for ESM, CJS, node10 and bundlers;
//  - `npm pack --dry-run` contents must be only what users need: package.json, README.md,
//    LICENSE and dist/ (the ESM, CJS and both declaration entry points must be there);
//  - no import cycle in any package's sources (dpdm, type-only imports included: a cycle of types
//    still ties two modules into one);
//  - runtime dependencies are ranges (`^8.13.1`), never exact versions, so a user's tree can share
//    one undici or zod with modeltrail (the lockfile pins what CI tests).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { dependencyRangeProblems } from "./dependency-ranges.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const allowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^dist\/[\w.-]+\.(js|cjs|d\.ts|d\.cts)$/,
  /^python\/[\w-]+\.py$/,
];
const required = [
  "package.json",
  "README.md",
  "LICENSE",
  "dist/index.js",
  "dist/index.cjs",
  "dist/index.d.ts",
  "dist/index.d.cts",
];

let failures = 0;
const fail = (pkg, msg) => {
  failures++;
  console.error(`✗ ${pkg}: ${msg}`);
};

for (const dir of readdirSync(join(root, "packages"))) {
  const pkgDir = join(root, "packages", dir);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  } catch {
    continue;
  }
  if (manifest.private) continue;
  const name = manifest.name;
  for (const problem of dependencyRangeProblems(manifest)) fail(name, problem);
  try {
    execFileSync(bin("publint"), ["run", "--strict", pkgDir], { stdio: "pipe" });
  } catch (err) {
    fail(name, `publint:\n${err.stdout}${err.stderr}`);
  }
  try {
    execFileSync(bin("attw"), ["--pack", pkgDir, "--format", "ascii"], { stdio: "pipe", cwd: pkgDir });
  } catch (err) {
    fail(name, `are-the-types-wrong:\n${err.stdout}${err.stderr}`);
  }
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: pkgDir,
      encoding: "utf8",
    }),
  );
  const files = packed[0].files.map((f) => f.path);
  for (const f of files)
    if (!allowed.some((re) => re.test(f))) fail(name, `npm pack would publish ${f}, which users do not need`);
  for (const f of required) if (!files.includes(f)) fail(name, `npm pack is missing ${f}`);
  // Every entry point of the exports map is packed and loads in both module systems.
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target === "string") continue; // ./package.json
    for (const [kind, condition] of [
      ["ESM", "import"],
      ["CJS", "require"],
    ]) {
      const { types, default: entry } = target[condition] ?? {};
      if (!entry || !types) {
        fail(name, `exports["${subpath}"] lacks ${condition}.types or ${condition}.default`);
        continue;
      }
      for (const f of [entry, types])
        if (!files.includes(f.replace(/^\.\//, "")))
          fail(name, `npm pack is missing ${f} (exports["${subpath}"])`);
      const file = JSON.stringify(join(pkgDir, entry));
      const args =
        kind === "ESM" ? ["--input-type=module", "-e", `await import(${file})`] : ["-e", `require(${file})`];
      try {
        execFileSync(process.execPath, args, { stdio: "pipe" });
      } catch (err) {
        fail(name, `the ${kind} build of "${subpath}" does not load:\n${err.stderr}`);
      }
    }
  }
  // core keeps its import cheap: undici is loaded by the first HTTP request, not by `import`.
  if (name === "@modeltrail/core") {
    const probe = `import { registerHooks } from "node:module";
const seen = new Set();
registerHooks({ resolve(spec, ctx, next) { seen.add(spec); return next(spec, ctx); } });
await import(${JSON.stringify(join(pkgDir, "dist/index.js"))});
if (seen.has("undici")) { console.error("importing @modeltrail/core loaded undici"); process.exit(1); }`;
    try {
      execFileSync(process.execPath, ["--input-type=module", "-e", probe], { stdio: "pipe" });
    } catch (err) {
      fail(name, `cold import is no longer lazy:\n${err.stderr}`);
    }
    // The public and the internal entry share one copy of each class (chunks, not two bundles), so an
    // ApiError built by the transport is an instance of the ApiError users import; and no name is in both.
    const identity = (load, ext) => `const pub = ${load(`dist/index.${ext}`)};
const int = ${load(`dist/internal.${ext}`)};
const err = int.createApiError({ service: "s", status: 404, method: "GET", url: "http://127.0.0.1/" });
if (!(err instanceof pub.NotFoundError) || !(err instanceof pub.ModelTrailError)) throw new Error("two copies of the error classes");
const both = Object.keys(pub).filter((k) => k in int);
if (both.length > 0) throw new Error("exported by both entries: " + both.join(", "));`;
    const path = (f) => JSON.stringify(join(pkgDir, f));
    for (const [kind, args] of [
      ["ESM", ["--input-type=module", "-e", identity((f) => `await import(${path(f)})`, "js")]],
      ["CJS", ["-e", identity((f) => `require(${path(f)})`, "cjs")]],
    ]) {
      try {
        execFileSync(process.execPath, args, { stdio: "pipe" });
      } catch (err) {
        fail(name, `${kind}: @modeltrail/core and @modeltrail/core/internal disagree:\n${err.stderr}`);
      }
    }
  }
  if (failures === 0) console.log(`✓ ${name}: publint, attw, ${files.length} packed files`);
}
// No import cycles, in any package: every entry point of every package with all it imports.
{
  const entries = readdirSync(join(root, "packages")).flatMap((dir) =>
    ["index.ts", "internal.ts"]
      .map((f) => join("packages", dir, "src", f))
      .filter((f) => existsSync(join(root, f))),
  );
  const report = join(root, ".tmp", "dpdm.json");
  mkdirSync(dirname(report), { recursive: true });
  try {
    execFileSync(
      bin("dpdm"),
      [
        "--no-tree",
        "--no-warning",
        "--no-progress",
        "--circular",
        "--exit-code",
        "circular:1",
        "-o",
        report,
        ...entries,
      ],
      { cwd: root, stdio: "pipe" },
    );
    console.log(`✓ no import cycles (${entries.length} entry points)`);
  } catch (err) {
    let cycles = [];
    try {
      cycles = JSON.parse(readFileSync(report, "utf8")).circulars ?? [];
    } catch {
      // no report: show dpdm's own output
    }
    fail(
      "import cycles",
      cycles.length > 0
        ? `${cycles.map((c) => c.join(" -> ")).join("\n")}\nBreak each: move what both sides need into a module of its own, or pass it in (see mlflow's client-parts.ts)`
        : `${err.stdout}${err.stderr}`,
    );
  }
}

if (failures > 0) {
  console.error(`${failures} package problem(s)`);
  process.exit(1);
}
