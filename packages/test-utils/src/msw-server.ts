import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { getResponse, type RequestHandler } from "msw";

/** A loopback HTTP server answering with msw handlers. */
export interface MswServer {
  /** Base URL, e.g. `http://127.0.0.1:43117`. */
  url: string;
  /** Replaces the handlers for the following requests (prepends, like `server.use`). */
  use(...handlers: RequestHandler[]): void;
  /** Drops handlers added with `use`, restoring the initial ones. */
  resetHandlers(): void;
  /** Every request received so far (method, URL path+query, headers, body text). */
  requests: RecordedRequest[];
  /** Stops the server and destroys open sockets. */
  close(): Promise<void>;
}

/** A request seen by the fake server. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Serves msw handlers on a real 127.0.0.1 port, so that clients with their own undici Agent reach
 * them over real sockets (in-process interception misses such clients). A handler whose response
 * body stream errors makes the server destroy the socket mid-body, simulating a dropped connection.
 * Unhandled requests get a 599 with a message naming the request, so a test fails loudly.
 */
export async function startMswServer(...initial: RequestHandler[]): Promise<MswServer> {
  let extra: RequestHandler[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end(`msw-server handler crashed: ${String(err)}`);
      } else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    requests.push({
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers,
      body: body.toString("utf8"),
    });
    // The request target is a path: "//x" is the path //x, not a scheme-relative URL to host x.
    const url = new URL(`${base}${req.url ?? "/"}`);
    const hasBody = req.method !== "GET" && req.method !== "HEAD" && body.length > 0;
    const request = new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });
    const response = await getResponse([...extra, ...initial], request);
    if (!response) {
      res.statusCode = 599;
      res.end(`no msw handler for ${req.method} ${req.url}`);
      return;
    }
    res.statusCode = response.status;
    response.headers.forEach((value, key) => {
      res.setHeader(key, value);
    });
    if (!response.body) {
      res.end();
      return;
    }
    const stream = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
    stream.on("error", () => res.destroy());
    stream.pipe(res);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    requests,
    use: (...h) => {
      extra = [...h, ...extra];
    },
    resetHandlers: () => {
      extra = [];
      requests.length = 0;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
