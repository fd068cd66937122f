import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, resolveDatabricksAuth, UnauthorizedError } from "@modeltrail/core";
import {
  AZURE_DATABRICKS_RESOURCE_ID,
  azureAuthorityHostForWorkspace,
  HttpClient,
  normalizeDatabricksHost,
} from "@modeltrail/core/internal";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { azureTokenBody, databricksOidcHandlers, formOf } from "./fixtures.js";

let server: MswServer;
let home: string;
const oidc = databricksOidcHandlers();
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startMswServer(
    ...oidc.handlers,
    http.post("*/:tenant/oauth2/v2.0/token", () => HttpResponse.json(azureTokenBody("aad-databricks-token"))),
  );
});
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "modeltrail-dbcfg-"));
});
afterEach(async () => {
  server.resetHandlers();
  oidc.reset();
  for (const close of closers.splice(0)) await close();
  await rm(home, { recursive: true, force: true });
});
afterAll(async () => {
  await server.close();
});

async function writeConfig(text: string, name = ".databrickscfg"): Promise<string> {
  const path = join(home, name);
  await writeFile(path, text);
  return path;
}

function messageOf(fn: () => Promise<unknown>): Promise<ConfigError> {
  return fn().then(
    () => {
      throw new Error("expected a ConfigError");
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(ConfigError);
      return e as ConfigError;
    },
  );
}

describe("resolveDatabricksAuth: sources and precedence", () => {
  it("uses DATABRICKS_HOST + DATABRICKS_TOKEN as a PAT and normalizes the host", async () => {
    const auth = await resolveDatabricksAuth({
      env: { DATABRICKS_HOST: "adb-123.4.azuredatabricks.net/", DATABRICKS_TOKEN: "dapi-env-token-1234" },
      homeDir: home,
    });
    expect(auth.host).toBe("https://adb-123.4.azuredatabricks.net");
    expect(auth.authType).toBe("pat");
    expect(auth.profile).toBeUndefined();
    expect(auth.provider.kind).toBe("pat");
    expect(await auth.provider.getAuthHeaders()).toEqual({ authorization: "Bearer dapi-env-token-1234" });
    expect(auth.sources).toMatchObject({ host: "DATABRICKS_HOST", token: "DATABRICKS_TOKEN" });
  });

  it("prefers explicit options over the environment", async () => {
    const auth = await resolveDatabricksAuth({
      host: "https://explicit.cloud.databricks.com/some/path?o=1",
      token: "explicit-token-5678",
      env: { DATABRICKS_HOST: "env.cloud.databricks.com", DATABRICKS_TOKEN: "env-token-0000" },
      homeDir: home,
    });
    expect(auth.host).toBe("https://explicit.cloud.databricks.com");
    expect(await auth.provider.getAuthHeaders()).toEqual({ authorization: "Bearer explicit-token-5678" });
  });

  it("reads the DEFAULT profile of ~/.databrickscfg when nothing else is configured", async () => {
    await writeConfig(
      [
        "; written by databricks configure",
        "[DEFAULT]",
        "host = https://file-host.cloud.databricks.com",
        "token = file-token-abcd",
        "",
        "[other]",
        "host = https://other.cloud.databricks.com",
      ].join("\n"),
    );
    const fileOnly = await resolveDatabricksAuth({ env: {}, homeDir: home });
    expect(fileOnly).toMatchObject({
      host: "https://file-host.cloud.databricks.com",
      authType: "pat",
      profile: "DEFAULT",
    });
    expect(await fileOnly.provider.getAuthHeaders()).toEqual({ authorization: "Bearer file-token-abcd" });
    expect(fileOnly.sources.token).toBe(`token in profile DEFAULT of ${join(home, ".databrickscfg")}`);
    expect(fileOnly.configFile).toBe(join(home, ".databrickscfg"));
  });

  it("reads the profile named by DATABRICKS_CONFIG_PROFILE from DATABRICKS_CONFIG_FILE", async () => {
    const path = await writeConfig(
      [
        "[DEFAULT]",
        "host = https://default.cloud.databricks.com",
        "token = default-token-1",
        "[prod.eu]",
        "host = prod-eu.cloud.databricks.com",
        "client_id = prod-client-id",
        'client_secret = "dose-prod-secret#with;chars"',
      ].join("\n"),
      "custom.cfg",
    );
    const auth = await resolveDatabricksAuth({
      env: { DATABRICKS_CONFIG_FILE: path, DATABRICKS_CONFIG_PROFILE: "prod.eu" },
      homeDir: "/nonexistent-home",
    });
    expect(auth).toMatchObject({
      host: "https://prod-eu.cloud.databricks.com",
      authType: "oauth-m2m",
      profile: "prod.eu",
    });
    expect(auth.provider.kind).toBe("oauth-m2m");
    expect(auth.sources.clientSecret).toBe(`client_secret in profile prod.eu of ${path}`);
    expect(auth.principal).toBe("prod-client-id");
  });

  it("prefers the profile option over DATABRICKS_CONFIG_PROFILE", async () => {
    await writeConfig(
      "[a]\nhost = a.cloud.databricks.com\ntoken = token-aaaa\n[b]\nhost = b.cloud.databricks.com\ntoken = token-bbbb\n",
    );
    const auth = await resolveDatabricksAuth({
      profile: "b",
      env: { DATABRICKS_CONFIG_PROFILE: "a" },
      homeDir: home,
    });
    expect(auth).toMatchObject({ host: "https://b.cloud.databricks.com", profile: "b" });
  });

  it("fails when an explicitly requested profile does not exist, listing the known ones", async () => {
    const path = await writeConfig("[DEFAULT]\nhost = h.cloud.databricks.com\n[dev]\ntoken = t-dev-1234\n");
    const err = await messageOf(() =>
      resolveDatabricksAuth({ env: { DATABRICKS_CONFIG_PROFILE: "staging" }, homeDir: home }),
    );
    expect(err.message).toContain(
      `Databricks profile staging (from DATABRICKS_CONFIG_PROFILE) not found in ${path} (profiles: DEFAULT, dev)`,
    );
    const missingFile = await messageOf(() =>
      resolveDatabricksAuth({ profile: "dev", configFile: join(home, "nope.cfg"), env: {}, homeDir: home }),
    );
    expect(missingFile.message).toContain("does not exist");
  });

  it("uses whichever method DATABRICKS_AUTH_TYPE names when several are configured", async () => {
    const env = {
      DATABRICKS_HOST: "https://adb-1.1.azuredatabricks.net",
      DATABRICKS_TOKEN: "pat-wins-1234",
      DATABRICKS_CLIENT_ID: "cid",
      DATABRICKS_CLIENT_SECRET: "csecret-1234",
      ARM_CLIENT_ID: "arm-id",
      ARM_CLIENT_SECRET: "arm-secret-1234",
      ARM_TENANT_ID: "arm-tenant",
    };
    for (const type of ["pat", "oauth-m2m", "azure-client-secret"] as const) {
      const auth = await resolveDatabricksAuth({
        env: { ...env, DATABRICKS_AUTH_TYPE: type },
        homeDir: home,
      });
      closers.push(async () => auth.provider.close?.());
      expect(auth.authType).toBe(type);
    }
  });

  it("lets DATABRICKS_AUTH_TYPE force a method", async () => {
    const env = {
      DATABRICKS_HOST: server.url,
      DATABRICKS_TOKEN: "ignored-pat-1234",
      DATABRICKS_CLIENT_ID: "forced-client",
      DATABRICKS_CLIENT_SECRET: "forced-secret-1234",
      DATABRICKS_AUTH_TYPE: "oauth-m2m",
    };
    const auth = await resolveDatabricksAuth({ env, homeDir: home });
    closers.push(async () => auth.provider.close?.());
    expect(auth.authType).toBe("oauth-m2m");
    expect(await auth.provider.getAuthHeaders()).toEqual({
      authorization: "Bearer databricks-oauth-token-1",
    });

    const err = await messageOf(() =>
      resolveDatabricksAuth({ env: { ...env, DATABRICKS_AUTH_TYPE: "azure-client-secret" }, homeDir: home }),
    );
    expect(err.message).toContain(
      "Databricks auth type azure-client-secret (from DATABRICKS_AUTH_TYPE) is not fully configured",
    );
    expect(err.message).toContain("azure-client-secret: ARM_CLIENT_ID, ARM_CLIENT_SECRET not set");
    expect(err.message).not.toContain("pat:");

    const unknown = await messageOf(() =>
      resolveDatabricksAuth({ env: { ...env, DATABRICKS_AUTH_TYPE: "magic" }, homeDir: home }),
    );
    expect(unknown.message).toContain('"magic" (from DATABRICKS_AUTH_TYPE) is not a known auth type');
    expect(unknown.hint).toContain("pat, basic, oauth-m2m, azure-client-secret");
    const cli = await messageOf(() =>
      resolveDatabricksAuth({ env: { ...env, DATABRICKS_AUTH_TYPE: "databricks-cli" }, homeDir: home }),
    );
    expect(cli.message).toContain(
      '"databricks-cli" (from DATABRICKS_AUTH_TYPE) is the Databricks CLI\'s login, which modeltrail does not support',
    );
  });

  it("honours auth_type from the profile", async () => {
    await writeConfig(
      "[DEFAULT]\nhost = h.cloud.databricks.com\ntoken = tok-1234\nclient_id = x\nclient_secret = y-secret\nauth_type = oauth-m2m\n",
    );
    const auth = await resolveDatabricksAuth({ env: {}, homeDir: home });
    closers.push(async () => auth.provider.close?.());
    expect(auth.authType).toBe("oauth-m2m");
  });
});

describe("resolveDatabricksAuth: failure message", () => {
  it("lists every method tried, what it lacked, and the config file outcome", async () => {
    await writeConfig("[dev]\nhost = dev.cloud.databricks.com\n");
    const path = join(home, ".databrickscfg");
    const err = await messageOf(() =>
      resolveDatabricksAuth({ env: { DATABRICKS_CLIENT_ID: "only-the-id" }, homeDir: home }),
    );
    expect(err.message).toContain("No Databricks credentials found. Tried: host: DATABRICKS_HOST not set");
    expect(err.message).toContain("pat: DATABRICKS_TOKEN not set");
    expect(err.message).toContain("basic: DATABRICKS_USERNAME, DATABRICKS_PASSWORD not set");
    expect(err.message).toContain("oauth-m2m: DATABRICKS_CLIENT_SECRET not set");
    expect(err.message).not.toContain("DATABRICKS_CLIENT_ID not set");
    expect(err.message).toContain("azure-client-secret: ARM_CLIENT_ID, ARM_CLIENT_SECRET not set");
    expect(err.message).toContain(
      `config file ${path} not read because DATABRICKS_CLIENT_ID is set and no profile is named`,
    );
    expect(err.sources).toContain("DATABRICKS_HOST");
    expect(err.sources).toContain("DATABRICKS_TOKEN");

    const noDefault = await messageOf(() => resolveDatabricksAuth({ env: {}, homeDir: home }));
    expect(noDefault.message).toContain(
      `config file ${path} has no DEFAULT profile and no [__settings__] default_profile`,
    );
    const named = await messageOf(() =>
      resolveDatabricksAuth({ env: { DATABRICKS_CONFIG_PROFILE: "dev" }, homeDir: home }),
    );
    expect(named.message).toContain(
      "pat: DATABRICKS_TOKEN (or token in profile dev) not set; basic: DATABRICKS_USERNAME (or username in profile dev), DATABRICKS_PASSWORD (or password in profile dev) not set",
    );
    expect(named.message).toContain(`profile dev in ${path} read`);
  });

  it("says when the config file is absent, and when only the host is missing", async () => {
    const err = await messageOf(() => resolveDatabricksAuth({ env: {}, homeDir: home }));
    expect(err.message).toContain(`config file ${join(home, ".databrickscfg")} not found`);
    const hostOnly = await messageOf(() =>
      resolveDatabricksAuth({ env: { DATABRICKS_TOKEN: "tok-9999" }, homeDir: home }),
    );
    expect(hostOnly.message).toContain(
      "Databricks workspace host is not configured for auth type pat. Tried: host: DATABRICKS_HOST not set",
    );
  });

  it("rejects a host that is not http(s)", () => {
    expect(() => normalizeDatabricksHost("ftp://x.example")).toThrow(ConfigError);
    expect(normalizeDatabricksHost("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
  });
});

describe("resolveDatabricksAuth: OAuth M2M", () => {
  it("discovers the token endpoint and runs client credentials with scope all-apis and Basic auth", async () => {
    const auth = await resolveDatabricksAuth({
      env: {
        DATABRICKS_HOST: server.url,
        DATABRICKS_CLIENT_ID: "sp-client-id",
        DATABRICKS_CLIENT_SECRET: "dose-sp-secret-1",
      },
      homeDir: home,
    });
    closers.push(async () => auth.provider.close?.());
    expect(auth.authType).toBe("oauth-m2m");
    expect(auth.provider.kind).toBe("oauth-m2m");
    for (let i = 0; i < 3; i++)
      expect(await auth.provider.getAuthHeaders()).toEqual({
        authorization: "Bearer databricks-oauth-token-1",
      });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /oidc/.well-known/oauth-authorization-server",
      "POST /oidc/v1/token",
    ]);
    const token = server.requests[1]!;
    expect(token.headers.authorization).toBe(
      `Basic ${Buffer.from("sp-client-id:dose-sp-secret-1").toString("base64")}`,
    );
    expect(formOf(token.body)).toEqual({ grant_type: "client_credentials", scope: "all-apis" });
  });

  it("works as the credentials of an HttpClient and renews the token after a 401", async () => {
    server.use(
      http.get("*/api/2.2/jobs/list", ({ request }) =>
        request.headers.get("authorization") === "Bearer databricks-oauth-token-2"
          ? HttpResponse.json({ jobs: [] })
          : HttpResponse.json({ error_code: "UNAUTHENTICATED", message: "token expired" }, { status: 401 }),
      ),
    );
    const auth = await resolveDatabricksAuth({
      host: server.url,
      clientId: "sp",
      clientSecret: "dose-sp-secret-2",
      env: {},
      homeDir: home,
    });
    closers.push(async () => auth.provider.close?.());
    const client = new HttpClient({ baseUrl: auth.host, service: "databricks", credentials: auth.provider });
    closers.push(() => client.close());
    expect(await client.json({ path: "/api/2.2/jobs/list" })).toEqual({ jobs: [] });
  });

  it("reports a rejected client as UnauthorizedError", async () => {
    server.use(
      http.post("*/oidc/v1/token", () =>
        HttpResponse.json(
          { error: "invalid_client", error_description: "Client authentication failed" },
          { status: 401 },
        ),
      ),
    );
    const auth = await resolveDatabricksAuth({
      host: server.url,
      clientId: "sp",
      clientSecret: "dose-bad-secret-3",
      env: {},
      homeDir: home,
    });
    closers.push(async () => auth.provider.close?.());
    const err = await auth.provider.getAuthHeaders().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).not.toContain("dose-bad-secret-3");
  });
});

describe("resolveDatabricksAuth: Azure service principal", () => {
  it("requests an Azure AD token for the Azure Databricks resource", async () => {
    const auth = await resolveDatabricksAuth({
      env: {
        DATABRICKS_HOST: "https://adb-9.9.azuredatabricks.net",
        ARM_CLIENT_ID: "arm-client",
        ARM_CLIENT_SECRET: "arm-secret-value-5",
        ARM_TENANT_ID: "arm-tenant-id",
      },
      azureAuthorityHost: server.url,
      homeDir: home,
    });
    closers.push(async () => auth.provider.close?.());
    expect(auth.authType).toBe("azure-client-secret");
    expect(await auth.provider.getAuthHeaders()).toEqual({ authorization: "Bearer aad-databricks-token" });
    const [req] = server.requests;
    expect(req?.path).toBe("/arm-tenant-id/oauth2/v2.0/token");
    expect(formOf(req!.body)).toEqual({
      grant_type: "client_credentials",
      client_id: "arm-client",
      client_secret: "arm-secret-value-5",
      scope: `${AZURE_DATABRICKS_RESOURCE_ID}/.default`,
    });
    expect(AZURE_DATABRICKS_RESOURCE_ID).toBe("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d");
  });

  it("reads the azure_* keys of a profile", async () => {
    await writeConfig(
      "[azure]\nhost = adb-7.7.azuredatabricks.net\nazure_client_id = p-id\nazure_client_secret = p-secret-6666\nazure_tenant_id = p-tenant\n",
    );
    const auth = await resolveDatabricksAuth({
      profile: "azure",
      env: { AZURE_AUTHORITY_HOST: server.url },
      homeDir: home,
    });
    closers.push(async () => auth.provider.close?.());
    expect(auth).toMatchObject({
      authType: "azure-client-secret",
      profile: "azure",
      host: "https://adb-7.7.azuredatabricks.net",
    });
    await auth.provider.getAuthHeaders();
    expect(server.requests[0]?.path).toBe("/p-tenant/oauth2/v2.0/token");
  });

  it("chooses the authority of the workspace's cloud", () => {
    expect(azureAuthorityHostForWorkspace("https://adb-1.1.azuredatabricks.net")).toBe(
      "https://login.microsoftonline.com",
    );
    expect(azureAuthorityHostForWorkspace("https://adb-1.1.databricks.azure.cn")).toBe(
      "https://login.chinacloudapi.cn",
    );
    expect(azureAuthorityHostForWorkspace("https://adb-1.1.databricks.azure.us")).toBe(
      "https://login.microsoftonline.us",
    );
  });
});

describe("resolveDatabricksAuth: Azure management token", () => {
  it("sends the SP management token and workspace resource id when a resource id is configured", async () => {
    server.use(
      http.post("*/:tenant/oauth2/v2.0/token", async ({ request }) => {
        const scope = new URLSearchParams(await request.text()).get("scope");
        return HttpResponse.json(
          azureTokenBody(
            scope === "https://management.core.windows.net//.default" ? "aad-mgmt-token" : "aad-ws-token",
          ),
        );
      }),
    );
    const resourceId =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/ws";
    const auth = await resolveDatabricksAuth({
      env: {
        DATABRICKS_HOST: "https://adb-9.9.azuredatabricks.net",
        ARM_CLIENT_ID: "arm-client",
        ARM_CLIENT_SECRET: "arm-secret-value-7",
        ARM_TENANT_ID: "arm-tenant-id",
        DATABRICKS_AZURE_RESOURCE_ID: resourceId,
      },
      azureAuthorityHost: server.url,
      homeDir: home,
    });
    closers.push(async () => auth.provider.close?.());
    expect(await auth.provider.getAuthHeaders()).toEqual({
      authorization: "Bearer aad-ws-token",
      "x-databricks-azure-sp-management-token": "aad-mgmt-token",
      "x-databricks-azure-workspace-resource-id": resourceId,
    });
    const scopes = server.requests.map((r) => formOf(r.body).scope).sort();
    expect(scopes).toEqual([
      `${AZURE_DATABRICKS_RESOURCE_ID}/.default`,
      "https://management.core.windows.net//.default",
    ]);
  });
});
