#!/usr/bin/env node
/**
 * Bundles the GitHub Action (packages/cli/src/action/main.ts and everything it imports, the
 * workspace packages from their sources) into action/dist: the entry point index.mjs and, under
 * chunks/, what the code imports dynamically (undici's modules, loaded on the first request, most of
 * all): every file stays well under 2 MiB, and a run loads only what it uses. The directory is
 * committed: GitHub runs it as is (`runs.using: node24`), without installing anything.
 *
 *   pnpm build:action (node scripts/build-action.mjs)   writes action/dist
 *   node scripts/build-action.mjs --check   exits 1 when the committed bundle differs from the sources
 *
 * The output depends only on the sources and the locked dependency versions (no absolute paths,
 * no dates), so `--check` (also run by packages/cli/test/action-bundle.test.ts) catches a bundle
 * that was not rebuilt after a change.
 */
import { execFileSync } from "node:child_process";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ACTION_DIST = join(ROOT, "action", "dist");
export const ACTION_BUNDLE = join(ACTION_DIST, "index.mjs");

/** `@modeltrail/<pkg>[/internal]` -> its source entry, so that the bundle never depends on a stale dist. */
const workspaceSources = {
  name: "modeltrail-workspace-sources",
  setup(b) {
    b.onResolve({ filter: /^@modeltrail\/[a-z0-9-]+(\/internal)?$/ }, (args) => {
      const [, pkg, sub] = /^@modeltrail\/([a-z0-9-]+)(?:\/(internal))?$/.exec(args.path);
      return { path: join(ROOT, "packages", pkg, "src", `${sub ?? "index"}.ts`) };
    });
  },
};

/** Builds the bundle in memory: its files, as paths relative to action/dist and their text, sorted. */
export async function bundleAction() {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ["packages/cli/src/action/main.ts"],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    write: false,
    outdir: ACTION_DIST,
    entryNames: "index",
    chunkNames: "chunks/[name]-[hash]",
    splitting: true,
    outExtension: { ".js": ".mjs" },
    minify: true,
    keepNames: true,
    legalComments: "eof",
    logLevel: "warning",
    plugins: [workspaceSources],
    // CommonJS dependencies call require(); give the ESM bundle a real one.
    banner: {
      js: [
        "// The modeltrail GitHub Action, bundled by scripts/build-action.mjs from packages/cli/src/action. Do not edit.",
        'import { createRequire as __mtCreateRequire } from "node:module";',
        "const require = __mtCreateRequire(import.meta.url);",
      ].join("\n"),
    },
  });
  return result.outputFiles
    .map((f) => ({ path: relative(ACTION_DIST, f.path).split("\\").join("/"), text: f.text }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Which of `paths` (relative to action/dist) git does not track, in a git checkout; none outside one
 * (a source tarball) or without git.
 */
function untrackedByGit(paths) {
  let listed;
  try {
    listed = execFileSync("git", ["ls-files", "--", "."], {
      cwd: ACTION_DIST,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return [];
  }
  const tracked = new Set(listed.split("\n").filter(Boolean));
  return paths.filter((p) => !tracked.has(p));
}

/** The files now in action/dist (relative paths, sorted). */
async function committedFiles() {
  const entries = await readdir(ACTION_DIST, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(ACTION_DIST, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}

async function main() {
  const files = await bundleAction();
  const have = await committedFiles();
  if (process.argv.includes("--check")) {
    const stale = [];
    for (const f of files)
      if ((await readFile(join(ACTION_DIST, f.path), "utf8").catch(() => "")) !== f.text) stale.push(f.path);
    const extra = have.filter((p) => !files.some((f) => f.path === p));
    const untracked = untrackedByGit(files.map((f) => f.path));
    if (stale.length || extra.length || untracked.length) {
      console.error(
        `action/dist is not up to date with the sources it bundles (packages/*/src): ${[...stale.map((p) => `${p} differs or is missing`), ...extra.map((p) => `${p} is left over`), ...untracked.map((p) => `${p} is not added to git (a clean clone would lack it)`)].join(", ")}; run \`pnpm build:action\` and commit action/dist (git add action/dist)`,
      );
      process.exit(1);
    }
    console.log("action/dist is up to date");
    return;
  }
  // each file written to a temp name, then renamed; files of an earlier build removed last
  for (const f of files) {
    const target = join(ACTION_DIST, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.partial`, f.text);
    await rename(`${target}.partial`, target);
  }
  for (const p of have) if (!files.some((f) => f.path === p)) await rm(join(ACTION_DIST, p));
  const mib = (n) => (n / 1024 / 1024).toFixed(2);
  console.log(
    `wrote action/dist: ${files.map((f) => `${f.path} (${mib(Buffer.byteLength(f.text))} MiB)`).join(", ")}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
