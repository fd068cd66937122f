/**
 * Secrets given as headers (client option `headers`, per-call `headers`) are redacted like the
 * client's own credentials, in every channel (message, toJSON, util.inspect, stack, debug log), when
 * a hostile server echoes them back: whole, straddling the cut of an excerpt, percent-encoded,
 * JSON-escaped.
 */
import { inspect } from "node:util";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpLogEvent, isModelTrailError } from "../../src/index.js";
import { HttpClient } from "../../src/internal.js";

/** Secrets with characters that change when percent-encoded or JSON-escaped. */
const CLIENT_KEY = "ck/live+Key=9f8e7d6c5b4a3921";
const CALL_TOKEN = 'ct"quote\\slash-7c1d2e3f4a5b';
const BEARER = "br-é-unicode-0a1b2c3d4e5f6071";
const API_KEY = "ak<html>&-2b3c4d5e6f708192";
const BASIC_PASSWORD = "bp-basic-pass-39aa48bb57cc";
const SECRETS = [CLIENT_KEY, CALL_TOKEN, BEARER, API_KEY, BASIC_PASSWORD];

/** Every 8-character window of every secret: none may survive, not even half a secret. */
function expectNoFragment(text: string, where: string): void {
  for (const secret of SECRETS) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const fragment = secret.slice(i, i + 8);
      expect(text.includes(fragment), `${where} contains "${fragment}" of a secret`).toBe(false);
    }
  }
}

function channels(err: unknown): Record<string, string> {
  const e = err as Error;
  return {
    message: e.message,
    json: JSON.stringify(e),
    inspect: inspect(e, { depth: 20 }),
    stack: String(e.stack),
    cause: inspect(e.cause, { depth: 20 }),
  };
}

/** What the hostile server echoes: every header value it received, in the form the test asks for. */
function echoed(request: Request): string[] {
  const values: string[] = [];
  for (const name of ["x-api-key", "x-auth-token", "authorization", "api-key"]) {
    const v = request.headers.get(name);
    if (v) values.push(v);
  }
  const basic = request.headers.get("private-token");
  if (basic) values.push(basic);
  const auth = request.headers.get("authorization") ?? "";
  if (auth.startsWith("Basic ")) values.push(Buffer.from(auth.slice(6), "base64").toString("utf8"));
  return values;
}

let server: MswServer;
beforeAll(async () => {
  server = await startMswServer(
    http.get("*/json-error", ({ request }) =>
      HttpResponse.json(
        { error_code: "NOPE", message: `rejected: ${echoed(request).join(" | ")}` },
        { status: 401 },
      ),
    ),
    // plain text; each secret starts 10 characters before the 300-character excerpt ends
    http.get("*/text-error", ({ request }) => {
      const text = echoed(request)
        .map((v) => `${"-".repeat(290)}${v}`)
        .join("\n");
      return new HttpResponse(text, { status: 400, headers: { "content-type": "text/plain" } });
    }),
    // a 200 that is not JSON; the secret straddles the 200-character excerpt (12 characters inside)
    http.get(
      "*/not-json",
      ({ request }) =>
        new HttpResponse(`<html>${"x".repeat(182)}${echoed(request).join(",")}</html>`, { status: 200 }),
    ),
    http.get(
      "*/percent",
      ({ request }) =>
        new HttpResponse(
          echoed(request)
            .map((v) => `k=${encodeURIComponent(v)}&q=${new URLSearchParams({ v }).toString()}`)
            .join(";"),
          {
            status: 403,
          },
        ),
    ),
    // JSON-escaped the way JavaScript, Python (ASCII only) and Go (HTML-safe) write strings
    http.get("*/json-escaped", ({ request }) => {
      const forms = echoed(request).flatMap((v) => {
        const js = JSON.stringify(v);
        return [
          js,
          js.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
          js.replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
        ];
      });
      // not valid JSON as a whole, so the raw text is what an error would quote
      return new HttpResponse(`oops ${forms.join(" ")}`, { status: 502 });
    }),
  );
});
afterAll(() => server.close());

describe("secret header values are redacted everywhere", () => {
  const paths = ["/json-error", "/text-error", "/not-json", "/percent", "/json-escaped"];
  for (const path of paths) {
    it(`${path}: message, toJSON, inspect, stack, cause and debug log stay clean`, async () => {
      const events: HttpLogEvent[] = [];
      const client = new HttpClient({
        baseUrl: server.url,
        service: "svc",
        headers: { "X-Api-Key": CLIENT_KEY },
        retry: { maxRetries: 0 },
        logger: (e) => events.push(e),
      });
      const calls: Array<Record<string, string>> = [
        { "x-auth-token": CALL_TOKEN, authorization: `Bearer ${BEARER}`, "api-key": API_KEY },
        { authorization: `Basic ${Buffer.from(`alice:${BASIC_PASSWORD}`).toString("base64")}` },
      ];
      for (const headers of calls) {
        const err = await client.json({ path, headers }).catch((e: unknown) => e);
        expect(isModelTrailError(err), String(err)).toBe(true);
        // the server did receive the secrets (a client that sent nothing would pass trivially)
        const received = server.requests.at(-1)?.headers ?? {};
        expect(received["x-api-key"]).toBe(CLIENT_KEY);
        for (const [where, text] of Object.entries(channels(err))) expectNoFragment(text, `${path} ${where}`);
      }
      await client.close();
      expect(events.some((e) => e.type === "request")).toBe(true);
      expectNoFragment(JSON.stringify(events), `${path} debug log`);
    });
  }

  it("a server's message is still shown around the redacted secret", async () => {
    const client = new HttpClient({ baseUrl: server.url, service: "svc", retry: { maxRetries: 0 } });
    const err = (await client
      .json({ path: "/json-error", headers: { "x-auth-token": CALL_TOKEN } })
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toContain("NOPE: rejected: [REDACTED]");
    await client.close();
  });
});
