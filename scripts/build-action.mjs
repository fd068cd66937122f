#!/usr/bin/env node
/**
 * Bundles the GitHub Action (packages/cli/src/action/main.ts and everything it imports, the
 * workspace packages from their sources) into one ESM file, action/dist/index.mjs, which is
 * committed: GitHub runs it as is (`runs.using: node24`), without installing anything.
 *
 *   pnpm build:action (node scripts/build-action.mjs)   writes action/dist/index.mjs
 *   node scripts/build-action.mjs --check   exits 1 when the committed bundle differs from the sources
 *
 * The output depends only on the sources and the locked dependency versions (no absolute paths,
 * no dates), so `--check` (also run by packages/cli/test/action-bundle.test.ts) catches a bundle
 * that was not rebuilt after a change.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ACTION_BUNDLE = join(ROOT, "action", "dist", "index.mjs");

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

/** Builds the bundle in memory and returns its text. */
export async function bundleAction() {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ["packages/cli/src/action/main.ts"],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    write: false,
    outfile: ACTION_BUNDLE,
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
  return result.outputFiles[0].text;
}

async function main() {
  const text = await bundleAction();
  if (process.argv.includes("--check")) {
    const committed = await readFile(ACTION_BUNDLE, "utf8").catch(() => "");
    if (committed !== text) {
      console.error(
        `${ACTION_BUNDLE} is not up to date with the sources it bundles (packages/*/src): run \`pnpm build:action\` and commit action/dist/index.mjs`,
      );
      process.exit(1);
    }
    console.log("action/dist/index.mjs is up to date");
    return;
  }
  const temp = `${ACTION_BUNDLE}.partial`;
  await writeFile(temp, text);
  await rename(temp, ACTION_BUNDLE);
  console.log(`wrote action/dist/index.mjs (${(text.length / 1024 / 1024).toFixed(2)} MiB)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
