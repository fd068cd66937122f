import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { delay, http, HttpResponse as MswResponse } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AbortError,
  type CredentialProvider,
  type HttpLogEvent,
  NetworkError,
  NotFoundError,
  RateLimitError,
  ServerError,
  TimeoutError,
  UnauthorizedError,
  ValidationError,
} from "../../src/index.js";
import { HttpClient } from "../../src/internal.js";

let server: MswServer;
beforeAll(async () => {
  server = await startMswServer();
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** A client whose waits are recorded instead of slept. */
function client(extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const sleeps: number[] = [];
  const c = new HttpClient({
    baseUrl: server.url,
    service: "svc",
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { c, sleeps };
}

function sequence(...responses: Array<() => Response>) {
  let i = 0;
  return () => responses[Math.min(i++, responses.length - 1)]!();
}

describe("retries", () => {
  it("retries an idempotent GET on 503 and succeeds", async () => {
    server.use(
      http.get(
        `${server.url}/thing`,
        sequence(
          () => new MswResponse("busy", { status: 503 }),
          () => new MswResponse("busy", { status: 503 }),
          () => MswResponse.json({ ok: true }),
        ),
      ),
    );
    const { c, sleeps } = client();
    expect(await c.json({ path: "/thing" })).toEqual({ ok: true });
    expect(server.requests.length).toBe(3);
    expect(sleeps).toEqual([125, 250]); // full jitter with random=0.5: 0.5 * 250 * 2^n
  });

  it("stops after maxRetries and throws the last error", async () => {
    server.use(http.get(`${server.url}/down`, () => MswResponse.json({ message: "down" }, { status: 502 })));
    const { c, sleeps } = client({ retry: { maxRetries: 3 } });
    const err = await c.json({ path: "/down" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).status).toBe(502);
    expect(server.requests.length).toBe(4);
    expect(sleeps.length).toBe(3);
  });

  it("honours Retry-After in seconds and as an HTTP date", async () => {
    const date = new Date(Date.now() + 5_000).toUTCString();
    server.use(
      http.get(
        `${server.url}/limited`,
        sequence(
          () => new MswResponse(null, { status: 429, headers: { "retry-after": "3" } }),
          () => new MswResponse(null, { status: 429, headers: { "retry-after": date } }),
          () => MswResponse.json({ ok: 1 }),
        ),
      ),
    );
    const { c, sleeps } = client();
    await c.json({ path: "/limited" });
    expect(sleeps[0]).toBe(3000);
    expect(sleeps[1]).toBeGreaterThan(2000);
    expect(sleeps[1]).toBeLessThanOrEqual(5000);
  });

  it("fails at once when Retry-After exceeds the longest wait allowed", async () => {
    server.use(
      http.get(
        `${server.url}/later`,
        () => new MswResponse(null, { status: 503, headers: { "retry-after": "3600" } }),
      ),
    );
    const { c } = client();
    const err = await c.request({ path: "/later" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(server.requests.length).toBe(1);
  });

  it("does not retry a POST unless it is marked retry-safe", async () => {
    server.use(http.post(`${server.url}/create`, () => new MswResponse(null, { status: 503 })));
    const { c } = client();
    await expect(c.request({ method: "POST", path: "/create", json: { a: 1 } })).rejects.toBeInstanceOf(
      ServerError,
    );
    expect(server.requests.length).toBe(1);
    server.requests.length = 0;
    await expect(
      c.request({
        method: "POST",
        path: "/create",
        json: { a: 1 },
        retrySafe: true,
        retry: { maxRetries: 2 },
      }),
    ).rejects.toBeInstanceOf(ServerError);
    expect(server.requests.length).toBe(3);
    expect(server.requests.every((r) => r.body === '{"a":1}')).toBe(true);
  });

  it("does not retry 4xx other than 408 and 429", async () => {
    server.use(
      http.get(`${server.url}/missing`, () => MswResponse.json({ error_code: "NOPE" }, { status: 404 })),
    );
    const { c } = client();
    const err = (await c.request({ path: "/missing" }).catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe("NOT_FOUND");
    expect(err.serviceCode).toBe("NOPE");
    expect(server.requests.length).toBe(1);
  });

  it("lets a service mapper mark an error retryable", async () => {
    server.use(
      http.get(
        `${server.url}/flaky`,
        sequence(
          () => MswResponse.json({ error_code: "TEMPORARILY_UNAVAILABLE" }, { status: 400 }),
          () => MswResponse.json({ ok: true }),
        ),
      ),
    );
    const { c } = client({
      mapError: (info) =>
        (info.bodyJson as { error_code?: string })?.error_code === "TEMPORARILY_UNAVAILABLE"
          ? { retryable: true }
          : undefined,
    });
    expect(await c.json({ path: "/flaky" })).toEqual({ ok: true });
    expect(server.requests.length).toBe(2);
  });

  it("retries a streaming upload only when the body is a factory", async () => {
    server.use(
      http.put(
        `${server.url}/upload`,
        sequence(
          () => new MswResponse(null, { status: 503 }),
          () => new MswResponse(null, { status: 200 }),
        ),
      ),
    );
    const { c } = client();
    const { Readable } = await import("node:stream");
    await expect(
      c.request({ method: "PUT", path: "/upload", body: Readable.from([Buffer.from("abc")]) }),
    ).rejects.toBeInstanceOf(ServerError);
    server.requests.length = 0;
    const res = await c.request({
      method: "PUT",
      path: "/upload",
      body: () => Readable.from([Buffer.from("abc")]),
    });
    await res.dump();
    expect(server.requests.map((r) => r.body)).toEqual(["abc"]);
  });
});

describe("backoff bounds", () => {
  it("keeps every delay within [0, min(max, base * 2^n)]", async () => {
    server.use(http.get(`${server.url}/always`, () => new MswResponse(null, { status: 500 })));
    for (const r of [0, 0.3, 0.999999]) {
      const { c, sleeps } = client({
        random: () => r,
        retry: { maxRetries: 8, baseDelayMs: 100, maxDelayMs: 3000 },
      });
      await c.request({ path: "/always" }).catch(() => undefined);
      expect(sleeps.length).toBe(8);
      sleeps.forEach((d, n) => {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(3000, 100 * 2 ** n));
      });
    }
  });
});

describe("connection failures", () => {
  let raw: Server;
  let rawUrl: string;
  let hits = 0;
  beforeAll(async () => {
    raw = createServer((req, res) => {
      hits++;
      if (req.url === "/reset" && hits % 2 === 1) {
        req.socket.destroy(); // a reset before any response
        return;
      }
      res.end(JSON.stringify({ hits }));
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => raw.close(() => r())));

  it("retries a GET after a connection reset", async () => {
    hits = 0;
    const c = new HttpClient({ baseUrl: rawUrl, service: "raw", sleep: async () => {} });
    expect(await c.json({ path: "/reset" })).toEqual({ hits: 2 });
    await c.close();
  });

  it("reports a refused connection as NetworkError after retries", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const sleeps: number[] = [];
    const c = new HttpClient({
      baseUrl: `http://127.0.0.1:${port}`,
      service: "gone",
      retry: { maxRetries: 2 },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const err = (await c.request({ path: "/" }).catch((e: unknown) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.causeCode).toBe("ECONNREFUSED");
    expect(err.message).toContain("gone GET");
    expect(sleeps.length).toBe(2);
  });
});

describe("timeouts, deadline and abort", () => {
  it("times out an attempt whose headers do not arrive", async () => {
    server.use(
      http.get(`${server.url}/slow`, async () => {
        await delay(1500);
        return MswResponse.json({});
      }),
    );
    const { c } = client({ retry: { maxRetries: 0 } });
    const err = (await c.request({ path: "/slow", timeoutMs: 100 }).catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe("TIMEOUT");
    expect(err.timeoutMs).toBe(100);
  });

  it("enforces the overall deadline across attempts", async () => {
    server.use(
      http.get(`${server.url}/slow2`, async () => {
        await delay(1500);
        return MswResponse.json({});
      }),
    );
    const c = new HttpClient({ baseUrl: server.url, service: "svc" });
    const err = (await c
      .request({ path: "/slow2", deadlineMs: 150 })
      .catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toContain("deadline");
    await c.close();
  });

  it("throws AbortError when the caller aborts, and does not retry", async () => {
    server.use(
      http.get(`${server.url}/wait`, async () => {
        await delay(1500);
        return MswResponse.json({});
      }),
    );
    const { c } = client();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await c.request({ path: "/wait", signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(server.requests.length).toBe(1);
  });

  it("rejects at once with an already aborted signal", async () => {
    const { c } = client();
    await expect(c.request({ path: "/x", signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(server.requests.length).toBe(0);
  });
});

describe("credentials", () => {
  it("refreshes credentials once after a 401", async () => {
    const calls: boolean[] = [];
    const provider: CredentialProvider = {
      kind: "test",
      getAuthHeaders: async (ctx) => {
        calls.push(ctx?.forceRefresh === true);
        return { authorization: `Bearer ${ctx?.forceRefresh ? "fresh" : "stale"}-token-123` };
      },
    };
    server.use(
      http.get(`${server.url}/me`, ({ request }) =>
        request.headers.get("authorization") === "Bearer fresh-token-123"
          ? MswResponse.json({ me: 1 })
          : new MswResponse(null, { status: 401 }),
      ),
    );
    const { c } = client({ credentials: provider });
    expect(await c.json({ path: "/me" })).toEqual({ me: 1 });
    expect(calls).toEqual([false, true]);
  });

  it("gives up with UnauthorizedError when refreshed credentials are still rejected", async () => {
    const provider: CredentialProvider = {
      kind: "test",
      getAuthHeaders: async () => ({ authorization: "Bearer x" }),
    };
    server.use(http.get(`${server.url}/me`, () => new MswResponse(null, { status: 401 })));
    const { c } = client({ credentials: provider });
    const err = (await c.request({ path: "/me" }).catch((e: unknown) => e)) as UnauthorizedError;
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err.message).toContain("credentials");
    expect(server.requests.length).toBe(2);
  });

  it("never sends credentials to another origin", async () => {
    const other = await startMswServer(http.get("*/x", () => MswResponse.json({})));
    const provider: CredentialProvider = {
      kind: "test",
      getAuthHeaders: async () => ({ authorization: "Bearer secret" }),
    };
    const { c } = client({ credentials: provider });
    await c.json({ path: `${other.url}/x` });
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    await other.close();
  });
});

describe("responses", () => {
  it("keeps a base URL path prefix and encodes the query", async () => {
    server.use(
      http.get(`${server.url}/prefix/api/items`, ({ request }) => MswResponse.json({ q: request.url })),
    );
    const c = new HttpClient({ baseUrl: `${server.url}/prefix/`, service: "svc" });
    const out = await c.json<{ q: string }>({
      path: "/api/items",
      query: { a: "x y", b: [1, 2], c: undefined },
    });
    expect(new URL(out.q).search).toBe("?a=x+y&b=1&b=2");
    await c.close();
  });

  it("sends a user agent naming modeltrail", async () => {
    server.use(
      http.get(`${server.url}/ua`, ({ request }) =>
        MswResponse.json({ ua: request.headers.get("user-agent") }),
      ),
    );
    const { c } = client({ userAgent: "my-tool/1.0" });
    const { ua } = await c.json<{ ua: string }>({ path: "/ua" });
    expect(ua).toMatch(/^modeltrail\/\d+\.\d+\.\d+ node\/\S+ \(.+\) my-tool\/1\.0$/);
  });

  it("rejects malformed JSON with a ValidationError", async () => {
    server.use(http.get(`${server.url}/bad`, () => new MswResponse("<html>login</html>", { status: 200 })));
    const { c } = client();
    const err = await c.json({ path: "/bad" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain("not valid JSON");
  });

  it("validates a response against a schema and names the bad field", async () => {
    server.use(http.get(`${server.url}/shape`, () => MswResponse.json({ run: { id: 5 } })));
    const { c } = client();
    const schema = z.object({ run: z.object({ id: z.string() }) });
    const err = (await c.json({ path: "/shape", schema }).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues[0]?.path).toBe("run.id");
  });

  it("returns error statuses listed in okStatuses", async () => {
    server.use(http.get(`${server.url}/maybe`, () => new MswResponse("no", { status: 404 })));
    const { c } = client();
    const res = await c.request({ path: "/maybe", okStatuses: [404] });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("no");
  });

  it("captures request id and retry-after on errors", async () => {
    server.use(
      http.get(
        `${server.url}/rl`,
        () =>
          new MswResponse(JSON.stringify({ message: "slow down" }), {
            status: 429,
            headers: { "x-request-id": "req-42", "retry-after": "1", "content-type": "application/json" },
          }),
      ),
    );
    const { c } = client({ retry: { maxRetries: 0 } });
    const err = (await c.request({ path: "/rl" }).catch((e: unknown) => e)) as RateLimitError;
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.requestId).toBe("req-42");
    expect(err.retryAfterSeconds).toBe(1);
    expect(err.message).toContain("slow down");
    expect(err.message).toContain("req-42");
  });
});

describe("redaction", () => {
  const SECRET_TOKEN = "tok_Zq8K1vP0xW3mN7bL";
  const SECRET_PASS = "pw-Hx93kQ0zLmV2";
  const SECRET_QUERY = "qs-Ab12Cd34Ef56";

  it("keeps planted secrets out of messages, JSON, inspect output and logs", async () => {
    server.use(
      http.get(`${server.url}/secret`, () =>
        MswResponse.json(
          { message: `invalid token Bearer ${SECRET_TOKEN} for user`, access_token: SECRET_TOKEN },
          { status: 403 },
        ),
      ),
    );
    const logs: HttpLogEvent[] = [];
    const provider: CredentialProvider = {
      kind: "test",
      getAuthHeaders: async () => ({ authorization: `Bearer ${SECRET_TOKEN}` }),
    };
    const base = server.url.replace("http://", `http://admin:${SECRET_PASS}@`);
    const c = new HttpClient({
      baseUrl: base,
      service: "svc",
      credentials: provider,
      logger: (e) => logs.push(e),
    });
    const err = await c.request({ path: "/secret", query: { token: SECRET_QUERY } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const texts = [
      (err as Error).message,
      JSON.stringify(err),
      inspect(err, { depth: 10 }),
      String((err as Error).stack),
      JSON.stringify(logs),
    ];
    for (const text of texts) {
      expect(text).not.toContain(SECRET_TOKEN);
      expect(text).not.toContain(SECRET_PASS);
      expect(text).not.toContain(SECRET_QUERY);
    }
    expect((err as Error).message).toContain("[REDACTED]");
    expect(logs.some((l) => l.type === "request" && l.headers?.authorization === "[REDACTED]")).toBe(true);
    await c.close();
  });

  it("redacts secrets from a network error's cause", async () => {
    const c = new HttpClient({
      baseUrl: `http://user:${SECRET_PASS}@127.0.0.1:9`,
      service: "svc",
      retry: { maxRetries: 0 },
    });
    const err = await c.request({ path: "/" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(inspect(err, { depth: 10 })).not.toContain(SECRET_PASS);
    expect(JSON.stringify(err)).not.toContain(SECRET_PASS);
  });
});
