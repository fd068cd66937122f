import { Readable } from "node:stream";
import { inspect } from "node:util";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import fc from "fast-check";
import { http, HttpResponse as MswResponse } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readBodyWithin } from "../../src/http/http-response.js";
import {
  ConfigError,
  isModelTrailError,
  ModelTrailError,
  ResponseTooLargeError,
  ValidationError,
} from "../../src/index.js";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  HttpClient,
  MAX_RESPONSE_BYTES_LIMIT,
  registerSecret,
} from "../../src/internal.js";

let server: MswServer;
beforeAll(async () => {
  server = await startMswServer();
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const clients: HttpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});
function client(extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  const c = new HttpClient({ baseUrl: server.url, service: "svc", retry: { maxRetries: 0 }, ...extra });
  clients.push(c);
  return c;
}

/**
 * A JSON array that never ends (`[0,0,0,...`), sent in 64 KiB chunks, with no Content-Length.
 * `sent.bytes` counts what the server produced; it stops on its own after `maxBytes` (a bound for
 * the test, far above any limit under test), so a client that reads it all is caught, not hung.
 */
function endlessJsonArray(maxBytes = 512 * 1024 ** 2) {
  const sent = { bytes: 0 };
  const chunk = new TextEncoder().encode("0,".repeat(32 * 1024));
  const body = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("["));
      },
      pull(controller) {
        if (sent.bytes >= maxBytes) {
          controller.enqueue(new TextEncoder().encode("0]"));
          controller.close();
          return;
        }
        sent.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    });
  return { sent, body };
}

describe("response bodies read into memory are capped", () => {
  it("refuses an endless JSON body once it passes the cap, without reading the rest", async () => {
    const endless = endlessJsonArray();
    server.use(http.get(`${server.url}/list`, () => new MswResponse(endless.body())));
    const c = client({ maxResponseBytes: 1024 * 1024 });
    const err = await c.json({ path: "/list" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    const e = err as ResponseTooLargeError;
    expect(e.code).toBe("RESPONSE_TOO_LARGE");
    expect(e.limitBytes).toBe(1024 * 1024);
    expect(e.announcedBytes).toBeUndefined();
    expect(e.message).toContain("more than 1048576 bytes (1 MiB)");
    expect(e.message).toContain("maxResponseBytes");
    expect(e.message).toContain(`GET ${server.url}/list`);
    // The client hung up: the server produced a few socket buffers past the cap, not 512 MiB.
    await new Promise((r) => setTimeout(r, 50));
    expect(endless.sent.bytes).toBeLessThan(32 * 1024 ** 2);
  });

  it("refuses a Content-Length over the default cap of 64 MiB before reading the body", async () => {
    let pulled = 0;
    server.use(
      http.get(
        `${server.url}/huge`,
        () =>
          new MswResponse(
            new ReadableStream<Uint8Array>({
              pull(controller) {
                pulled++;
                if (pulled > 1000)
                  controller.close(); // bound for the test
                else controller.enqueue(new Uint8Array(64 * 1024));
              },
            }),
            { headers: { "content-type": "application/json", "content-length": String(600 * 1024 ** 2) } },
          ),
      ),
    );
    const c = client();
    const err = await c.json({ path: "/huge" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    const e = err as ResponseTooLargeError;
    expect(e.limitBytes).toBe(DEFAULT_MAX_RESPONSE_BYTES);
    expect(e.announcedBytes).toBe(600 * 1024 ** 2);
    expect(e.message).toContain("629145600 bytes (600 MiB) (Content-Length)");
    expect(e.message).toContain("67108864 bytes (64 MiB)");
    await new Promise((r) => setTimeout(r, 50));
    expect(pulled).toBeLessThan(500);
  });

  it("accepts a body of exactly the cap and refuses one byte more, with and without Content-Length", async () => {
    const cap = 10_000;
    const json = (n: number) => `"${"x".repeat(n - 2)}"`;
    server.use(
      http.get(`${server.url}/sized/:n/:mode`, ({ params }) => {
        const text = json(Number(params.n));
        if (params.mode === "length")
          return new MswResponse(text, { headers: { "content-length": String(text.length) } });
        return new MswResponse(
          new ReadableStream({
            start(controller) {
              for (let i = 0; i < text.length; i += 999)
                controller.enqueue(new TextEncoder().encode(text.slice(i, i + 999)));
              controller.close();
            },
          }),
        );
      }),
    );
    const c = client({ maxResponseBytes: cap });
    for (const mode of ["length", "chunked"]) {
      expect(await c.json({ path: `/sized/${cap}/${mode}` })).toHaveLength(cap - 2);
      await expect(c.json({ path: `/sized/${cap + 1}/${mode}` })).rejects.toBeInstanceOf(
        ResponseTooLargeError,
      );
    }
  });

  it("takes a per-call maxResponseBytes over the client's, both ways", async () => {
    const body = JSON.stringify({ data: "y".repeat(5000) });
    server.use(http.get(`${server.url}/five`, () => new MswResponse(body)));
    const small = client({ maxResponseBytes: 1000 });
    await expect(small.json({ path: "/five" })).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(await small.json({ path: "/five", maxResponseBytes: 10_000 })).toEqual(JSON.parse(body));
    const big = client();
    const err = await big.json({ path: "/five", maxResponseBytes: 100 }).catch((e: unknown) => e);
    expect((err as ResponseTooLargeError).limitBytes).toBe(100);
  });

  it("caps text(), arrayBuffer() and json() of a raw request() the same way", async () => {
    server.use(http.get(`${server.url}/raw`, () => new MswResponse("z".repeat(2048))));
    const c = client({ maxResponseBytes: 1024 });
    for (const read of ["text", "arrayBuffer", "json"] as const) {
      const res = await c.request({ path: "/raw" });
      await expect(res[read]()).rejects.toBeInstanceOf(ResponseTooLargeError);
    }
    const res = await c.request({ path: "/raw", maxResponseBytes: 4096 });
    expect(await res.text()).toHaveLength(2048);
  });

  it("does not limit a body that is streamed rather than read into memory", async () => {
    server.use(http.get(`${server.url}/stream`, () => new MswResponse(new Uint8Array(300_000))));
    const c = client({ maxResponseBytes: 1024 });
    const res = await c.request({ path: "/stream" });
    let n = 0;
    for await (const chunk of res.body) n += (chunk as Buffer).length;
    expect(n).toBe(300_000);
  });

  it("refuses an unusable maxResponseBytes: ConfigError for the client, ValidationError for a call", async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_RESPONSE_BYTES_LIMIT + 1]) {
      expect(() => client({ maxResponseBytes: bad })).toThrow(ConfigError);
      const err = await client()
        .json({ path: "/never", maxResponseBytes: bad })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path).toBe("maxResponseBytes");
    }
    expect(server.requests).toHaveLength(0);
    expect(() => client({ maxResponseBytes: MAX_RESPONSE_BYTES_LIMIT })).not.toThrow();
  });

  it("keeps secrets in the URL out of the error, its JSON and inspect output", async () => {
    const secret = "cap-secret-Qx81Lm02Pz";
    registerSecret(secret);
    server.use(http.get(`${server.url}/s`, () => new MswResponse("q".repeat(5000))));
    const c = new HttpClient({
      baseUrl: server.url.replace("http://", `http://user:${secret}@`),
      service: "svc",
      maxResponseBytes: 100,
    });
    clients.push(c);
    const err = await c.json({ path: "/s", query: { token: secret } }).catch((e: unknown) => e);
    expect(isModelTrailError(err, "RESPONSE_TOO_LARGE")).toBe(true);
    expect(err).toBeInstanceOf(ModelTrailError);
    for (const text of [(err as Error).message, JSON.stringify(err), inspect(err, { depth: 5 })]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe("readBodyWithin", () => {
  it("returns the body iff it fits, however it is chunked and whatever it announces (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.boolean(),
        async (sizes, cap, announce) => {
          const chunks = sizes.map((n, i) => Buffer.alloc(n, i));
          const total = sizes.reduce((a, b) => a + b, 0);
          const tooLarge: Array<number | undefined> = [];
          const result = await readBodyWithin(Readable.from(chunks), announce ? String(total) : undefined, {
            maxBytes: cap,
            tooLarge: (announced) => {
              tooLarge.push(announced);
              return new Error("too large");
            },
          }).catch(() => undefined);
          if (total <= cap) {
            expect(result).toEqual(Buffer.concat(chunks));
            expect(tooLarge).toEqual([]);
          } else {
            expect(result).toBeUndefined();
            expect(tooLarge).toEqual([announce ? total : undefined]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("dump() of a body that is not wanted", () => {
  it("drains a small body and cuts off an endless one without reading it", async () => {
    let produced = 0;
    server.use(
      http.get(`${server.url}/small`, () => new MswResponse("ok")),
      http.get(
        `${server.url}/endless`,
        () =>
          new MswResponse(
            new ReadableStream<Uint8Array>({
              pull(controller) {
                produced += 64 * 1024;
                if (produced > 1024 ** 3)
                  controller.close(); // bound for the test
                else controller.enqueue(new Uint8Array(64 * 1024));
              },
            }),
          ),
      ),
    );
    const c = client();
    await (await c.request({ path: "/endless" })).dump();
    await new Promise((r) => setTimeout(r, 50));
    expect(produced).toBeLessThan(64 * 1024 ** 2);
    await (await c.request({ path: "/small" })).dump();
    expect(await (await c.request({ path: "/small" })).text()).toBe("ok");
  });
});
