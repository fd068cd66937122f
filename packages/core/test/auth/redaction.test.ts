import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  azureClientSecretCredential,
  basicAuth,
  oauth2ClientCredentials,
  resolveDatabricksAuth,
} from "@modeltrail/core";
import { HttpClient } from "@modeltrail/core/internal";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { databricksOidcHandlers } from "./fixtures.js";

// Distinctive values that match none of the generic token shapes: only registerSecret can hide them.
const CLIENT_SECRET = "Planted7ClientSecretQx";
const AZURE_SECRET = "Planted7AzureSecretWv";
const PAT = "Planted7PersonalTokenZk";
const PASSWORD = "Planted7PasswordJm";
const FETCHED = "Planted7FetchedAccessTokenRb";
const FILE_SECRET = "Planted7FileSecretHt";
const ALL = [CLIENT_SECRET, AZURE_SECRET, PAT, PASSWORD, FETCHED, FILE_SECRET];

let server: MswServer;
let home: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startMswServer(...databricksOidcHandlers(FETCHED).handlers);
  home = await mkdtemp(join(tmpdir(), "modeltrail-redact-"));
});
afterEach(async () => {
  server.resetHandlers();
  for (const close of closers.splice(0)) await close();
});
afterAll(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
});

/** Every rendering of an error a user or a log could see. */
function renderings(err: unknown): string[] {
  const e = err as Error;
  return [e.message, String(e.stack), JSON.stringify(err), inspect(err, { depth: 8 }), String(err)];
}

function expectNoSecrets(err: unknown): void {
  expect(err).toBeInstanceOf(Error);
  for (const text of renderings(err)) for (const secret of ALL) expect(text).not.toContain(secret);
}

/**
 * Echoes everything it received back in its error body, decoded and bare (form values, the decoded
 * Basic credentials, the bearer token without its scheme), so that no generic pattern can hide them.
 */
function echoingError(status: number) {
  return async ({ request }: { request: Request }) => {
    const values = [...new URLSearchParams(await request.text()).values()];
    const auth = request.headers.get("authorization") ?? "";
    const [scheme, credential = ""] = auth.split(" ");
    if (scheme === "Basic") values.push(...Buffer.from(credential, "base64").toString().split(":"));
    else values.push(credential);
    const echo = values.map((v) => decodeURIComponent(v)).join(" / ");
    return HttpResponse.json(
      { error: "invalid_client", error_description: `rejected ${echo}`, message: `echo ${echo}` },
      { status },
    );
  };
}

describe("secrets never leak from auth errors", () => {
  it("OAuth2: a token endpoint echoing the form and the Basic header", async () => {
    server.use(http.post("*/token", echoingError(400)));
    for (const clientAuth of ["body", "basic"] as const) {
      const p = oauth2ClientCredentials({
        tokenUrl: `${server.url}/token`,
        clientId: "client-x",
        clientSecret: CLIENT_SECRET,
        clientAuth,
      });
      closers.push(() => p.close());
      const err = await p.getAuthHeaders().catch((e: unknown) => e);
      expect((err as Error).message).toContain("rejected");
      expectNoSecrets(err);
      expect(inspect(p, { depth: 8 })).not.toContain(CLIENT_SECRET);
      expect(JSON.stringify(p)).not.toContain(CLIENT_SECRET);
    }
  });

  it("OAuth2: a token endpoint answering 200 with a non-JSON body echoing the secret", async () => {
    server.use(
      http.post("*/token", async ({ request }) => HttpResponse.text(`oops ${await request.text()}`)),
    );
    const p = oauth2ClientCredentials({
      tokenUrl: `${server.url}/token`,
      clientId: "client-y",
      clientSecret: CLIENT_SECRET,
      clientAuth: "body",
    });
    closers.push(() => p.close());
    const err = await p.getAuthHeaders().catch((e: unknown) => e);
    expect((err as Error).message).toContain("oops");
    expectNoSecrets(err);
  });

  it("Azure: an error echoing the client secret", async () => {
    server.use(http.post("*/:tenant/oauth2/v2.0/token", echoingError(401)));
    const p = azureClientSecretCredential({
      tenantId: "tenant-z",
      clientId: "client-z",
      clientSecret: AZURE_SECRET,
      scope: "api://x/.default",
      authorityHost: server.url,
    });
    closers.push(() => p.close());
    expectNoSecrets(await p.getAuthHeaders().catch((e: unknown) => e));
  });

  it("basic auth and PAT: an API echoing the Authorization header", async () => {
    server.use(http.get("*/echo", echoingError(403)));
    for (const credentials of [
      basicAuth("user", PASSWORD),
      (await resolveDatabricksAuth({ host: server.url, token: PAT, env: {}, homeDir: home })).provider,
    ]) {
      const client = new HttpClient({ baseUrl: server.url, service: "api", credentials });
      closers.push(() => client.close());
      const err = await client.json({ path: "/echo" }).catch((e: unknown) => e);
      expect((err as Error).message).toContain("echo");
      expectNoSecrets(err);
    }
  });

  it("Databricks OAuth M2M: an API echoing the fetched access token", async () => {
    server.use(http.get("*/api/2.2/jobs/get", echoingError(500)));
    const auth = await resolveDatabricksAuth({
      host: server.url,
      clientId: "sp",
      clientSecret: CLIENT_SECRET,
      env: {},
      homeDir: home,
    });
    closers.push(async () => auth.provider.close?.());
    const client = new HttpClient({
      baseUrl: auth.host,
      service: "databricks",
      credentials: auth.provider,
      retry: { maxRetries: 0 },
    });
    closers.push(() => client.close());
    const err = await client.json({ path: "/api/2.2/jobs/get" }).catch((e: unknown) => e);
    expect((err as Error).message).toContain("echo");
    expectNoSecrets(err);
  });

  it("Databricks config: errors about a profile holding secrets", async () => {
    const path = join(home, "cfg");
    await writeFile(
      path,
      `[p]\nhost = h.cloud.databricks.com\nclient_secret = ${FILE_SECRET}\n${FILE_SECRET}\n`,
    );
    expectNoSecrets(
      await resolveDatabricksAuth({ configFile: path, profile: "p", env: {}, homeDir: home }).catch(
        (e: unknown) => e,
      ),
    );
    await writeFile(path, `[p]\nhost = h.cloud.databricks.com\nclient_secret = ${FILE_SECRET}\n`);
    const err = await resolveDatabricksAuth({
      configFile: path,
      profile: "p",
      env: { DATABRICKS_TOKEN: PAT, DATABRICKS_AUTH_TYPE: "azure-client-secret" },
      homeDir: home,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toContain("azure-client-secret: ARM_CLIENT_ID");
    expectNoSecrets(err);
  });
});
