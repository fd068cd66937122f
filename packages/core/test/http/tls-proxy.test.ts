import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { createTestCa, type TestCa, type TestCert } from "@modeltrail/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, NetworkError, TimeoutError } from "../../src/index.js";
import { HttpClient } from "../../src/internal.js";

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let client: TestCert;
let strangerClient: TestCert;
let server: HttpsServer;
let serverUrl: string;
let namedServer: HttpsServer;
let namedUrl: string;
const sockets = new Set<Socket>();

function listen(s: Server | HttpServer | HttpsServer): Promise<number> {
  s.on("connection", (c: Socket) => {
    sockets.add(c);
    c.on("close", () => sockets.delete(c));
  });
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));
}

/** Answers with the client certificate's CN (or "anonymous"); `/slow` sends its body in two parts. */
function handler(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) {
  const peer = (req.socket as TLSSocket).getPeerCertificate?.();
  const cn = peer && "subject" in peer && peer.subject ? peer.subject.CN : "anonymous";
  if (req.url === "/slow") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first ");
    setTimeout(() => res.end("second"), 1_500); // undici checks body timeouts about once a second
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ cn, authorized: (req.socket as TLSSocket).authorized }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "modeltrail-tls-"));
  ca = createTestCa(join(dir, "ca"), "test-ca");
  otherCa = createTestCa(join(dir, "other"), "other-ca");
  const serving = ca.issue({ name: "server", cn: "server", usage: "server", ips: ["127.0.0.1"] });
  const named = ca.issue({ name: "named", cn: "named", usage: "server", dns: ["kube.internal"] });
  client = ca.issue({ name: "client", cn: "alice", orgs: ["devs"], usage: "client" });
  strangerClient = otherCa.issue({ name: "stranger", cn: "mallory", usage: "client" });
  server = createHttpsServer(
    { cert: serving.cert, key: serving.key, ca: ca.cert, requestCert: true, rejectUnauthorized: false },
    handler,
  );
  serverUrl = `https://127.0.0.1:${await listen(server)}`;
  namedServer = createHttpsServer({ cert: named.cert, key: named.key }, handler);
  namedUrl = `https://127.0.0.1:${await listen(namedServer)}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([server, namedServer].map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

const noRetry = { maxRetries: 0 };

describe("TLS options", () => {
  it("verifies the server against the given CA and refuses an unknown one", async () => {
    const trusted = new HttpClient({ baseUrl: serverUrl, service: "svc", ca: ca.cert, retry: noRetry });
    expect(await trusted.json({ path: "/" })).toEqual({ cn: "anonymous", authorized: false });
    const wrong = new HttpClient({ baseUrl: serverUrl, service: "svc", ca: otherCa.cert, retry: noRetry });
    await expect(wrong.json({ path: "/" })).rejects.toBeInstanceOf(NetworkError);
    await Promise.all([trusted.close(), wrong.close()]);
  });

  it("presents a client certificate and key", async () => {
    const c = new HttpClient({
      baseUrl: serverUrl,
      service: "svc",
      ca: ca.cert,
      clientCert: client.cert,
      clientKey: client.key,
    });
    expect(await c.json({ path: "/" })).toEqual({ cn: "alice", authorized: true });
    const stranger = new HttpClient({
      baseUrl: serverUrl,
      service: "svc",
      ca: ca.cert,
      clientCert: strangerClient.cert,
      clientKey: strangerClient.key,
    });
    expect(await stranger.json({ path: "/" })).toEqual({ cn: "mallory", authorized: false });
    await Promise.all([c.close(), stranger.close()]);
  });

  it("verifies the certificate against `servername` instead of the URL's host", async () => {
    const plain = new HttpClient({ baseUrl: namedUrl, service: "svc", ca: ca.cert, retry: noRetry });
    const err = await plain.json({ path: "/" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(String((err as Error).message)).toMatch(/kube\.internal|altnames|IP/i);
    const named = new HttpClient({
      baseUrl: namedUrl,
      service: "svc",
      ca: ca.cert,
      servername: "kube.internal",
    });
    expect(await named.json({ path: "/" })).toEqual({ cn: "anonymous", authorized: false });
    const wrongName = new HttpClient({
      baseUrl: namedUrl,
      service: "svc",
      ca: ca.cert,
      servername: "other.internal",
      retry: noRetry,
    });
    await expect(wrongName.json({ path: "/" })).rejects.toBeInstanceOf(NetworkError);
    await Promise.all([plain.close(), named.close(), wrongName.close()]);
  });

  it("skips verification only with insecureTls", async () => {
    const c = new HttpClient({ baseUrl: namedUrl, service: "svc", insecureTls: true });
    expect(await c.json({ path: "/" })).toEqual({ cn: "anonymous", authorized: false });
    await c.close();
  });

  it("refuses a certificate without a key (and a key without a certificate), keeping the key secret", () => {
    expect(() => new HttpClient({ baseUrl: serverUrl, service: "svc", clientCert: client.cert })).toThrow(
      ConfigError,
    );
    const err = (() => {
      try {
        return new HttpClient({ baseUrl: serverUrl, service: "svc", clientKey: client.key });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(JSON.stringify(err)).not.toContain(client.key.split("\n")[1]);
  });
});

describe("bodyTimeoutMs", () => {
  it("defaults to timeoutMs between body chunks, and 0 lets a quiet stream live", async () => {
    const strict = new HttpClient({
      baseUrl: serverUrl,
      service: "svc",
      ca: ca.cert,
      timeoutMs: 100,
      retry: noRetry,
    });
    const res = await strict.request({ path: "/slow" });
    await expect(res.text()).rejects.toBeInstanceOf(TimeoutError);
    const quiet = await strict.request({ path: "/slow", bodyTimeoutMs: 0 });
    expect(await quiet.text()).toBe("first second");
    await strict.close();
  });
});

describe("proxyUrl", () => {
  /** An HTTP CONNECT proxy that counts tunnels and the Proxy-Authorization it was sent. */
  async function startConnectProxy() {
    const seen: Array<{ target: string; auth: string | undefined }> = [];
    const proxy = createHttpServer();
    proxy.on("connect", (req, socket: Socket, head: Buffer) => {
      seen.push({ target: req.url ?? "", auth: req.headers["proxy-authorization"] });
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host, () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
    const port = await listen(proxy);
    return { proxy, port, seen };
  }

  /** A SOCKS5 proxy without authentication that supports CONNECT to an IPv4 address. */
  async function startSocks5Proxy() {
    const seen: string[] = [];
    const proxy = createNetServer((socket) => {
      socket.once("data", (greeting) => {
        if (greeting[0] !== 5) return socket.destroy();
        socket.write(Buffer.from([5, 0]));
        socket.once("data", (req) => {
          if (req[1] !== 1 || req[3] !== 1) return socket.destroy(); // CONNECT, IPv4 only
          const host = `${req[4]}.${req[5]}.${req[6]}.${req[7]}`;
          const port = req.readUInt16BE(8);
          seen.push(`${host}:${port}`);
          const upstream = connect(port, host, () => {
            socket.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
            upstream.pipe(socket);
            socket.pipe(upstream);
          });
          upstream.on("error", () => socket.destroy());
          socket.on("error", () => upstream.destroy());
        });
      });
    });
    const port = await listen(proxy);
    return { proxy, port, seen };
  }

  it("tunnels HTTPS through an http:// proxy with CONNECT, keeping mutual TLS end to end", async () => {
    const { proxy, port, seen } = await startConnectProxy();
    const c = new HttpClient({
      baseUrl: serverUrl,
      service: "svc",
      ca: ca.cert,
      clientCert: client.cert,
      clientKey: client.key,
      proxyUrl: `http://proxyuser:pr0xy-s3cret@127.0.0.1:${port}`,
    });
    expect(await c.json({ path: "/" })).toEqual({ cn: "alice", authorized: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.target).toBe(new URL(serverUrl).host);
    expect(seen[0]?.auth).toBe(`Basic ${Buffer.from("proxyuser:pr0xy-s3cret").toString("base64")}`);
    await c.close();
    proxy.close();
    await once(proxy, "close");
  });

  it("connects through a socks5:// proxy", async () => {
    const { proxy, port, seen } = await startSocks5Proxy();
    const c = new HttpClient({
      baseUrl: serverUrl,
      service: "svc",
      ca: ca.cert,
      proxyUrl: `socks5://127.0.0.1:${port}`,
    });
    expect(await c.json({ path: "/" })).toEqual({ cn: "anonymous", authorized: false });
    expect(seen).toEqual([new URL(serverUrl).host]);
    await c.close();
    proxy.close();
  });

  it("reports an unreachable proxy as a NetworkError without the proxy password", async () => {
    const unused = createNetServer();
    const port = await listen(unused);
    await new Promise((r) => unused.close(r));
    const c = new HttpClient({
      baseUrl: serverUrl,
      service: "svc",
      ca: ca.cert,
      proxyUrl: `http://u:n0t-for-logs@127.0.0.1:${port}`,
      retry: noRetry,
    });
    const err = await c.json({ path: "/" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(JSON.stringify(err)).not.toContain("n0t-for-logs");
    expect(String(err)).not.toContain("n0t-for-logs");
    await c.close();
  });

  it("refuses a malformed or unsupported proxy URL with a ConfigError", () => {
    expect(() => new HttpClient({ baseUrl: serverUrl, service: "svc", proxyUrl: "not a url" })).toThrow(
      ConfigError,
    );
    expect(() => new HttpClient({ baseUrl: serverUrl, service: "svc", proxyUrl: "ftp://proxy:21" })).toThrow(
      /Unsupported svc proxy URL scheme "ftp:"/,
    );
  });
});
