// One measured operation of the registry-push benchmark, in its own process (peak RSS is the
// process's): `build MODEL_DIR LAYOUT COMPRESSION` or `push LAYOUT TAG REPOSITORY`. Uses the built
// packages (pnpm build). Prints one JSON line.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const registry = await import(join(root, "packages/registry/dist/index.js"));
const core = await import(join(root, "packages/core/dist/index.js"));
const [op, a, b, c] = process.argv.slice(2);
const started = performance.now();
if (op === "build") {
  const ctx = core.createTraceContext({
    code: { gitSha: "d".repeat(40) },
    job: { runId: "1795788642450001" },
    model: { name: "bench", version: "1" },
  });
  const built = await registry.buildModelImage({ modelDir: a, ctx, layout: b, compression: c });
  console.log(JSON.stringify({ ms: performance.now() - started, digest: built.digest, tag: built.runId }));
} else if (op === "push") {
  const client = new registry.RegistryClient({ credentials: registry.anonymousCredentials });
  const source = await registry.layoutImageSource(a, { tag: b });
  const repository = registry.parseReference(c, { defaultTag: "none" });
  const result = await registry.copyImage(source, { kind: "registry", client, repository }, [b]);
  await client.close();
  console.log(JSON.stringify({ ms: performance.now() - started, blobs: result.blobs.map((x) => x.result) }));
} else {
  console.error(`unknown op ${op}`);
  process.exit(2);
}
