import { createReadStream } from "node:fs";
import { pipeline, type Readable, Transform } from "node:stream";

/**
 * A request-body factory that streams a file (or the byte range `start`-`end` of it) from disk,
 * creating a fresh stream per attempt so that the transport can retry, and reporting bytes read
 * through `onBytes` (bytes counted by an abandoned attempt are reported back as a negative amount).
 * Read buffers are sized to the file (at most 1 MiB) so that small files do not allocate large ones.
 */
export function fileBodyFactory(
  path: string,
  size: number,
  range: { start: number; end: number } | undefined,
  onBytes?: (n: number) => void,
): () => Readable {
  let counted = 0;
  const length = range ? range.end - range.start + 1 : size;
  const highWaterMark = Math.min(1024 * 1024, Math.max(16 * 1024, length));
  return () => {
    if (counted !== 0) onBytes?.(-counted);
    counted = 0;
    const source = createReadStream(path, { ...range, highWaterMark });
    if (!onBytes) return source;
    const counter = new Transform({
      highWaterMark,
      transform(chunk: Buffer, _enc, cb) {
        counted += chunk.length;
        onBytes(chunk.length);
        cb(null, chunk);
      },
    });
    // pipeline forwards a read error (and destroys both) instead of leaving the body hanging
    return pipeline(source, counter, () => {});
  };
}
