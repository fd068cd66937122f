import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  BadRequestError,
  ConfigError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitError,
  ServerError,
  UnauthorizedError,
} from "@modeltrail/core";
import { startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DatabricksClient, isTransientDatabricksMessage } from "../src/index.js";
import { type FakeWorkspace, fixture, PLANTED_TOKEN, startWorkspace } from "./client-test-helpers.js";

let ws: FakeWorkspace | undefined;
afterAll(() => rmSync(emptyHome, { recursive: true, force: true }));
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

const GET_JOB = "*/api/2.2/jobs/get";
/** A home directory without ~/.databrickscfg, so the developer's own config never leaks into tests. */
const emptyHome = mkdtempSync(join(tmpdir(), "mt-dbx-home-"));
const GET_RUN = "*/api/2.2/jobs/runs/get";

describe("DatabricksClient", () => {
  it("sends the token as a bearer header and a modeltrail user agent", async () => {
    ws = await startWorkspace([http.get(GET_JOB, () => HttpResponse.json(fixture("jobs-get.json")))]);
    await ws.client.jobs.get(11223344);
    const req = ws.server.requests[0];
    expect(req?.headers.authorization).toBe(`Bearer ${PLANTED_TOKEN}`);
    expect(req?.headers["user-agent"]).toMatch(/modeltrail/);
    expect(req?.path).toBe("/api/2.2/jobs/get?job_id=11223344");
  });

  it("normalises hosts (core's normalizeDatabricksHost) and rejects a missing one naming DATABRICKS_HOST", async () => {
    const host = (h: string) => new DatabricksClient({ host: h, token: "dapi-x" });
    expect(host("adb-1.2.azuredatabricks.net/").host).toBe("https://adb-1.2.azuredatabricks.net");
    expect(host("http://127.0.0.1:8080").host).toBe("http://127.0.0.1:8080");
    expect(host(" https://adb-1.2.azuredatabricks.net/?o=1#job/5 ").host).toBe(
      "https://adb-1.2.azuredatabricks.net",
    );
    expect(() => host("ftp://adb-1.2.azuredatabricks.net")).toThrow(ConfigError);
    expect(() => new DatabricksClient({ host: "" })).toThrow(ConfigError);
    try {
      new DatabricksClient({ host: " " });
    } catch (err) {
      expect((err as ConfigError).sources).toEqual(["DATABRICKS_HOST"]);
    }
  });

  it("fromEnv reports every auth method tried and what was missing", async () => {
    const err = await DatabricksClient.fromEnv({ env: {}, homeDir: emptyHome }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).sources).toContain("DATABRICKS_HOST");
    expect((err as Error).message).toMatch(/pat: DATABRICKS_TOKEN not set/);
    expect((err as Error).message).toMatch(/oauth-m2m/);
  });

  it("fromEnv uses a PAT from DATABRICKS_HOST/DATABRICKS_TOKEN", async () => {
    const server = await startMswServer(http.get(GET_JOB, () => HttpResponse.json(fixture("jobs-get.json"))));
    const client = await DatabricksClient.fromEnv({
      env: { DATABRICKS_HOST: server.url, DATABRICKS_TOKEN: PLANTED_TOKEN },
      homeDir: emptyHome,
    });
    try {
      expect(client.authType).toBe("pat");
      await client.jobs.get(11223344);
      expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${PLANTED_TOKEN}`);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("fromEnv with explicit credentials only needs the host", async () => {
    const client = await DatabricksClient.fromEnv({
      env: { DATABRICKS_HOST: "adb-7.azuredatabricks.net" },
      credentials: { kind: "custom", getAuthHeaders: async () => ({ authorization: "Bearer x" }) },
    });
    expect(client.host).toBe("https://adb-7.azuredatabricks.net");
    expect(client.authType).toBe("custom");
    await client.close();
  });

  it("fromEnv reads a profile from a config file (DATABRICKS_CONFIG_FILE, DATABRICKS_CONFIG_PROFILE)", async () => {
    const server = await startMswServer(http.get(GET_JOB, () => HttpResponse.json(fixture("jobs-get.json"))));
    const file = join(emptyHome, "databrickscfg-test");
    await writeFile(
      file,
      `[DEFAULT]\nhost = https://wrong.example\n\n[ci]\nhost = ${server.url}\ntoken = dapi-from-profile\n`,
    );
    const client = await DatabricksClient.fromEnv({
      env: { DATABRICKS_CONFIG_FILE: file, DATABRICKS_CONFIG_PROFILE: "ci" },
      homeDir: emptyHome,
    });
    try {
      expect(client.host).toBe(server.url);
      await client.jobs.get(11223344);
      expect(server.requests[0]?.headers.authorization).toBe("Bearer dapi-from-profile");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("fromEnv with OAuth M2M discovers the token endpoint, caches the token and refreshes it after a 401", async () => {
    let tokensIssued = 0;
    let rejectNext = false;
    const server = await startMswServer(
      http.get("*/oidc/.well-known/oauth-authorization-server", ({ request }) =>
        HttpResponse.json({
          issuer: `${new URL(request.url).origin}/oidc`,
          authorization_endpoint: `${new URL(request.url).origin}/oidc/v1/authorize`,
          token_endpoint: `${new URL(request.url).origin}/oidc/v1/token`,
        }),
      ),
      http.post("*/oidc/v1/token", async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        expect(form.get("grant_type")).toBe("client_credentials");
        expect(form.get("scope")).toBe("all-apis");
        tokensIssued++;
        return HttpResponse.json({
          access_token: `oauth-token-${tokensIssued}`,
          token_type: "Bearer",
          expires_in: 3600,
        });
      }),
      http.get(GET_JOB, ({ request }) => {
        if (rejectNext) {
          rejectNext = false;
          return HttpResponse.json(fixture("errors/unauthenticated.json"), { status: 401 });
        }
        return HttpResponse.json({ ...fixture("jobs-get.json"), seen: request.headers.get("authorization") });
      }),
    );
    const client = await DatabricksClient.fromEnv({
      env: {
        DATABRICKS_HOST: server.url,
        DATABRICKS_CLIENT_ID: "sp-id",
        DATABRICKS_CLIENT_SECRET: "sp-SECRET-9c1e",
      },
      homeDir: emptyHome,
    });
    try {
      expect(client.authType).toBe("oauth-m2m");
      expect((await client.jobs.get(1)).seen).toBe("Bearer oauth-token-1");
      expect((await client.jobs.get(1)).seen).toBe("Bearer oauth-token-1"); // cached
      rejectNext = true;
      expect((await client.jobs.get(1)).seen).toBe("Bearer oauth-token-2"); // refreshed after the 401
      expect(tokensIssued).toBe(2);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe("error mapping", () => {
  const cases: Array<[string, string, number, string, new (...a: never[]) => Error]> = [
    ["jobs/get 400 'Job ... does not exist'", GET_JOB, 400, "errors/job-does-not-exist.json", NotFoundError],
    ["runs/get 400 'Run ... does not exist'", GET_RUN, 400, "errors/run-does-not-exist.json", NotFoundError],
    ["other 400 INVALID_PARAMETER_VALUE", GET_JOB, 400, "errors/invalid-parameter.json", BadRequestError],
    ["RESOURCE_DOES_NOT_EXIST", GET_JOB, 404, "errors/resource-does-not-exist.json", NotFoundError],
    ["RESOURCE_ALREADY_EXISTS (400)", GET_JOB, 400, "errors/resource-already-exists.json", ConflictError],
    ["PERMISSION_DENIED", GET_JOB, 403, "errors/permission-denied.json", ForbiddenError],
    ["UNAUTHENTICATED", GET_JOB, 401, "errors/unauthenticated.json", UnauthorizedError],
  ];
  for (const [name, path, status, file, cls] of cases) {
    it(`maps ${name} to ${cls.name}`, async () => {
      ws = await startWorkspace([http.get(path, () => HttpResponse.json(fixture(file), { status }))]);
      const call = path === GET_JOB ? ws.client.jobs.get(987654) : ws.client.runs.get(123456);
      const err = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(cls);
      const body = fixture(file);
      expect(err).toMatchObject({
        service: "databricks",
        status,
        serviceCode: body.error_code,
        serviceMessage: body.message,
      });
      // none of these is retried, except a 401, which is retried once with refreshed credentials
      expect(ws.server.requests).toHaveLength(status === 401 ? 2 : 1);
    });
  }

  it("maps the 'does not exist' message only on jobs/get and runs/get", async () => {
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/delete", () =>
        HttpResponse.json(fixture("errors/job-does-not-exist.json"), { status: 400 }),
      ),
    ]);
    await expect(ws.client.jobs.delete(987654)).rejects.toBeInstanceOf(BadRequestError);
  });

  it("understands legacy and plain-text error bodies", async () => {
    ws = await startWorkspace([
      http.get(GET_JOB, () => HttpResponse.json({ error: "Something old-style" }, { status: 400 })),
      http.get(GET_RUN, () => new HttpResponse("RESOURCE_DOES_NOT_EXIST: no such run", { status: 400 })),
    ]);
    await expect(ws.client.jobs.get(1)).rejects.toMatchObject({ serviceMessage: "Something old-style" });
    await expect(ws.client.runs.get(1)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("retries", () => {
  it("retries 429 honouring Retry-After, then succeeds", async () => {
    let calls = 0;
    ws = await startWorkspace([
      http.get(GET_JOB, () => {
        calls++;
        if (calls === 1)
          return HttpResponse.json(fixture("errors/request-limit-exceeded.json"), {
            status: 429,
            headers: { "retry-after": "2" },
          });
        return HttpResponse.json(fixture("jobs-get.json"));
      }),
    ]);
    const job = await ws.client.jobs.get(11223344);
    expect(job.job_id).toBe(11223344);
    expect(calls).toBe(2);
    expect(ws.sleeps).toEqual([2000]);
  });

  it("retries 503 honouring Retry-After and gives up after maxRetries with ServerError", async () => {
    ws = await startWorkspace(
      [
        http.get(GET_RUN, () =>
          HttpResponse.json(fixture("errors/temporarily-unavailable.json"), {
            status: 503,
            headers: { "retry-after": "1" },
          }),
        ),
      ],
      { retry: { maxRetries: 2 } },
    );
    const err = await ws.client.runs.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ serviceCode: "TEMPORARILY_UNAVAILABLE", retryAfterSeconds: 1 });
    expect(ws.server.requests).toHaveLength(3);
    expect(ws.sleeps).toEqual([1000, 1000]);
  });

  it("gives up on 429 as RateLimitError when retries are exhausted", async () => {
    ws = await startWorkspace(
      [
        http.get(GET_JOB, () =>
          HttpResponse.json(fixture("errors/request-limit-exceeded.json"), { status: 429 }),
        ),
      ],
      { retry: { maxRetries: 1 } },
    );
    await expect(ws.client.jobs.get(1)).rejects.toBeInstanceOf(RateLimitError);
    expect(ws.server.requests).toHaveLength(2);
  });

  it("retries a transient message in a 400 (as the official SDKs do)", async () => {
    let calls = 0;
    ws = await startWorkspace([
      http.get(GET_RUN, () => {
        calls++;
        if (calls < 3)
          return HttpResponse.json(fixture("errors/unknown-worker-environment.json"), { status: 400 });
        return HttpResponse.json(fixture("runs-get-success.json"));
      }),
    ]);
    const run = await ws.client.runs.get(455644833);
    expect(run.run_id).toBe(455644833);
    expect(calls).toBe(3);
    expect(ws.sleeps).toHaveLength(2);
  });

  it("does not retry a transient message on a non-idempotent create", async () => {
    ws = await startWorkspace([
      http.post("*/api/2.2/jobs/create", () =>
        HttpResponse.json(fixture("errors/unknown-worker-environment.json"), { status: 400 }),
      ),
    ]);
    await expect(ws.client.jobs.create({ name: "x" })).rejects.toBeInstanceOf(BadRequestError);
    expect(ws.server.requests).toHaveLength(1);
  });

  it("recognises every transient message the SDKs list", () => {
    for (const m of [
      "com.databricks.backend.manager.util.UnknownWorkerEnvironmentException: x",
      "Workspace 1 does not have any associated worker environments",
      "There is no worker environment with id 4",
      "Unknown worker environment WorkerEnvId(x)",
      "ClusterNotReadyException: cluster 1",
      "worker env workerenv-1 not found",
      "Timed out after 30 seconds",
      "context deadline exceeded",
    ])
      expect(isTransientDatabricksMessage(m), m).toBe(true);
    expect(isTransientDatabricksMessage("Job 1 does not exist.")).toBe(false);
  });

  it("refreshes credentials once after a 401", async () => {
    let n = 0;
    const seen: boolean[] = [];
    ws = await startWorkspace(
      [
        http.get(GET_JOB, ({ request }) =>
          request.headers.get("authorization") === "Bearer token-2"
            ? HttpResponse.json(fixture("jobs-get.json"))
            : HttpResponse.json(fixture("errors/unauthenticated.json"), { status: 401 }),
        ),
      ],
      {
        credentials: {
          kind: "test-oauth",
          getAuthHeaders: async (ctx) => {
            seen.push(ctx?.forceRefresh === true);
            n++;
            return { authorization: `Bearer token-${n}` };
          },
        },
      },
    );
    const job = await ws.client.jobs.get(11223344);
    expect(job.job_id).toBe(11223344);
    expect(seen).toEqual([false, true]);
  });
});

describe("secrets", () => {
  it("never shows the token in debug log events", async () => {
    const events: unknown[] = [];
    ws = await startWorkspace(
      [
        http.get(GET_JOB, () =>
          HttpResponse.json(fixture("errors/temporarily-unavailable.json"), { status: 503 }),
        ),
      ],
      { retry: { maxRetries: 1 }, logger: (e) => events.push(e) },
    );
    await ws.client.jobs.get(1).catch(() => undefined);
    expect(events.length).toBeGreaterThan(2);
    expect(JSON.stringify(events)).not.toContain(PLANTED_TOKEN);
  });

  it("never shows the token in an error, its JSON or util.inspect output", async () => {
    ws = await startWorkspace([
      http.get(GET_JOB, () =>
        HttpResponse.json(
          { error_code: "PERMISSION_DENIED", message: `token ${PLANTED_TOKEN} lacks permission` },
          { status: 403 },
        ),
      ),
    ]);
    const err = await ws.client.jobs.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as Error).message).toContain("lacks permission"); // the message itself is kept
    for (const text of [(err as Error).message, JSON.stringify(err), inspect(err, { depth: 6 })])
      expect(text).not.toContain(PLANTED_TOKEN);
  });
});
