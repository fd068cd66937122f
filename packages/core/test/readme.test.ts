import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

/** The README's examples are run as written (only the server address of the HTTP one is swapped). */
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
const tmp = join(new URL(".", import.meta.url).pathname, ".readme-tmp");

let server: MswServer;
beforeAll(async () => {
  server = await startMswServer(
    http.get("*/api/2.0/mlflow/experiments/get-by-name", () =>
      HttpResponse.json(
        { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Could not find experiment with name 'x'" },
        { status: 404 },
      ),
    ),
  );
  mkdirSync(tmp, { recursive: true });
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function run(code: string, name: string): Promise<string[]> {
  const file = join(tmp, `${name}.mjs`);
  writeFileSync(file, code);
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  });
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe("packages/core/README.md examples", () => {
  it("has the three examples", () => {
    expect(blocks.length).toBe(3);
  });

  it("runs the TraceContext example", async () => {
    const out = await run(blocks[0]!, "trace");
    expect(out[0]).toMatch(/^[0-9a-f]{40} came from /);
    expect(out.some((l) => l.includes('"GIT_SHA"') && l.includes('"DBR_RUN_ID":"1795788642450001"'))).toBe(
      true,
    );
    expect(out.some((l) => l.includes('"RUN_ID":"1795788642450001"'))).toBe(true);
    expect(out).toContain('{"runId":"1795788642450001","kind":"job-run","fallback":false}');
    const prediction = out.find((l) => l.includes('"msg":"prediction"'));
    expect(prediction).toContain('"run_id":"1795788642450001"');
    expect(prediction).toContain('"mlflow_run_id":"0e65f4e6ffd84bbcaca05398f1d5dff3"');
    expect(out.at(-1)).toContain("VALIDATION_ERROR");
  });

  it("runs the transport example (internal entry) against a fake MLflow", async () => {
    const out = await run(blocks[1]!.replace("http://127.0.0.1:5000", server.url), "http");
    expect(out).toEqual(["no such experiment"]);
  });

  it("runs the Databricks auth example", async () => {
    const out = await run(blocks[2]!, "databricks-auth");
    expect(out).toEqual([
      "https://adb-1234567890123456.7.azuredatabricks.net pat azure",
      JSON.stringify({ host: "DATABRICKS_HOST", token: "DATABRICKS_TOKEN" }),
      expect.stringMatching(
        /^CONFIG_ERROR Set DATABRICKS_AUTH_TYPE to the method to use \(pat, basic, oauth-m2m, azure-client-secret\)/,
      ),
    ]);
  });
});
