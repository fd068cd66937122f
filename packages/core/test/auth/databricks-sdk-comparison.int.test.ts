/**
 * Databricks unified auth, side by side with Databricks' own SDK: every scenario of
 * `databricks-sdk-scenarios.ts` (environment, config files, both) is resolved by modeltrail's
 * `resolveDatabricksAuth` and by databricks-sdk (Python, `DATABRICKS_SDK_VERSION`) in the same
 * temporary HOME, and both then authenticate a first request against the same loopback fake of
 * workspaces, Entra ID and Azure Resource Manager (`databricks-fake-world.ts`). Compared: success or
 * failure, the host, the auth type and the Authorization header (which names the credential: the
 * fake's tokens say which client, secret, tenant and endpoint they were issued for). A scenario either
 * agrees on all four, or documents its intended difference and both sides must show exactly it.
 * Nothing leaves the machine: the Python side runs behind the modeltrail_loopback guard, and any
 * refused attempt fails the test.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { ConfigError, isModelTrailError, resolveDatabricksAuth } from "@modeltrail/core";
import {
  assertDatabricksSdkInstalled,
  DATABRICKS_SDK_VERSION,
  loopbackDispatcher,
  type MswServer,
  runPythonJson,
  startMswServer,
} from "@modeltrail/test-utils";
import type { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeWorldHandlers } from "./databricks-fake-world.js";
import { type Outcome, PLANTED_SECRETS, SCENARIOS, type Scenario } from "./databricks-sdk-scenarios.js";

const DRIVER = fileURLToPath(new URL("./fixtures/databricks_sdk_resolve.py", import.meta.url));

interface SdkOutcome extends Outcome {
  refused: string[];
}

let world: MswServer;
let dispatcher: Agent;
let root: string;
const homes = new Map<string, string>();
let sdk: Record<string, SdkOutcome>;
const mt = new Map<string, Outcome & { requestsWhileResolving: string[]; thrown?: unknown }>();

/** Replaces `{home}` in env values with the scenario's HOME. */
function envOf(s: Scenario, home: string): Record<string, string> {
  return Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, v.replaceAll("{home}", home)]));
}

async function resolveWithModeltrail(s: Scenario, home: string) {
  const before = world.requests.length;
  let requestsWhileResolving: string[] = [];
  try {
    const auth = await resolveDatabricksAuth({
      env: envOf(s, home),
      homeDir: home,
      dispatcher,
      retry: { maxRetries: 0 },
    });
    requestsWhileResolving = world.requests
      .slice(before)
      .map((r) => `${r.headers.host} ${r.method} ${r.path}`);
    try {
      const headers = await auth.provider.getAuthHeaders();
      return {
        ok: true,
        host: auth.host,
        authType: auth.authType,
        authorization: headers.authorization,
        requestsWhileResolving,
      };
    } finally {
      await auth.provider.close?.();
    }
  } catch (thrown) {
    return {
      ok: false,
      error: `${(thrown as Error).name}: ${(thrown as Error).message}`,
      requestsWhileResolving,
      thrown,
    };
  }
}

beforeAll(async () => {
  await assertDatabricksSdkInstalled();
  world = await startMswServer(...fakeWorldHandlers());
  dispatcher = loopbackDispatcher(world.url);
  root = await mkdtemp(join(tmpdir(), "modeltrail-dbx-compare-"));
  for (const [i, s] of SCENARIOS.entries()) {
    const home = join(root, `s${i}`);
    await mkdir(home);
    for (const [path, text] of Object.entries(s.files ?? {})) {
      await mkdir(dirname(join(home, path)), { recursive: true });
      await writeFile(join(home, path), text);
    }
    homes.set(s.id, home);
  }
  sdk = await runPythonJson<Record<string, SdkOutcome>>(DRIVER, {
    loopbackUrl: world.url,
    input: SCENARIOS.map((s) => ({ id: s.id, home: homes.get(s.id), env: envOf(s, homes.get(s.id)!) })),
    timeoutMs: 240_000,
  });
  for (const s of SCENARIOS) mt.set(s.id, await resolveWithModeltrail(s, homes.get(s.id)!));
  if (process.env.MODELTRAIL_PRINT_COMPARISON)
    for (const s of SCENARIOS)
      console.log(
        `${s.id}\n  sdk: ${JSON.stringify(sdk[s.id])}\n  mt:  ${JSON.stringify({ ...mt.get(s.id), thrown: undefined })}`,
      );
}, 300_000);

afterAll(async () => {
  await dispatcher?.close();
  await world?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The four compared fields of an outcome (error text aside). */
function compared(o: Outcome): Partial<Outcome> {
  return o.ok
    ? { ok: true, host: o.host, authType: o.authType, authorization: o.authorization }
    : { ok: false };
}

describe(`Databricks auth resolved by modeltrail and by databricks-sdk ${DATABRICKS_SDK_VERSION} (Python)`, () => {
  it("has at least 53 scenarios with unique ids, covering every kind", () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(53);
    expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
    const kinds = new Set(SCENARIOS.map((s) => s.kind));
    for (const k of [
      "env",
      "file",
      "mixed",
      "profiles",
      "conflicts",
      "azure",
      "aws",
      "gcp",
      "accounts",
    ] as const)
      expect(kinds, k).toContain(k);
  });

  it("keeps databricks-sdk off the network: every request it made went to the loopback fake", () => {
    const refused = Object.entries(sdk).filter(([, o]) => o.refused.length > 0);
    expect(refused).toEqual([]);
  });

  for (const s of SCENARIOS) {
    it(`${s.kind}: ${s.id}: ${s.title}`, () => {
      const theirs = sdk[s.id]!;
      const ours = mt.get(s.id)!;
      const detail = `\n  databricks-sdk: ${JSON.stringify(theirs)}\n  modeltrail:     ${JSON.stringify({ ...ours, thrown: undefined })}`;
      if (s.differs) {
        expect(compared(theirs), `databricks-sdk side of the documented difference${detail}`).toMatchObject(
          s.differs.sdk,
        );
        expect(compared(ours), `modeltrail side of the documented difference${detail}`).toMatchObject(
          s.differs.modeltrail,
        );
        expect(compared(ours), `a documented difference must differ${detail}`).not.toEqual(compared(theirs));
      } else {
        expect(compared(ours), `modeltrail and databricks-sdk disagree${detail}`).toEqual(compared(theirs));
        expect(ours.ok, `expected ${s.expect}${detail}`).toBe(s.expect === "ok");
      }
      if (s.sdkError) expect(theirs.error ?? "", `databricks-sdk's reason${detail}`).toMatch(s.sdkError);
      if (s.mtError) expect(ours.error ?? "", `modeltrail's reason${detail}`).toMatch(s.mtError);
      if (!ours.ok) {
        expect(isModelTrailError(ours.thrown), `a modeltrail error${detail}`).toBe(true);
        if (!s.mtErrorType) expect(ours.thrown).toBeInstanceOf(ConfigError);
        const everything = [
          String(ours.thrown),
          inspect(ours.thrown, { depth: 5 }),
          JSON.stringify(ours.thrown),
        ].join("\n");
        for (const secret of PLANTED_SECRETS)
          expect(everything, "a secret in modeltrail's error").not.toContain(secret);
      }
      const allowed = s.requestWhileResolving ?? [];
      expect(ours.requestsWhileResolving.map((r) => r.split(" ").slice(0, 2).join(" "))).toEqual(allowed);
    });
  }
});
