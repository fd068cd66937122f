import {
  AbortError,
  ApiError,
  BadRequestError,
  type OAuth2ClientCredentialsOptions,
  oauth2ClientCredentials,
  UnauthorizedError,
  ValidationError,
} from "@modeltrail/core";
import { defaultRefreshWindowMs, HttpClient } from "@modeltrail/core/internal";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formOf } from "./fixtures.js";

let server: MswServer;
let issued = 0;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startMswServer(
    http.post("*/oauth/token", () => {
      issued++;
      return HttpResponse.json({
        access_token: `issued-token-${issued}`,
        token_type: "bearer",
        expires_in: 3600,
      });
    }),
  );
});
afterEach(async () => {
  server.resetHandlers();
  issued = 0;
  for (const close of closers.splice(0)) await close();
});
afterAll(async () => {
  await server.close();
});

function provider(overrides: Partial<OAuth2ClientCredentialsOptions> = {}) {
  const p = oauth2ClientCredentials({
    tokenUrl: `${server.url}/oauth/token`,
    clientId: "my-client",
    clientSecret: "my-client-secret-value",
    retry: { maxRetries: 0 },
    ...overrides,
  });
  closers.push(() => p.close());
  return p;
}

const tokenRequests = () => server.requests.filter((r) => r.path === "/oauth/token");

describe("oauth2ClientCredentials: token request", () => {
  it("POSTs a client_credentials form with Basic client authentication by default", async () => {
    const p = provider({
      scope: "read write",
      audience: "https://api.example",
      extraParams: { resource: "r1" },
    });
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer issued-token-1" });
    const [req] = tokenRequests();
    expect(req?.method).toBe("POST");
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from("my-client:my-client-secret-value").toString("base64")}`,
    );
    expect(formOf(req!.body)).toEqual({
      grant_type: "client_credentials",
      scope: "read write",
      audience: "https://api.example",
      resource: "r1",
    });
  });

  it("form-encodes the id and secret inside the Basic credentials (RFC 6749 2.3.1)", async () => {
    const p = provider({ clientId: "id with space", clientSecret: "s3cr3t+/=&value" });
    await p.getAuthHeaders();
    const basic = tokenRequests()[0]!.headers.authorization!.replace(/^Basic /, "");
    expect(Buffer.from(basic, "base64").toString()).toBe("id+with+space:s3cr3t%2B%2F%3D%26value");
  });

  it("sends client_id and client_secret in the body with clientAuth: body", async () => {
    const p = provider({ clientAuth: "body" });
    await p.getAuthHeaders();
    const [req] = tokenRequests();
    expect(req?.headers.authorization).toBeUndefined();
    expect(formOf(req!.body)).toEqual({
      grant_type: "client_credentials",
      client_id: "my-client",
      client_secret: "my-client-secret-value",
    });
  });

  it("resolves a lazy token URL once", async () => {
    let lookups = 0;
    const p = provider({
      tokenUrl: async () => {
        lookups++;
        return `${server.url}/oauth/token`;
      },
    });
    await p.getAuthHeaders();
    await p.getAuthHeaders({ forceRefresh: true });
    expect(lookups).toBe(1);
    expect(tokenRequests()).toHaveLength(2);
  });
});

describe("oauth2ClientCredentials: caching and refresh", () => {
  it("fetches once for many sequential calls", async () => {
    const p = provider();
    for (let i = 0; i < 5; i++)
      expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer issued-token-1" });
    expect(tokenRequests()).toHaveLength(1);
  });

  it("shares one in-flight request between concurrent callers", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    server.use(
      http.post("*/oauth/token", async () => {
        await gate;
        issued++;
        return HttpResponse.json({ access_token: `gated-token-${issued}`, expires_in: 3600 });
      }),
    );
    const p = provider();
    const pending = Array.from({ length: 10 }, () => p.getAuthHeaders());
    // let the single request reach the server before releasing it
    for (let i = 0; i < 100 && tokenRequests().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    release();
    const results = await Promise.all(pending);
    expect(new Set(results.map((h) => h.authorization))).toEqual(new Set(["Bearer gated-token-1"]));
    expect(tokenRequests()).toHaveLength(1);
  });

  it("refreshes when 10% of a one-hour lifetime is left, not before", async () => {
    let now = 1_700_000_000_000;
    const p = provider({ clock: () => now });
    await p.getAuthHeaders();
    now += (3600 - 361) * 1000;
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer issued-token-1" });
    now += 2000; // 359 s left, inside the 360 s window
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer issued-token-2" });
    expect(tokenRequests()).toHaveLength(2);
  });

  it("uses at least 60 s and at most half the lifetime as refresh window", () => {
    expect(defaultRefreshWindowMs(3_600_000)).toBe(360_000);
    expect(defaultRefreshWindowMs(300_000)).toBe(60_000);
    expect(defaultRefreshWindowMs(100_000)).toBe(50_000);
  });

  it("accepts expires_in as a string (Azure AD v1 answers)", async () => {
    server.use(
      http.post("*/oauth/token", () =>
        HttpResponse.json({ access_token: "string-expiry-token", token_type: "Bearer", expires_in: "100" }),
      ),
    );
    let now = 1_000_000;
    const p = provider({ clock: () => now });
    const token = await p.getToken();
    expect(token.expiresAt).toBe(1_000_000 + 100_000);
    now += 49_000;
    await p.getToken();
    expect(tokenRequests()).toHaveLength(1);
    now += 2_000;
    await p.getToken();
    expect(tokenRequests()).toHaveLength(2);
  });

  it("caches a token without expires_in until forceRefresh", async () => {
    server.use(
      http.post("*/oauth/token", () => HttpResponse.json({ access_token: `no-expiry-${++issued}` })),
    );
    let now = 0;
    const p = provider({ clock: () => now });
    await p.getAuthHeaders();
    now += 86_400_000;
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer no-expiry-1" });
    expect(await p.getAuthHeaders({ forceRefresh: true })).toEqual({ authorization: "Bearer no-expiry-2" });
  });

  it("forceRefresh discards the cached token", async () => {
    const p = provider();
    await p.getAuthHeaders();
    expect(await p.getAuthHeaders({ forceRefresh: true })).toEqual({
      authorization: "Bearer issued-token-2",
    });
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer issued-token-2" });
    p.clearCache();
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer issued-token-3" });
  });

  it("keeps a still-valid token when its early refresh fails, and fails once it has expired", async () => {
    let now = 0;
    const p = provider({ clock: () => now });
    await p.getAuthHeaders();
    server.use(
      http.post("*/oauth/token", () =>
        HttpResponse.json({ error: "temporarily_unavailable" }, { status: 503 }),
      ),
    );
    now += 3500 * 1000; // inside the refresh window, still valid
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer issued-token-1" });
    now += 200 * 1000; // expired
    await expect(p.getAuthHeaders()).rejects.toMatchObject({ status: 503, service: "oauth" });
  });

  it("renews the token after the service answers 401, through HttpClient", async () => {
    server.use(
      http.get("*/api/thing", ({ request }) =>
        request.headers.get("authorization") === "Bearer issued-token-2"
          ? HttpResponse.json({ ok: true })
          : HttpResponse.json({ error: "expired" }, { status: 401 }),
      ),
    );
    const p = provider();
    const client = new HttpClient({ baseUrl: server.url, service: "api", credentials: p });
    closers.push(() => client.close());
    expect(await client.json({ path: "/api/thing" })).toEqual({ ok: true });
    expect(tokenRequests()).toHaveLength(2);
  });
});

describe("oauth2ClientCredentials: errors", () => {
  it("maps 401 invalid_client to UnauthorizedError with service oauth", async () => {
    server.use(
      http.post("*/oauth/token", () =>
        HttpResponse.json(
          { error: "invalid_client", error_description: "Client authentication failed" },
          { status: 401 },
        ),
      ),
    );
    const err = await provider()
      .getAuthHeaders()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err).toMatchObject({
      service: "oauth",
      status: 401,
      serviceCode: "invalid_client",
      code: "UNAUTHORIZED",
    });
    expect((err as Error).message).toContain("Client authentication failed");
    expect((err as Error).message).toContain('client "my-client"');
    expect((err as Error).message).not.toContain("my-client-secret-value");
  });

  it("maps 400 invalid_grant / invalid_client to UnauthorizedError (RFC 6749 5.2 allows 400)", async () => {
    server.use(
      http.post("*/oauth/token", () => HttpResponse.json({ error: "invalid_client" }, { status: 400 })),
    );
    await expect(provider().getAuthHeaders()).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it("maps 400 invalid_scope to BadRequestError carrying the OAuth error", async () => {
    server.use(
      http.post("*/oauth/token", () =>
        HttpResponse.json(
          { error: "invalid_scope", error_description: "scope nope is not valid" },
          { status: 400 },
        ),
      ),
    );
    const err = await provider({ scope: "nope" })
      .getAuthHeaders()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ service: "oauth", serviceCode: "invalid_scope", status: 400 });
    expect((err as Error).message).toContain("scope nope is not valid");
  });

  it("does not retry a rejected token request", async () => {
    server.use(
      http.post("*/oauth/token", () => HttpResponse.json({ error: "invalid_client" }, { status: 401 })),
    );
    await expect(provider({ retry: { maxRetries: 3, baseDelayMs: 1 } }).getAuthHeaders()).rejects.toThrow();
    expect(tokenRequests()).toHaveLength(1);
  });

  it("retries a token POST on 503 (token requests are retry-safe)", async () => {
    let calls = 0;
    server.use(
      http.post("*/oauth/token", () => {
        calls++;
        return calls === 1
          ? HttpResponse.json({ error: "temporarily_unavailable" }, { status: 503 })
          : HttpResponse.json({ access_token: "after-retry-token", expires_in: 60 });
      }),
    );
    const p = provider({ retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    expect(await p.getAuthHeaders()).toEqual({ authorization: "Bearer after-retry-token" });
    expect(calls).toBe(2);
  });

  it("rejects a token response without access_token with a ValidationError", async () => {
    server.use(
      http.post("*/oauth/token", () => HttpResponse.json({ token_type: "Bearer", expires_in: 3600 })),
    );
    await expect(provider().getAuthHeaders()).rejects.toBeInstanceOf(ValidationError);
  });

  it("stops waiting when the caller aborts, without failing the other callers", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    server.use(
      http.post("*/oauth/token", async () => {
        await gate;
        return HttpResponse.json({ access_token: "late-token-xyz", expires_in: 3600 });
      }),
    );
    const p = provider();
    const controller = new AbortController();
    const aborted = p.getAuthHeaders({ signal: controller.signal });
    const patient = p.getAuthHeaders();
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    release();
    expect(await patient).toEqual({ authorization: "Bearer late-token-xyz" });
  });

  it("refuses an empty client secret", () => {
    expect(() =>
      oauth2ClientCredentials({ tokenUrl: "https://x/t", clientId: "a", clientSecret: "" }),
    ).toThrow(/client secret is empty/);
  });
});
