import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Unzip, UnzipInflate } from "fflate";
import { canonicalSkopsSchema, isSkopsSchema } from "./skops-schema.js";

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** The largest `schema.json` read to recognise a skops archive. */
const MAX_SCHEMA_BYTES = 16 * 1024 * 1024;

/** A content digest of an archive, and whether it was read as a skops model. */
export interface ZipContentDigest {
  digest: string;
  kind: "zip" | "skops";
}

/** True when the file starts with a ZIP local file header (`PK\3\4`). */
export async function isZipFile(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return bytesRead === 4 && ZIP_MAGIC.every((b, i) => buf[i] === b);
  } finally {
    await fh.close();
  }
}

/**
 * The sha256 of a ZIP archive's content, independent of how it was packed: every entry's name and
 * the sha256 of its uncompressed bytes, sorted by name, hashed together. Two archives holding the
 * same files compare equal even when their timestamps, order or compression differ (MLflow's
 * `skops` model files are ZIP archives stamped with the time they were written). A skops archive
 * (MLflow 3's scikit-learn format) is read in its canonical form (see `canonicalSkopsSchema`): its
 * file names and object ids are memory addresses. Streams the file: memory stays bounded by one
 * chunk (plus a skops `schema.json`, at most 16 MiB). Resolves `undefined` for an archive it cannot
 * read (an unsupported compression method, a truncated file), so the caller falls back to the bytes.
 */
export function zipContentDigest(path: string): Promise<ZipContentDigest | undefined> {
  return new Promise((resolve) => {
    const entries: Array<{ name: string; hash: Hash; done: boolean; hex?: string }> = [];
    const schemaChunks: Uint8Array[] = [];
    let schemaBytes = 0;
    let failed = false;
    const unzip = new Unzip((file) => {
      const entry = { name: file.name, hash: createHash("sha256"), done: false };
      entries.push(entry);
      file.ondata = (err, chunk, final) => {
        if (err) {
          failed = true;
          return;
        }
        entry.hash.update(chunk);
        if (file.name === "schema.json" && schemaBytes <= MAX_SCHEMA_BYTES) {
          schemaChunks.push(chunk);
          schemaBytes += chunk.length;
        }
        if (final) entry.done = true;
      };
      try {
        file.start();
      } catch {
        failed = true;
      }
    });
    unzip.register(UnzipInflate);
    const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
    stream.on("data", (chunk) => {
      if (failed) return;
      try {
        unzip.push(chunk as Buffer, false);
      } catch {
        failed = true;
        stream.destroy();
        resolve(undefined);
      }
    });
    stream.on("error", () => resolve(undefined));
    stream.on("end", () => {
      try {
        if (!failed) unzip.push(new Uint8Array(0), true);
      } catch {
        failed = true;
      }
      if (failed || entries.length === 0 || entries.some((e) => !e.done && !e.name.endsWith("/"))) {
        resolve(undefined);
        return;
      }
      for (const e of entries) e.hex = e.hash.digest("hex");
      const outer = createHash("sha256");
      const schema = skopsSchema(schemaChunks, schemaBytes);
      if (schema) {
        // names are memory addresses: the canonical schema, then the entries' digests without names
        const digests = new Map(entries.map((e) => [e.name, e.hex as string]));
        outer.update(`${canonicalSkopsSchema(schema, digests)}\n`);
        for (const hex of entries
          .filter((e) => e.name !== "schema.json")
          .map((e) => e.hex)
          .sort())
          outer.update(`${hex}\n`);
        resolve({ digest: `sha256:${outer.digest("hex")}`, kind: "skops" });
        return;
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
        outer.update(`${e.name}\0${e.hex}\n`);
      resolve({ digest: `sha256:${outer.digest("hex")}`, kind: "zip" });
    });
  });
}

function skopsSchema(chunks: Uint8Array[], bytes: number): Record<string, unknown> | undefined {
  if (chunks.length === 0 || bytes > MAX_SCHEMA_BYTES) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return isSkopsSchema(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
