import type { Readable } from "node:stream";
import { ValidationError } from "@modeltrail/core";

/**
 * Splits a byte stream into lines (`\n`-separated, empty lines skipped), for Kubernetes watch
 * streams (one JSON event per line). A line longer than `maxLineBytes` (a server that never ends a
 * line) destroys the stream and throws ValidationError.
 */
export async function* jsonLines(body: Readable, maxLineBytes: number): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  for await (const raw of body) {
    let chunk = typeof raw === "string" ? Buffer.from(raw) : (raw as Buffer);
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      const part = chunk.subarray(0, nl);
      const line = pendingSize === 0 ? part : Buffer.concat([...pending, part]);
      pending = [];
      pendingSize = 0;
      if (line.length > maxLineBytes) {
        body.destroy();
        throw tooLong(maxLineBytes);
      }
      const text = line.toString("utf8").trim();
      if (text !== "") yield text;
      chunk = chunk.subarray(nl + 1);
      nl = chunk.indexOf(10);
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      pendingSize += chunk.length;
      if (pendingSize > maxLineBytes) {
        body.destroy();
        throw tooLong(maxLineBytes);
      }
    }
  }
  const rest = Buffer.concat(pending).toString("utf8").trim();
  if (rest !== "") yield rest;
}

function tooLong(max: number): ValidationError {
  return new ValidationError(`A Kubernetes watch event was longer than ${max} bytes`, {
    hint: "The server (or a proxy) sent an unterminated or oversized event; check the API server URL",
  });
}
