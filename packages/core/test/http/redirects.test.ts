import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { http, HttpResponse as MswResponse } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, bearerToken } from "../../src/index.js";
import { HttpClient } from "../../src/internal.js";

let server: MswServer;
let elsewhere: MswServer;
beforeAll(async () => {
  elsewhere = await startMswServer(http.all("*", () => MswResponse.json({ stolen: true })));
  server = await startMswServer(
    http.all(
      "*/moved",
      () => new MswResponse(null, { status: 307, headers: { location: `${elsewhere.url}/landing?sig=abc` } }),
    ),
  );
});
afterAll(async () => {
  await server.close();
  await elsewhere.close();
});

describe("redirects", () => {
  it("are never followed: the error names where they pointed, and credentials go nowhere else", async () => {
    const token = "tok-redirect-Pq71Zx09";
    const c = new HttpClient({
      baseUrl: server.url,
      service: "svc",
      credentials: bearerToken(token),
      retry: { maxRetries: 0 },
    });
    for (const method of ["GET", "POST"] as const) {
      const err = await c
        .json({ method, path: "/moved", json: method === "POST" ? {} : undefined })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(307);
      expect((err as Error).message).toContain(`redirect to ${elsewhere.url}/landing`);
      expect((err as Error).message).toContain("does not follow redirects");
      expect(JSON.stringify(err)).not.toContain(token);
    }
    expect(elsewhere.requests).toEqual([]);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
    await c.close();
  });
});
