import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared";

// Two entries: the library (`@modeltrail/cli`) and the `modeltrail` executable (dist/bin.js, whose
// `#!/usr/bin/env node` line esbuild keeps), split into shared chunks so each module exists once.
// tsup only reads a default export.
export default defineConfig({
  ...packageBuild,
  entry: ["src/index.ts", "src/bin.ts"],
  splitting: true,
});
