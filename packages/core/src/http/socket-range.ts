import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";

/** Size of the one read buffer a range connection reuses for every read. */
export const SOCKET_RANGE_BUFFER_BYTES = 256 * 1024;

/** Longest response head (status line and headers) read before the range is declined. */
const MAX_HEAD_BYTES = 64 * 1024;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const BAD_VALUE = /[\u0000\r\n]/;

/** One byte range of a GET, read over a connection of its own into a sink. */
export interface SocketRangeRequest {
  /** Absolute http(s) URL (path and query are sent as they are). */
  url: URL;
  /** Request headers (lowercase names) besides host, range and connection. */
  headers: Record<string, string>;
  /** First byte of the range. */
  start: number;
  /** Last byte of the range (inclusive). */
  end: number;
  /** Size of the whole resource; the Content-Range total must equal it when given. */
  total?: number | undefined;
  /** TLS options of an https URL (CA, client certificate, verification, server name). */
  tls?: Record<string, unknown> | undefined;
  /** Longest wait for the connection and the response head, in ms. */
  headersTimeoutMs: number;
  /** Longest wait between two reads of the body (not counting the sink's writes), in ms; 0: none. */
  bodyTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * Takes the next bytes of the body. `chunk` is a view of the reused read buffer: it is valid until
   * the returned promise settles, and nothing more is read until then (the socket is paused).
   */
  write: (chunk: Buffer) => Promise<void>;
}

/** What became of a range: read whole, or declined before any byte of the body was given to the sink. */
export type SocketRangeOutcome =
  | { kind: "done"; bytes: number }
  | { kind: "declined"; status: number | undefined; reason: string };

/** An error of the sink, passed through unchanged by `readRangeOverSocket`. */
export class SinkError extends Error {
  constructor(readonly error: unknown) {
    super("the sink failed");
  }
}

/** A low-level failure with a code, like undici's (`UND_ERR_HEADERS_TIMEOUT`, ...). */
function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Why headers cannot be written as they are, or undefined. */
function badHeaders(headers: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (!TOKEN.test(k) || BAD_VALUE.test(String(v)))
      return `header ${JSON.stringify(k)} cannot be sent as is`;
  }
  return undefined;
}

/** Parses a response head; undefined when it is not HTTP/1.x. */
function parseHead(text: string): { status: number; headers: Map<string, string[]> } | undefined {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? "");
  if (!m) return undefined;
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0 || line.startsWith(" ") || line.startsWith("\t")) return undefined; // obs-fold, junk
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  return { status: Number(m[1]), headers };
}

/** Why a 206 head does not announce exactly the range asked for, or undefined when it does. */
function headProblem(
  head: { status: number; headers: Map<string, string[]> },
  req: SocketRangeRequest,
): string | undefined {
  if (head.status !== 206) return `status ${head.status}`;
  const one = (name: string): string | undefined => {
    const values = head.headers.get(name);
    return values === undefined || new Set(values).size !== 1 ? undefined : values[0];
  };
  if (head.headers.has("transfer-encoding")) return "transfer-encoding";
  const encoding = one("content-encoding");
  if (head.headers.has("content-encoding") && encoding?.toLowerCase() !== "identity")
    return "content-encoding";
  const length = one("content-length");
  if (length === undefined || !/^\d+$/.test(length) || Number(length) !== req.end - req.start + 1)
    return "content-length";
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(one("content-range") ?? "");
  if (!range || Number(range[1]) !== req.start || Number(range[2]) !== req.end) return "content-range";
  if (req.total !== undefined && range[3] !== String(req.total)) return "content-range total";
  return undefined;
}

/**
 * Reads bytes `start`..`end` of a GET over a new connection (`connection: close`) whose reads all go
 * into one reused buffer of SOCKET_RANGE_BUFFER_BYTES: no buffer is allocated per read, so memory
 * neither grows with the bytes read nor leaves garbage behind for the collector, and reading waits
 * for each write of the sink (back-pressure). Only a plain answer is read: HTTP/1.x 206 with exactly
 * the range asked for in Content-Range (and the expected total), a matching Content-Length, no
 * transfer or content encoding. Anything else (another status, a redirect, a head over 64 KiB) is
 * declined before the sink sees a byte, so that the caller asks again through HttpClient.request,
 * which maps it. Bytes past Content-Length are ignored. Rejects with a SinkError wrapping the sink's
 * error, an error with code UND_ERR_HEADERS_TIMEOUT / UND_ERR_BODY_TIMEOUT, the signal's reason, or
 * the connection's error (also for a body that ends early); never while a write of the sink is
 * pending.
 */
export function readRangeOverSocket(req: SocketRangeRequest): Promise<SocketRangeOutcome> {
  const problem = badHeaders(req.headers);
  if (problem !== undefined) return Promise.resolve({ kind: "declined", status: undefined, reason: problem });
  if (req.signal?.aborted) return Promise.reject(req.signal.reason);
  const { url } = req;
  const want = req.end - req.start + 1;
  return new Promise<SocketRangeOutcome>((resolve, reject) => {
    const buffer = Buffer.allocUnsafe(SOCKET_RANGE_BUFFER_BYTES);
    let head: Buffer | undefined = Buffer.alloc(0);
    let written = 0;
    let writing = false;
    let settled = false;
    let pendingError: unknown;
    let timer: NodeJS.Timeout | undefined;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));

    const settle = (error: unknown, outcome?: SocketRangeOutcome): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (outcome !== undefined) resolve(outcome);
      else reject(error);
    };
    /** Fails now, or once the pending write settles (the sink's buffer must not be reused or closed under it). */
    const fail = (error: unknown): void => {
      if (settled) return;
      if (writing) {
        pendingError ??= error;
        socket.destroy();
        return;
      }
      settle(error);
    };
    const arm = (ms: number, code: string, what: string): void => {
      if (timer) clearTimeout(timer);
      timer = ms > 0 ? setTimeout(() => fail(codeError(`${what} after ${ms} ms`, code)), ms) : undefined;
    };
    const onAbort = (): void => fail(req.signal?.reason);

    const take = (body: Buffer): boolean => {
      const part = body.length > want - written ? body.subarray(0, want - written) : body;
      if (part.length === 0) return true;
      writing = true;
      if (timer) clearTimeout(timer); // a slow disk is not a silent server
      req.write(part).then(
        () => {
          writing = false;
          written += part.length;
          if (pendingError !== undefined) settle(pendingError);
          else if (written === want) settle(undefined, { kind: "done", bytes: written });
          else if (!settled) {
            arm(req.bodyTimeoutMs, "UND_ERR_BODY_TIMEOUT", "no data from the server");
            if (socket.destroyed)
              settle(codeError("the connection closed before the end of the range", "UND_ERR_SOCKET"));
            else socket.resume();
          }
        },
        (error: unknown) => {
          writing = false;
          settle(new SinkError(error));
        },
      );
      return false; // paused until the sink has written this
    };

    const onread = {
      buffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        if (settled || pendingError !== undefined) return false;
        const data = (buf as Buffer).subarray(0, n);
        if (head === undefined) {
          arm(req.bodyTimeoutMs, "UND_ERR_BODY_TIMEOUT", "no data from the server");
          return take(data);
        }
        head = Buffer.concat([head, data]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (head.length > MAX_HEAD_BYTES) {
            settle(undefined, { kind: "declined", status: undefined, reason: "response head too large" });
            return false;
          }
          return true;
        }
        const parsed = parseHead(head.subarray(0, end).toString("latin1"));
        const why = parsed === undefined ? "not an HTTP/1.x response" : headProblem(parsed, req);
        if (why !== undefined) {
          settle(undefined, { kind: "declined", status: parsed?.status, reason: why });
          return false;
        }
        const rest = head.subarray(end + 4);
        head = undefined;
        arm(req.bodyTimeoutMs, "UND_ERR_BODY_TIMEOUT", "no data from the server");
        return take(rest);
      },
    };

    const socket: Socket =
      url.protocol === "https:"
        ? // Node's tls.connect takes `onread` like net.connect (its type declarations omit it)
          tlsConnect({
            host,
            port,
            ALPNProtocols: ["http/1.1"],
            ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
            ...req.tls,
            onread,
          } as ConnectionOptions)
        : netConnect({ host, port, onread });
    arm(req.headersTimeoutMs, "UND_ERR_HEADERS_TIMEOUT", "no response head from the server");
    req.signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("error", (error) => fail(error));
    socket.on("close", () => {
      if (!writing) fail(codeError("the connection closed before the end of the range", "UND_ERR_SOCKET"));
    });
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === "host" || k === "range" || k === "connection") continue;
      lines.push(`${k}: ${v}`);
    }
    lines.push(`range: bytes=${req.start}-${req.end}`, "connection: close", "", "");
    socket.write(lines.join("\r\n"));
  });
}
