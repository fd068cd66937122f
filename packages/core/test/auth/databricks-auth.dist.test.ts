/**
 * The built core (dist, ESM and CJS, loaded by plain Node) resolves every network-free scenario of the
 * databricks-sdk comparison exactly as the sources do: same host, auth type, provider kind and
 * sources, or the same error class, code and message.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, isModelTrailError, resolveDatabricksAuth } from "@modeltrail/core";
import { REPO_ROOT } from "@modeltrail/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIOS } from "./databricks-sdk-scenarios.js";

const PROBE = fileURLToPath(new URL("./fixtures/resolve-with-dist.mjs", import.meta.url));
// Resolving these needs the network (Azure Resource Manager), which plain Node here has no fake for.
const NETWORKED = new Set(SCENARIOS.filter((s) => s.requestWhileResolving).map((s) => s.id));
const scenarios = SCENARIOS.filter((s) => !NETWORKED.has(s.id));

let root: string;
let input: Array<{ id: string; env: Record<string, string>; home: string }>;
const fromSources: Record<string, unknown> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "modeltrail-dbx-dist-"));
  input = [];
  for (const [i, s] of scenarios.entries()) {
    const home = join(root, `s${i}`);
    await mkdir(home);
    for (const [path, text] of Object.entries(s.files ?? {})) {
      await mkdir(dirname(join(home, path)), { recursive: true });
      await writeFile(join(home, path), text);
    }
    const env = Object.fromEntries(
      Object.entries(s.env ?? {}).map(([k, v]) => [k, v.replaceAll("{home}", home)]),
    );
    input.push({ id: s.id, env, home });
  }
  for (const s of input) {
    try {
      const auth = await resolveDatabricksAuth({ env: s.env, homeDir: s.home });
      fromSources[s.id] = {
        ok: true,
        host: auth.host,
        authType: auth.authType,
        kind: auth.provider.kind,
        sources: auth.sources,
      };
      await auth.provider.close?.();
    } catch (err) {
      const e = err as ConfigError;
      fromSources[s.id] = {
        ok: false,
        name: e.name,
        code: e.code,
        message: e.message,
        isModelTrailError: isModelTrailError(e),
        isConfigError: e instanceof ConfigError,
      };
    }
  }
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("Databricks auth from the built core", () => {
  for (const format of ["esm", "cjs"] as const) {
    it(`${format}: resolves every network-free scenario as the sources do`, () => {
      const out = JSON.parse(
        execFileSync(process.execPath, [PROBE, REPO_ROOT, format], {
          input: JSON.stringify(input),
          encoding: "utf8",
        }),
      ) as Record<string, unknown>;
      expect(Object.keys(out)).toHaveLength(scenarios.length);
      expect(out).toEqual(fromSources);
      const errors = Object.values(out).filter((o) => !(o as { ok: boolean }).ok) as Array<{ name: string }>;
      expect(errors.length).toBeGreaterThan(20);
      expect(new Set(errors.map((e) => e.name))).toEqual(new Set(["ConfigError"]));
    });
  }
});
