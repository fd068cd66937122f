import { defineConfig } from "tsup";

/**
 * The build every published package uses: ESM + CJS + declarations for each, from src/index.ts,
 * targeting Node 22, without source maps (they are not shipped).
 */
export const packageBuild = defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: false,
  target: "node22",
  platform: "node",
  tsconfig: "tsconfig.build.json",
});
