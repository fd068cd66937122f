import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.shared";

// Two entries, `@modeltrail/core` and `@modeltrail/core/internal`, split into shared chunks in both
// formats so that each class (HttpClient, ModelTrailError, ...) exists once whichever entry loads it.
// tsup only reads a default export.
export default defineConfig({
  ...packageBuild,
  entry: ["src/index.ts", "src/internal.ts"],
  splitting: true,
});
