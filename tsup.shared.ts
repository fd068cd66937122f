import { defineConfig } from "tsup";

/**
 * The build every published package uses: ESM + CJS + declarations for each, from src/index.ts,
 * targeting Node 22, without source maps (they are not shipped). `keepNames` keeps every class and
 * function name as written (esbuild otherwise renames some, e.g. `_ValidationError`), so that `err.name`,
 * `toJSON().name` and `MlflowClient.name` are the same in dist as in the sources; the dist tests
 * (`*.dist.test.ts`) check it.
 */
export const packageBuild = defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: false,
  target: "node22",
  platform: "node",
  keepNames: true,
  tsconfig: "tsconfig.build.json",
});
