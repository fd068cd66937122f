/**
 * Azure Databricks specifics that need the network at auth time: the tenant found from the workspace
 * when ARM_TENANT_ID is unset, and the workspace URL found from DATABRICKS_AZURE_RESOURCE_ID. One msw
 * server plays the workspaces, Entra ID and Azure Resource Manager: `loopbackDispatcher` sends every
 * host to it, and handlers tell the hosts apart by the `host` header.
 */
import { AbortError, ConfigError, NotFoundError, resolveDatabricksAuth } from "@modeltrail/core";
import { AZURE_DATABRICKS_RESOURCE_ID, discoverAzureTenantId } from "@modeltrail/core/internal";
import { loopbackDispatcher, type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import type { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { azureTokenBody, formOf } from "./fixtures.js";

const SECRET = "Planted7ArmSecretKq";
const RESOURCE_ID =
  "/subscriptions/0f8fad5b-d9cb-469f-a165-70867728950e/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/ml-ws";

let server: MswServer;
let dispatcher: Agent;
const closers: Array<() => Promise<void>> = [];

/** Tenants of the fake workspaces, by host name. */
const TENANTS: Record<string, { tenant: string; login: string }> = {
  "adb-1.2.azuredatabricks.net": {
    tenant: "11111111-aaaa-bbbb-cccc-000000000001",
    login: "login.microsoftonline.com",
  },
  "adb-3.4.databricks.azure.us": { tenant: "gov-tenant.onmicrosoft.us", login: "login.microsoftonline.us" },
  "adb-5.6.databricks.azure.cn": { tenant: "china-tenant", login: "login.chinacloudapi.cn" },
};

function world() {
  return [
    http.get("*/aad/auth", ({ request }) => {
      const t = TENANTS[request.headers.get("host") ?? ""];
      if (!t) return new HttpResponse("no such workspace", { status: 404 });
      return new HttpResponse(null, {
        status: 302,
        headers: {
          location: `https://${t.login}/${t.tenant}/oauth2/authorize?client_id=${AZURE_DATABRICKS_RESOURCE_ID}&response_type=code`,
        },
      });
    }),
    http.post("*/:tenant/oauth2/v2.0/token", async ({ request, params }) => {
      const form = formOf(await request.text());
      return HttpResponse.json(
        azureTokenBody(
          `aad:${request.headers.get("host")}:${String(params.tenant)}:${form.client_id}:${form.scope}`,
        ),
      );
    }),
    http.get(
      "*/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.Databricks/workspaces/:ws",
      ({ request, params }) => {
        if (request.headers.get("authorization")?.startsWith("Bearer aad:") !== true)
          return HttpResponse.json({ error: { code: "AuthenticationFailed" } }, { status: 401 });
        if (params.ws !== "ml-ws")
          return HttpResponse.json(
            { error: { code: "ResourceNotFound", message: "The Resource was not found." } },
            { status: 404 },
          );
        return HttpResponse.json({
          id: new URL(request.url).pathname,
          name: "ml-ws",
          properties: { workspaceUrl: "adb-1.2.azuredatabricks.net", workspaceId: "1" },
        });
      },
    ),
  ];
}

const recorded = () => server.requests.map((r) => `${r.headers.host} ${r.method} ${r.path.split("?")[0]}`);

beforeAll(async () => {
  server = await startMswServer(...world());
  dispatcher = loopbackDispatcher(server.url);
});
afterEach(async () => {
  server.resetHandlers();
  for (const close of closers.splice(0)) await close();
});
afterAll(async () => {
  await dispatcher.close();
  await server.close();
});

async function resolve(env: Record<string, string>) {
  const auth = await resolveDatabricksAuth({
    env,
    homeDir: "/nonexistent-home",
    dispatcher,
    retry: { maxRetries: 0 },
  });
  closers.push(async () => auth.provider.close?.());
  return auth;
}

const principal = { ARM_CLIENT_ID: "arm-client", ARM_CLIENT_SECRET: SECRET };

describe("the Azure tenant found from the workspace", () => {
  it("is looked up on the first request, not while resolving, and only once", async () => {
    const auth = await resolve({ DATABRICKS_HOST: "https://adb-1.2.azuredatabricks.net", ...principal });
    expect(auth.authType).toBe("azure-client-secret");
    expect(server.requests).toEqual([]);
    const headers = await Promise.all([auth.provider.getAuthHeaders(), auth.provider.getAuthHeaders()]);
    const tenant = TENANTS["adb-1.2.azuredatabricks.net"]!.tenant;
    expect(headers[0]).toEqual({
      authorization: `Bearer aad:login.microsoftonline.com:${tenant}:arm-client:${AZURE_DATABRICKS_RESOURCE_ID}/.default`,
    });
    expect(headers[1]).toEqual(headers[0]);
    expect(recorded()).toEqual([
      "adb-1.2.azuredatabricks.net GET /aad/auth",
      `login.microsoftonline.com POST /${tenant}/oauth2/v2.0/token`,
    ]);
  });

  it("uses the Entra ID authority of the workspace's cloud", async () => {
    for (const host of ["adb-3.4.databricks.azure.us", "adb-5.6.databricks.azure.cn"]) {
      server.resetHandlers();
      const auth = await resolve({ DATABRICKS_HOST: host, ...principal });
      await auth.provider.getAuthHeaders();
      const t = TENANTS[host]!;
      expect(recorded()).toEqual([`${host} GET /aad/auth`, `${t.login} POST /${t.tenant}/oauth2/v2.0/token`]);
    }
  });

  it("is not looked up when ARM_TENANT_ID is set", async () => {
    const auth = await resolve({
      DATABRICKS_HOST: "https://adb-1.2.azuredatabricks.net",
      ARM_TENANT_ID: "explicit-tenant",
      ...principal,
    });
    await auth.provider.getAuthHeaders();
    expect(recorded()).toEqual(["login.microsoftonline.com POST /explicit-tenant/oauth2/v2.0/token"]);
  });

  it("fails with a ConfigError naming ARM_TENANT_ID when the workspace does not redirect, then tries again", async () => {
    server.use(http.get("*/aad/auth", () => HttpResponse.text("<html>login</html>")));
    const auth = await resolve({ DATABRICKS_HOST: "https://adb-1.2.azuredatabricks.net", ...principal });
    const err = await auth.provider.getAuthHeaders().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(
      "Cannot find the Azure tenant of https://adb-1.2.azuredatabricks.net: GET https://adb-1.2.azuredatabricks.net/aad/auth answered 200, not a redirect",
    );
    expect((err as ConfigError).hint).toContain("ARM_TENANT_ID");
    server.resetHandlers();
    await auth.provider.getAuthHeaders();
    expect(recorded().filter((r) => r.includes("/aad/auth"))).toHaveLength(1);
  });

  it("refuses a redirect that names no usable tenant", async () => {
    for (const location of [
      "https://login.microsoftonline.com/",
      "/relative",
      "https://login.microsoftonline.com/a%2Fb/x",
      "",
    ]) {
      const headers: Record<string, string> = location ? { location } : {};
      server.use(http.get("*/aad/auth", () => new HttpResponse(null, { status: 302, headers })));
      const refused = await discoverAzureTenantId("https://adb-1.2.azuredatabricks.net", {
        dispatcher,
        retry: { maxRetries: 0 },
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConfigError);
      expect((refused as Error).message).toContain("which names no tenant");
      server.resetHandlers();
    }
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await discoverAzureTenantId("https://adb-1.2.azuredatabricks.net", {
      dispatcher,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
  });
});

describe("the workspace URL found from DATABRICKS_AZURE_RESOURCE_ID", () => {
  it("is read from Azure Resource Manager with the service principal's token", async () => {
    const auth = await resolve({
      DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID,
      ARM_TENANT_ID: "t-1",
      ...principal,
    });
    expect(auth).toMatchObject({
      host: "https://adb-1.2.azuredatabricks.net",
      authType: "azure-client-secret",
      cloud: "azure",
    });
    expect(auth.sources.host).toBe("Azure Resource Manager (from DATABRICKS_AZURE_RESOURCE_ID)");
    expect(recorded()).toEqual([
      "login.microsoftonline.com POST /t-1/oauth2/v2.0/token",
      `management.azure.com GET ${RESOURCE_ID}`,
    ]);
    const [token, arm] = server.requests;
    expect(formOf(token!.body).scope).toBe("https://management.azure.com//.default");
    expect(arm!.path).toBe(`${RESOURCE_ID}?api-version=2018-04-01`);
    expect(await auth.provider.getAuthHeaders()).toMatchObject({
      "x-databricks-azure-workspace-resource-id": RESOURCE_ID,
    });
  });

  it("uses the Resource Manager of ARM_ENVIRONMENT", async () => {
    server.use(
      http.get("*/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.Databricks/workspaces/:ws", () =>
        HttpResponse.json({ properties: { workspaceUrl: "adb-3.4.databricks.azure.us" } }),
      ),
    );
    const auth = await resolve({
      DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID,
      ARM_TENANT_ID: "t-1",
      ARM_ENVIRONMENT: "AzureUSGovernment",
      ...principal,
    });
    expect(auth.host).toBe("https://adb-3.4.databricks.azure.us");
    expect(recorded()).toEqual([
      "login.microsoftonline.us POST /t-1/oauth2/v2.0/token",
      `management.usgovcloudapi.net GET ${RESOURCE_ID}`,
    ]);
  });

  it("needs the tenant, and says so before any request", async () => {
    const err = await resolveDatabricksAuth({
      env: { DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID, ...principal },
      homeDir: "/nonexistent-home",
      dispatcher,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(
      "Finding the workspace URL from DATABRICKS_AZURE_RESOURCE_ID needs the service principal's tenant: ARM_TENANT_ID is not set",
    );
    expect(server.requests).toEqual([]);
  });

  it("reports a workspace Resource Manager does not know as NotFoundError, without the secret", async () => {
    const err = await resolveDatabricksAuth({
      env: {
        DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID.replace("ml-ws", "gone"),
        ARM_TENANT_ID: "t-1",
        ...principal,
      },
      homeDir: "/nonexistent-home",
      dispatcher,
      retry: { maxRetries: 0 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(JSON.stringify(err)).not.toContain(SECRET);
  });

  it("refuses an answer whose workspaceUrl is not a host name", async () => {
    server.use(
      http.get("*/subscriptions/:sub/resourceGroups/:rg/providers/Microsoft.Databricks/workspaces/:ws", () =>
        HttpResponse.json({ properties: { workspaceUrl: "evil.example/path?x=" } }),
      ),
    );
    const err = await resolveDatabricksAuth({
      env: { DATABRICKS_AZURE_RESOURCE_ID: RESOURCE_ID, ARM_TENANT_ID: "t-1", ...principal },
      homeDir: "/nonexistent-home",
      dispatcher,
      retry: { maxRetries: 0 },
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe("ValidationError");
  });
});
