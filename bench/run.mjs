// `pnpm bench [name ...]`: runs the named benchmarks (default: all) one after another.
// Each benchmark compares against its peer in the same run and writes bench/results/<name>.{json,md}.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = {
  core: "core/run.mjs",
  "dbx-artifacts": "dbx-artifacts/run.mjs",
  k8s: "k8s/run.mjs",
  "mlflow-artifacts": "mlflow-artifacts/run.mjs",
  "node-floor": "node-floor/run.mjs",
  "registry-push": "registry-push/run.mjs",
  serving: "serving/run.mjs",
  trace: "trace/run.mjs",
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const names = wanted.length > 0 ? wanted : Object.keys(all);
let failed = 0;
for (const name of names) {
  const entry = all[name];
  if (!entry || !existsSync(join(here, entry))) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(", ")}`);
    failed++;
    continue;
  }
  console.log(`\n### bench ${name}`);
  const r = spawnSync(
    process.execPath,
    [join(here, entry), ...process.argv.slice(2).filter((a) => a.startsWith("-"))],
    {
      stdio: "inherit",
    },
  );
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
