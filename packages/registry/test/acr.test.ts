import { azureClientSecretCredential, ForbiddenError } from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ACR_AAD_SCOPE,
  ACR_REFRESH_TOKEN_USER,
  acrAdminCredentials,
  acrCredentials,
  acrCredentialsFromEnv,
  RegistryClient,
} from "../src/index.js";

const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT_SECRET = "aad-Client-Secret-0123456789";

interface Seen {
  aad: URLSearchParams[];
  exchange: URLSearchParams[];
  token: URLSearchParams[];
}

let aad: MswServer;
let acr: MswServer;
let seen: Seen;
let acrHost: string;
let refreshIssued = 0;
let accessIssued = 0;
let refuseExchange = false;

beforeEach(async () => {
  seen = { aad: [], exchange: [], token: [] };
  refreshIssued = 0;
  accessIssued = 0;
  refuseExchange = false;
  aad = await startMswServer(
    http.post(`*/${TENANT}/oauth2/v2.0/token`, async ({ request }) => {
      seen.aad.push(new URLSearchParams(await request.text()));
      return HttpResponse.json({
        access_token: `aad-access-token-${seen.aad.length}-abcdef`,
        token_type: "Bearer",
        expires_in: 3600,
      });
    }),
  );
  acr = await startMswServer();
  acrHost = acr.url.replace("http://", "");
  acr.use(
    http.post("*/oauth2/exchange", async ({ request }) => {
      const form = new URLSearchParams(await request.text());
      seen.exchange.push(form);
      if (refuseExchange) return HttpResponse.json({ errors: [{ code: "UNAUTHORIZED" }] }, { status: 403 });
      if (!form.get("access_token")?.startsWith("aad-access-token-"))
        return HttpResponse.json({}, { status: 401 });
      refreshIssued++;
      return HttpResponse.json({ refresh_token: `acr-refresh-token-${refreshIssued}-abcdefgh` });
    }),
    http.post("*/oauth2/token", async ({ request }) => {
      const form = new URLSearchParams(await request.text());
      seen.token.push(form);
      if (
        form.get("grant_type") === "refresh_token" &&
        form.get("refresh_token")?.startsWith("acr-refresh-token-")
      ) {
        accessIssued++;
        return HttpResponse.json({ access_token: `acr-access-token-${accessIssued}-abcdefgh` });
      }
      if (form.get("grant_type") === "password")
        return HttpResponse.json({ access_token: "admin-access-token-abcdefgh" });
      return HttpResponse.json({ errors: [{ code: "UNAUTHORIZED" }] }, { status: 401 });
    }),
    http.get("*/oauth2/token", ({ request }) => {
      const basic = request.headers.get("authorization");
      if (basic === `Basic ${Buffer.from("myacr:admin-Password-123456").toString("base64")}`) {
        return HttpResponse.json({ access_token: "admin-access-token-abcdefgh" });
      }
      return HttpResponse.json({ errors: [{ code: "UNAUTHORIZED" }] }, { status: 401 });
    }),
    http.get("*/v2/models/churn/tags/list", ({ request }) => {
      if (/^Bearer (acr|admin)-access-token-/.test(request.headers.get("authorization") ?? "")) {
        return HttpResponse.json({ name: "models/churn", tags: ["1234"] });
      }
      return challenge("repository:models/churn:pull");
    }),
    http.get("*/v2/", () => challenge()),
  );
});
afterEach(async () => {
  await aad.close();
  await acr.close();
});

function challenge(scope?: string) {
  return HttpResponse.json(
    { errors: [{ code: "UNAUTHORIZED" }] },
    {
      status: 401,
      headers: {
        "www-authenticate": `Bearer realm="${acr.url}/oauth2/token",service="${acrHost}"${scope ? `,scope="${scope}"` : ""}`,
      },
    },
  );
}

describe("Azure Container Registry", () => {
  it("exchanges an Azure AD token for a refresh token, then a scoped access token, and caches both", async () => {
    const azureCredential = azureClientSecretCredential({
      tenantId: TENANT,
      clientId: "app-id",
      clientSecret: CLIENT_SECRET,
      scope: ACR_AAD_SCOPE,
      authorityHost: aad.url,
    });
    const client = new RegistryClient({
      credentials: acrCredentials({ registry: acrHost, azureCredential, tenantId: TENANT }),
    });
    expect(await client.tags(`${acrHost}/models/churn`)).toEqual(["1234"]);
    expect(await client.tags(`${acrHost}/models/churn`)).toEqual(["1234"]);
    await client.close();
    expect(seen.aad).toHaveLength(1);
    expect(seen.aad[0]?.get("scope")).toBe(ACR_AAD_SCOPE);
    expect(seen.exchange).toHaveLength(1);
    expect(Object.fromEntries(seen.exchange[0]!)).toMatchObject({
      grant_type: "access_token",
      service: acrHost,
      tenant: TENANT,
      access_token: "aad-access-token-1-abcdef",
    });
    expect(seen.token).toHaveLength(1);
    expect(Object.fromEntries(seen.token[0]!)).toMatchObject({
      grant_type: "refresh_token",
      service: acrHost,
      scope: "repository:models/churn:pull",
      refresh_token: "acr-refresh-token-1-abcdefgh",
    });
  });

  it("answers only for its own registry", async () => {
    const azureCredential = azureClientSecretCredential({
      tenantId: TENANT,
      clientId: "a",
      clientSecret: CLIENT_SECRET,
      scope: ACR_AAD_SCOPE,
      authorityHost: aad.url,
    });
    const source = acrCredentials({ registry: acrHost, azureCredential });
    expect(await source.credentialsFor("other.azurecr.io")).toBeUndefined();
    expect(seen.aad).toHaveLength(0);
    expect(await source.credentialsFor(acrHost)).toMatchObject({
      kind: "identity-token",
      username: ACR_REFRESH_TOKEN_USER,
    });
  });

  it("reads the service principal from AZURE_* variables", async () => {
    const source = acrCredentialsFromEnv({
      registry: acrHost,
      env: {
        AZURE_CLIENT_ID: "a",
        AZURE_CLIENT_SECRET: CLIENT_SECRET,
        AZURE_TENANT_ID: TENANT,
        AZURE_AUTHORITY_HOST: aad.url,
      },
    });
    const client = new RegistryClient({ credentials: source });
    expect(await client.tags(`${acrHost}/models/churn`)).toEqual(["1234"]);
    await client.close();
    expect(seen.exchange[0]?.get("tenant")).toBe(TENANT);
    expect(() => acrCredentialsFromEnv({ registry: acrHost, env: {} })).toThrow(/AZURE_CLIENT_ID/);
  });

  it("says which role is missing when ACR refuses the exchange, without the tokens", async () => {
    refuseExchange = true;
    const azureCredential = azureClientSecretCredential({
      tenantId: TENANT,
      clientId: "a",
      clientSecret: CLIENT_SECRET,
      scope: ACR_AAD_SCOPE,
      authorityHost: aad.url,
    });
    const client = new RegistryClient({
      credentials: acrCredentials({ registry: acrHost, azureCredential }),
    });
    const err = await client.tags(`${acrHost}/models/churn`).catch((e: unknown) => e);
    await client.close();
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as Error).message).toMatch(/AcrPull or AcrPush/);
    const all = `${(err as Error).message} ${JSON.stringify(err)}`;
    expect(all).not.toContain("aad-access-token");
    expect(all).not.toContain(CLIENT_SECRET);
  });

  it("signs in with the admin user (Basic credentials at the token endpoint)", async () => {
    const client = new RegistryClient({
      credentials: acrAdminCredentials(acrHost, "myacr", "admin-Password-123456"),
    });
    expect(await client.tags(`${acrHost}/models/churn`)).toEqual(["1234"]);
    await client.close();
    expect(seen.exchange).toHaveLength(0);
  });
});
