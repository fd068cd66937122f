import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestEvent } from "../../src/index.js";
import { HttpClient } from "../../src/internal.js";

let server: MswServer;
beforeAll(async () => {
  server = await startMswServer();
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function client() {
  return new HttpClient({ baseUrl: server.url, service: "svc", sleep: async () => {}, random: () => 0.5 });
}

describe("CallOptions.onRequest", () => {
  it("is called once per attempt, retries included, with the redacted URL", async () => {
    let calls = 0;
    server.use(
      http.get(`${server.url}/thing`, () =>
        ++calls < 3 ? new HttpResponse("busy", { status: 503 }) : HttpResponse.json({ ok: true }),
      ),
    );
    const events: RequestEvent[] = [];
    const res = await client().get("/thing", {}, { onRequest: (e) => events.push(e) });
    expect(res).toEqual({ ok: true });
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(events[0]).toMatchObject({ service: "svc", method: "GET" });
    expect(events[0]?.url).toContain("/thing");
  });

  it("never sees a secret in the URL, and a throwing observer does not fail the request", async () => {
    server.use(http.get(`${server.url}/q`, () => HttpResponse.json({ ok: true })));
    const urls: string[] = [];
    const c = client();
    await c.request({
      path: "/q",
      query: { access_token: "s3cr3t-token-value-123456" },
      onRequest: (e) => {
        urls.push(e.url);
        throw new Error("observer broke");
      },
    });
    expect(urls).toHaveLength(1);
    expect(urls[0]).not.toContain("s3cr3t-token-value-123456");
  });
});
