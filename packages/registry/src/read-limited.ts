import type { Readable } from "node:stream";
import { isModelTrailError, NetworkError, ValidationError } from "@modeltrail/core";

/**
 * Reads a whole (small) body, refusing more than `limit` bytes: a declared `Content-Length` above
 * the limit is refused before reading, and an endless body is cut off at the limit.
 * @throws ValidationError naming `what` when the body is larger than `limit`.
 */
export async function readLimited(
  body: Readable,
  limit: number,
  what: string,
  contentLength?: string,
): Promise<Buffer> {
  const tooLarge = (n: string) =>
    new ValidationError(`${what} is ${n} bytes, more than the ${limit}-byte limit`, {
      hint: "The server sent an oversized answer; nothing was kept",
    });
  if (contentLength !== undefined && Number(contentLength) > limit) {
    discardBody(body);
    throw tooLarge(contentLength);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      if (size > limit) {
        discardBody(body);
        throw tooLarge(`at least ${size}`);
      }
      chunks.push(buf);
    }
  } catch (err) {
    throw bodyError(err, what);
  }
  return Buffer.concat(chunks);
}

/** Wraps a failure while reading a response body as a NetworkError (modeltrail errors pass through). */
export function bodyError(err: unknown, what: string): unknown {
  if (isModelTrailError(err)) return err;
  const code = (err as { code?: unknown })?.code;
  return new NetworkError(
    `Reading ${what} failed: ${(err as Error)?.message ?? String(err)}`,
    typeof code === "string" ? code : undefined,
    {
      cause: err,
      hint: "The connection broke while the body was being read; retry",
    },
  );
}

/** Destroys a response body without an unhandled 'error' event (undici emits one on destroy). */
export function discardBody(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}
