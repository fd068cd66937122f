import {
  azureClientSecretCredential,
  azureCredentialFromEnv,
  BadRequestError,
  ConfigError,
  UnauthorizedError,
} from "@modeltrail/core";
import { azureScopeFor, azureTokenEndpoint } from "@modeltrail/core/internal";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { azureErrorBody, azureTokenBody, formOf } from "./fixtures.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
let server: MswServer;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startMswServer(
    http.post("*/:tenant/oauth2/v2.0/token", ({ params }) =>
      HttpResponse.json(azureTokenBody(`aad-token-for-${String(params.tenant)}`)),
    ),
  );
});
afterEach(async () => {
  server.resetHandlers();
  for (const close of closers.splice(0)) await close();
});
afterAll(async () => {
  await server.close();
});

describe("azureClientSecretCredential", () => {
  it("POSTs the documented v2.0 form to /{tenant}/oauth2/v2.0/token", async () => {
    const p = azureClientSecretCredential({
      tenantId: TENANT,
      clientId: "535fb089-9ff3-47b6-9bfb-4f1264799865",
      clientSecret: "azure-sp-secret~value.1",
      scope: "https://graph.microsoft.com/.default",
      authorityHost: `${server.url}/`,
    });
    closers.push(() => p.close());
    expect(p.kind).toBe("azure-client-secret");
    expect(await p.getAuthHeaders()).toEqual({ authorization: `Bearer aad-token-for-${TENANT}` });
    const [req] = server.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(req?.headers.authorization).toBeUndefined();
    expect(formOf(req!.body)).toEqual({
      grant_type: "client_credentials",
      client_id: "535fb089-9ff3-47b6-9bfb-4f1264799865",
      client_secret: "azure-sp-secret~value.1",
      scope: "https://graph.microsoft.com/.default",
    });
  });

  it("turns a resource into the /.default scope", async () => {
    const p = azureClientSecretCredential({
      tenantId: TENANT,
      clientId: "c",
      clientSecret: "azure-sp-secret-2",
      resource: "https://management.core.windows.net/",
      authorityHost: server.url,
    });
    closers.push(() => p.close());
    await p.getAuthHeaders();
    expect(formOf(server.requests[0]!.body).scope).toBe("https://management.core.windows.net//.default");
    expect(azureScopeFor({ resource: "api://my-api" })).toBe("api://my-api/.default");
  });

  it("maps AADSTS7000215 (401 invalid_client) to UnauthorizedError with service azure-ad", async () => {
    server.use(
      http.post("*/:tenant/oauth2/v2.0/token", () =>
        HttpResponse.json(
          azureErrorBody(
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID",
          ),
          { status: 401 },
        ),
      ),
    );
    const p = azureClientSecretCredential({
      tenantId: TENANT,
      clientId: "c",
      clientSecret: "wrong-secret-xyz-1",
      scope: "s/.default",
      authorityHost: server.url,
    });
    closers.push(() => p.close());
    const err = await p.getAuthHeaders().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err).toMatchObject({ service: "azure-ad", serviceCode: "invalid_client", status: 401 });
    expect((err as Error).message).toContain("AADSTS7000215");
    expect((err as UnauthorizedError).requestId).toBe("0d3c4f4e-8d7a-4e3b-9a21-6c1f0e2b7a00");
    expect((err as Error).message).not.toContain("wrong-secret-xyz-1");
  });

  it("maps AADSTS70011 (400 invalid_scope) to BadRequestError", async () => {
    server.use(
      http.post("*/:tenant/oauth2/v2.0/token", () =>
        HttpResponse.json(
          azureErrorBody(
            "invalid_scope",
            70011,
            "The provided value for the input parameter 'scope' is not valid.",
          ),
          {
            status: 400,
          },
        ),
      ),
    );
    const p = azureClientSecretCredential({
      tenantId: TENANT,
      clientId: "c",
      clientSecret: "some-secret-3",
      scope: "bad",
      authorityHost: server.url,
    });
    closers.push(() => p.close());
    await expect(p.getAuthHeaders()).rejects.toBeInstanceOf(BadRequestError);
  });

  it("validates its inputs", () => {
    expect(() => azureTokenEndpoint("../evil")).toThrow(ConfigError);
    expect(azureTokenEndpoint("contoso.onmicrosoft.com")).toBe(
      "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
    );
    expect(() => azureScopeFor({})).toThrow(/scope/);
    expect(() => azureScopeFor({ scope: "a", resource: "b" })).toThrow(/not both/);
  });
});

describe("azureCredentialFromEnv", () => {
  it("reads AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID / AZURE_AUTHORITY_HOST", async () => {
    const p = azureCredentialFromEnv({
      env: {
        AZURE_CLIENT_ID: "env-client",
        AZURE_CLIENT_SECRET: "env-secret-value-4",
        AZURE_TENANT_ID: "env-tenant",
        AZURE_AUTHORITY_HOST: server.url,
      },
      resource: "https://myregistry.azurecr.io",
    });
    closers.push(() => p.close());
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer aad-token-for-env-tenant" });
    expect(formOf(server.requests[0]!.body)).toMatchObject({
      client_id: "env-client",
      client_secret: "env-secret-value-4",
      scope: "https://myregistry.azurecr.io/.default",
    });
  });

  it("names every missing variable", () => {
    const err = (() => {
      try {
        azureCredentialFromEnv({ env: { AZURE_CLIENT_ID: "x" }, scope: "s/.default" });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain("AZURE_CLIENT_SECRET");
    expect(err.message).toContain("AZURE_TENANT_ID");
    expect(err.message).not.toContain("AZURE_CLIENT_ID");
    expect(err.sources).toEqual(["AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"]);
  });
});
