import { fileURLToPath } from "node:url";
import {
  DATABRICKS_SDK_VERSION,
  installedPythonPackageVersion,
  loopbackDispatcher,
  type MswServer,
  runPythonJson,
  startMswServer,
} from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const probe = fileURLToPath(new URL("./fixtures/guard_probe.py", import.meta.url));
let server: MswServer;

beforeAll(async () => {
  server = await startMswServer(
    http.get("*/aad/auth", ({ request }) =>
      HttpResponse.text("", {
        status: 302,
        headers: { location: `https://login.example/${request.headers.get("host")}/authorize` },
      }),
    ),
  );
});
afterAll(async () => {
  await server.close();
});

describe("runPythonJson and the modeltrail_loopback guard", () => {
  it("routes requests to the loopback fake with the original host, refuses every other connection and passes only the given env", async () => {
    process.env.DATABRICKS_PROBE_LEAK = "must-not-reach-python";
    try {
      const out = await runPythonJson<{
        env: Record<string, string>;
        routed: { status: number; location: string };
        refused: boolean[];
        recorded: number;
      }>(probe, { loopbackUrl: server.url, env: { PROBE_ONE: "1" } });
      expect(out.env).toEqual({ PROBE_ONE: "1" });
      expect(out.routed).toEqual({
        status: 302,
        location: "https://login.example/adb-1.2.azuredatabricks.net/authorize",
      });
      expect(out.refused).toEqual([true, true, true]);
      expect(out.recorded).toBe(3);
    } finally {
      delete process.env.DATABRICKS_PROBE_LEAK;
    }
    expect(server.requests.at(-1)).toMatchObject({
      path: "/aad/auth?x=1",
      headers: { host: "adb-1.2.azuredatabricks.net", "x-forwarded-proto": "https" },
    });
  });

  it("reports a failing program with its stderr", async () => {
    await expect(runPythonJson(probe, { input: { fail: true } })).rejects.toThrow(
      /exited with 3:\nfailing on purpose/,
    );
  });

  it("finds the pinned databricks-sdk in the test virtualenv", async () => {
    expect(await installedPythonPackageVersion("databricks-sdk")).toBe(DATABRICKS_SDK_VERSION);
    expect(await installedPythonPackageVersion("no-such-distribution-xyz")).toBeUndefined();
  });
});

describe("loopbackDispatcher", () => {
  it("sends requests for any origin to the loopback server, keeping the host", async () => {
    const dispatcher = loopbackDispatcher(server.url);
    try {
      const res = await request("https://adb-1.2.azuredatabricks.net/aad/auth", { dispatcher });
      await res.body.dump();
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe("https://login.example/adb-1.2.azuredatabricks.net/authorize");
    } finally {
      await dispatcher.close();
    }
  });

  it("refuses a target that is not loopback http", () => {
    expect(() => loopbackDispatcher("https://127.0.0.1:1")).toThrow(/loopback/);
    expect(() => loopbackDispatcher("http://192.0.2.1:80")).toThrow(/loopback/);
  });
});
