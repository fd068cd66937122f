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

/** Reads a whole stream into a Buffer, stopping with an error past `limit` bytes. */
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

/** Wraps a status, headers and a body stream into an HttpResponse. */
export function createHttpResponse(
  status: number,
  headers: Record<string, string>,
  url: string,
  body: Readable,
  mapError: (err: unknown) => unknown,
): HttpResponse {
  const read = async (): Promise<Buffer> => {
    try {
      return await readBody(body);
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
      body.resume();
      await new Promise<void>((resolve) => {
        if (body.readableEnded || body.destroyed) resolve();
        else {
          body.once("end", resolve);
          body.once("close", resolve);
          body.once("error", () => resolve());
        }
      });
    },
  };
}
