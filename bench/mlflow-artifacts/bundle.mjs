// Bundles packages/mlflow/src/artifacts (with @modeltrail/core from sources) into one ESM file that
// plain `node` runs, so the benchmark measures the current sources without a loader or a prior
// `pnpm build` (tsup would emit the same code, split per package).
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

/** Builds the bundle into `outDir` and returns its path. */
export async function bundleArtifacts(outDir) {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "mlflow-artifacts.bundle.mjs");
  await build({
    stdin: {
      contents: [
        `export { MlflowArtifacts } from ${JSON.stringify(join(root, "packages/mlflow/src/artifacts/index.ts"))};`,
        `export { HttpClient } from "@modeltrail/core/internal";`,
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
      sourcefile: "bench-entry.ts",
    },
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    sourcemap: false,
    logLevel: "warning",
    alias: {
      "@modeltrail/core/internal": join(root, "packages", "core", "src", "internal.ts"),
      "@modeltrail/core": join(root, "packages", "core", "src", "index.ts"),
    },
    // undici and zod are CommonJS/ESM mixes; a require shim keeps node: built-ins working in ESM.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    nodePaths: [
      join(root, "packages", "mlflow", "node_modules"),
      join(root, "packages", "core", "node_modules"),
    ],
  });
  return outfile;
}
