import type { Readable } from "node:stream";
import type { HttpResponse } from "./types.js";

/** Lowercases header names and joins repeated headers with ", ". */
export function normalizeHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

/** Reads a stream into a Buffer, keeping at most `limit` bytes: the rest is cut off (for error bodies, which are informative only). */
export async function readBody(body: Readable, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      body.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** How a response body read into memory is bounded, and the error that refuses a larger one. */
export interface BodyLimit {
  /** Most bytes read into memory. */
  maxBytes: number;
  /** The error for a body over the limit; `announced` is its Content-Length when it sent one. */
  tooLarge: (announced: number | undefined) => unknown;
}

/**
 * Reads a whole body into one Buffer within `limit`: a Content-Length over the limit is refused
 * before anything is read, and a body without one is refused as soon as the bytes read pass the
 * limit. The stream is destroyed when refused, so nothing more is buffered.
 */
export async function readBodyWithin(
  body: Readable,
  contentLength: string | undefined,
  limit: BodyLimit,
): Promise<Buffer> {
  const announced =
    contentLength !== undefined && /^\s*\d+\s*$/.test(contentLength) ? Number(contentLength) : undefined;
  if (announced !== undefined && announced > limit.maxBytes) {
    discard(body);
    throw limit.tooLarge(announced);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit.maxBytes) {
      discard(body);
      throw limit.tooLarge(undefined);
    }
    chunks.push(buf);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/** Most bytes `dump()` reads to keep a connection reusable; past it the connection is closed. */
const DUMP_MAX_BYTES = 256 * 1024;

/** Destroys a body that will not be read; the error a destroyed undici body emits is expected. */
function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}

/**
 * Wraps a status, headers and a body stream into an HttpResponse. `json()`, `text()` and
 * `arrayBuffer()` read the body within `limit`; `mapError` turns stream errors into modeltrail errors.
 */
export function createHttpResponse(
  status: number,
  headers: Record<string, string>,
  url: string,
  body: Readable,
  mapError: (err: unknown) => unknown,
  limit: BodyLimit,
): HttpResponse {
  const read = async (): Promise<Buffer> => {
    try {
      return await readBodyWithin(body, headers["content-length"], limit);
    } catch (err) {
      throw mapError(err);
    }
  };
  return {
    status,
    headers,
    url,
    body,
    json: async <T>() => {
      const text = (await read()).toString("utf8");
      return (text.length === 0 ? undefined : JSON.parse(text)) as T;
    },
    text: async () => (await read()).toString("utf8"),
    arrayBuffer: async () => {
      const buf = await read();
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    },
    dump: async () => {
      // Small bodies are drained so that the connection can be reused; a longer (or endless) one
      // is cut off by closing the connection instead of being read.
      const length = Number(headers["content-length"]);
      if (body.readableEnded || body.destroyed) return;
      if (length > DUMP_MAX_BYTES) {
        discard(body);
        return;
      }
      let drained = 0;
      await new Promise<void>((resolve) => {
        body.on("data", (chunk: Buffer) => {
          drained += chunk.length;
          if (drained > DUMP_MAX_BYTES) {
            discard(body);
            resolve();
          }
        });
        body.once("end", resolve);
        body.once("close", resolve);
        body.once("error", () => resolve());
      });
    },
  };
}
