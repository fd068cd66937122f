/**
 * HttpClient.readRange: one byte range read over a connection of its own into a sink, every read
 * into one reused buffer. Against real loopback servers (plain node:http for well-behaved answers,
 * raw TCP for hostile ones: lying lengths, bodies cut short or longer than announced, heads that
 * never end, stalls), and over TLS with a test CA.
 */
import { mkdtempSync, rmSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCa } from "@modeltrail/test-utils";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { AbortError, NetworkError, TimeoutError } from "../../src/index.js";
import { HttpClient, SOCKET_RANGE_BUFFER_BYTES } from "../../src/internal.js";

const DATA = Buffer.from(
  Array.from({ length: 3 * SOCKET_RANGE_BUFFER_BYTES + 1234 }, (_, i) => (i * 7 + 3) % 251),
);
const TOKEN = "s3cr3t-T0KEN-value-0123456789";
const closers: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        (server as Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** Answers Range requests for DATA correctly; records each request's headers. */
async function rangeServer(
  answer?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<{ url: string; requests: IncomingMessage["headers"][] }> {
  const requests: IncomingMessage["headers"][] = [];
  const server = createHttpServer((req, res) => {
    requests.push(req.headers);
    if (answer?.(req, res)) return;
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
    if (!m) return void res.end(DATA);
    const [start, end] = [Number(m[1]), Number(m[2])];
    res.writeHead(206, {
      "content-range": `bytes ${start}-${end}/${DATA.length}`,
      "content-length": end - start + 1,
    });
    res.end(DATA.subarray(start, end + 1));
  });
  return { url: `http://127.0.0.1:${await listen(server)}`, requests };
}

/** A raw TCP server: `onRequest` gets the socket once the request head has arrived. */
async function rawServer(onRequest: (socket: Socket, head: string) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (d) => {
      if (head.includes("\r\n\r\n")) return;
      head += d.toString("latin1");
      if (head.includes("\r\n\r\n")) onRequest(socket, head);
    });
  });
  closers.push(() => {
    for (const s of sockets) s.destroy();
  });
  return `http://127.0.0.1:${await listen(server)}`;
}

function client(url: string, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  const http = new HttpClient({ baseUrl: url, service: "store", timeoutMs: 10_000, ...extra });
  closers.push(() => http.close());
  return http;
}

/** A sink that copies what it is given and remembers which ArrayBuffers the chunks were views of. */
function sink(delayMs = 0) {
  const chunks: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  let pending = 0;
  return {
    chunks,
    buffers,
    get pending() {
      return pending;
    },
    bytes: () => Buffer.concat(chunks),
    write: async (chunk: Buffer) => {
      pending++;
      buffers.add(chunk.buffer);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      chunks.push(Buffer.from(chunk));
      pending--;
    },
  };
}

describe("HttpClient.readRange", () => {
  it("reads exactly the range into the sink, every read into one reused buffer, with the client's headers and credentials", async () => {
    const server = await rangeServer();
    const http = client(server.url, {
      credentials: { kind: "test", getAuthHeaders: async () => ({ authorization: `Bearer ${TOKEN}` }) },
      headers: { "x-client": "yes" },
    });
    const s = sink();
    const start = 1000;
    const end = DATA.length - 5;
    const outcome = await http.readRange({
      path: "/files/big.bin",
      query: { v: "1" },
      start,
      end,
      total: DATA.length,
      write: s.write,
      headers: { "if-range": '"e1"' },
    });
    expect(outcome).toEqual({ kind: "done", bytes: end - start + 1 });
    expect(Buffer.compare(s.bytes(), DATA.subarray(start, end + 1))).toBe(0);
    // Many reads, at most two ArrayBuffers: the reused read buffer, and the copy of the head's tail.
    expect(s.chunks.length).toBeGreaterThan(3);
    expect(s.buffers.size).toBeLessThanOrEqual(2);
    const sent = server.requests[0];
    expect(sent?.range).toBe(`bytes=${start}-${end}`);
    expect(sent?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent?.["x-client"]).toBe("yes");
    expect(sent?.["if-range"]).toBe('"e1"');
    expect(sent?.connection).toBe("close");
    expect(sent?.["user-agent"]).toMatch(/modeltrail/);
  });

  it("waits for each write of the sink before reading on", async () => {
    const server = await rangeServer();
    const http = client(server.url);
    const s = sink(2);
    let most = 0;
    const outcome = await http.readRange({
      path: "/f",
      start: 0,
      end: DATA.length - 1,
      write: async (chunk) => {
        await s.write(chunk);
        most = Math.max(most, s.pending + 1);
      },
    });
    expect(outcome.kind).toBe("done");
    expect(most).toBe(1);
    expect(Buffer.compare(s.bytes(), DATA)).toBe(0);
  });

  const CR = `bytes 0-9/${DATA.length}`;
  const declines: Array<[string, (res: ServerResponse) => void]> = [
    ["a 200 (Range ignored)", (r) => r.end(DATA)],
    ["a 404", (r) => r.writeHead(404).end("no")],
    ["a redirect", (r) => r.writeHead(302, { location: "http://elsewhere.example/" }).end()],
    ["a 401", (r) => r.writeHead(401).end()],
    [
      "a chunked 206",
      (r) => {
        r.writeHead(206, { "content-range": CR });
        r.write(DATA.subarray(0, 5));
        r.end(DATA.subarray(5, 10));
      },
    ],
    [
      "another range",
      (r) =>
        r
          .writeHead(206, { "content-range": `bytes 1-10/${DATA.length}`, "content-length": 10 })
          .end(DATA.subarray(1, 11)),
    ],
    [
      "another total",
      (r) =>
        r.writeHead(206, { "content-range": "bytes 0-9/99", "content-length": 10 }).end(DATA.subarray(0, 10)),
    ],
    [
      "a lying content-length",
      (r) => r.writeHead(206, { "content-range": CR, "content-length": 11 }).end(DATA.subarray(0, 11)),
    ],
    [
      "a gzip body",
      (r) =>
        r
          .writeHead(206, { "content-range": CR, "content-length": 10, "content-encoding": "gzip" })
          .end(DATA.subarray(0, 10)),
    ],
  ];
  for (const [what, answer] of declines) {
    it(`declines ${what} before giving the sink a byte`, async () => {
      const server = await rangeServer((_req, res) => {
        answer(res);
        return true;
      });
      const s = sink();
      const outcome = await client(server.url).readRange({
        path: "/f",
        start: 0,
        end: 9,
        total: DATA.length,
        write: s.write,
      });
      expect(outcome.kind).toBe("declined");
      expect(s.chunks).toEqual([]);
    });
  }

  it("declines a head that never ends (over 64 KiB) without reading on", async () => {
    const url = await rawServer((socket) => {
      socket.write("HTTP/1.1 206 Partial Content\r\n");
      const line = `x-junk: ${"a".repeat(1000)}\r\n`;
      for (let i = 0; i < 200; i++) socket.write(line);
    });
    const s = sink();
    const outcome = await client(url).readRange({ path: "/f", start: 0, end: 9, write: s.write });
    expect(outcome).toMatchObject({ kind: "declined", reason: "response head too large" });
    expect(s.chunks).toEqual([]);
  });

  it("declines at once when the client sends through a proxy or the caller's dispatcher", async () => {
    const server = await rangeServer();
    const dispatcher = new Agent();
    closers.push(() => dispatcher.close());
    for (const http of [
      client(server.url, { dispatcher }),
      client(server.url, { proxyUrl: "http://127.0.0.1:9" }),
    ]) {
      const s = sink();
      expect((await http.readRange({ path: "/f", start: 0, end: 9, write: s.write })).kind).toBe("declined");
    }
    expect(server.requests).toEqual([]);
  });

  it("stops at Content-Length when the server sends more", async () => {
    const url = await rawServer((socket) => {
      socket.write(
        `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-9/${DATA.length}\r\ncontent-length: 10\r\n\r\n`,
      );
      socket.write(DATA.subarray(0, 10));
      socket.write(Buffer.alloc(100_000, 1)); // and then some
    });
    const s = sink();
    const outcome = await client(url).readRange({ path: "/f", start: 0, end: 9, write: s.write });
    expect(outcome).toEqual({ kind: "done", bytes: 10 });
    expect(Buffer.compare(s.bytes(), DATA.subarray(0, 10))).toBe(0);
  });

  it("fails a body cut short with NetworkError after writing what arrived, the token nowhere in it", async () => {
    const url = await rawServer((socket) => {
      socket.write(
        `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-999/${DATA.length}\r\ncontent-length: 1000\r\n\r\n`,
      );
      socket.end(DATA.subarray(0, 400));
    });
    const s = sink();
    const http = client(url, {
      credentials: { kind: "test", getAuthHeaders: async () => ({ authorization: `Bearer ${TOKEN}` }) },
    });
    const err = await http
      .readRange({ path: "/f", start: 0, end: 999, write: s.write })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(Buffer.compare(s.bytes(), DATA.subarray(0, 400))).toBe(0);
    const shown = `${(err as Error).message} ${JSON.stringify(err)} ${(err as Error).stack}`;
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain(TOKEN.slice(0, 12));
  });

  it("fails with TimeoutError when the head never comes, and when the body stalls", async () => {
    const silent = await rawServer(() => {});
    const err1 = await client(silent, { timeoutMs: 300 })
      .readRange({ path: "/f", start: 0, end: 9, write: sink().write })
      .catch((e: unknown) => e);
    expect(err1).toBeInstanceOf(TimeoutError);
    const stalling = await rawServer((socket) => {
      socket.write(
        `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-99/${DATA.length}\r\ncontent-length: 100\r\n\r\n`,
      );
      socket.write(DATA.subarray(0, 10));
    });
    const s = sink();
    const err2 = await client(stalling)
      .readRange({ path: "/f", start: 0, end: 99, bodyTimeoutMs: 300, write: s.write })
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(TimeoutError);
    expect(s.bytes().length).toBe(10);
  });

  it("fails with AbortError when aborted, only once no write of the sink is pending", async () => {
    const url = await rawServer((socket) => {
      socket.write(
        `HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-99/${DATA.length}\r\ncontent-length: 100\r\n\r\n`,
      );
      socket.write(DATA.subarray(0, 10));
    });
    const controller = new AbortController();
    let pendingAtSettle = -1;
    const s = sink(200);
    const done = client(url)
      .readRange({
        path: "/f",
        start: 0,
        end: 99,
        signal: controller.signal,
        write: async (chunk) => {
          controller.abort(); // while this write is pending
          await s.write(chunk);
        },
      })
      .catch((e: unknown) => {
        pendingAtSettle = s.pending;
        return e;
      });
    const err = await done;
    expect(err).toBeInstanceOf(AbortError);
    expect(pendingAtSettle).toBe(0);
    expect(s.bytes().length).toBe(10);
  });

  it("throws the sink's error unchanged", async () => {
    const server = await rangeServer();
    const boom = Object.assign(new Error("disk full"), { code: "ENOSPC" });
    const err = await client(server.url)
      .readRange({ path: "/f", start: 0, end: DATA.length - 1, write: async () => Promise.reject(boom) })
      .catch((e: unknown) => e);
    expect(err).toBe(boom);
  });

  it("fails a refused connection with NetworkError", async () => {
    const url = await rawServer(() => {});
    for (const close of closers.splice(0).reverse()) await close(); // nothing listens there any more
    const err = await client(url)
      .readRange({ path: "/f", start: 0, end: 9, write: sink().write })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
  });

  it("reads over TLS with the client's CA", async () => {
    const dir = mkdtempSync(join(tmpdir(), "read-range-tls-"));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const ca = createTestCa(join(dir, "ca"), "read-range-ca");
    const cert = ca.issue({ name: "server", cn: "server", usage: "server", ips: ["127.0.0.1"] });
    const server = createHttpsServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
      const [start, end] = [Number(m?.[1]), Number(m?.[2])];
      res.writeHead(206, {
        "content-range": `bytes ${start}-${end}/${DATA.length}`,
        "content-length": end - start + 1,
      });
      res.end(DATA.subarray(start, end + 1));
    });
    const url = `https://127.0.0.1:${await listen(server)}`;
    const s = sink();
    const outcome = await client(url, { ca: ca.cert }).readRange({
      path: "/f",
      start: 5,
      end: DATA.length - 1,
      write: s.write,
    });
    expect(outcome.kind).toBe("done");
    expect(Buffer.compare(s.bytes(), DATA.subarray(5))).toBe(0);
    // without the CA the server is not trusted
    const err = await client(url)
      .readRange({ path: "/f", start: 0, end: 9, write: sink().write })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
  });
});
