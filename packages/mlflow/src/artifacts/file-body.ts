import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

/**
 * A request-body factory that streams a file (or a byte range of it) from disk, creating a fresh
 * stream per attempt so that the transport can retry, and reporting bytes read through `onBytes`
 * (bytes counted by an abandoned attempt are reported back as a negative amount).
 */
export function fileBodyFactory(
  path: string,
  range: { start: number; end: number } | undefined,
  onBytes?: (n: number) => void,
): () => Readable {
  let counted = 0;
  return () => {
    if (counted !== 0) onBytes?.(-counted);
    counted = 0;
    const source = createReadStream(path, { ...range, highWaterMark: 1024 * 1024 });
    if (!onBytes) return source;
    async function* count(): AsyncGenerator<Buffer> {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        counted += chunk.length;
        onBytes?.(chunk.length);
        yield chunk;
      }
    }
    return Readable.from(count(), { objectMode: false });
  };
}
