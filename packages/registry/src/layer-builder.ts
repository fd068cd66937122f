import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, readdir, readlink, rename, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { PassThrough, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, constants as zlibConstants } from "node:zlib";
import { ModelTrailError, ValidationError } from "@modeltrail/core";
import { abortErrorFor, throwIfAborted } from "@modeltrail/core/internal";
import { MediaType } from "./media-types.js";
import { TAR_END, type TarEntry, tarHeader, tarPadding } from "./tar-writer.js";

/** How layers are compressed. `gzip` uses a pinned level (default 6), recorded in the image. */
export type LayerCompression = "none" | "gzip";

/** The default gzip level of layers. */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * The fixed time of reproducible builds when `SOURCE_DATE_EPOCH` is not set: the Unix epoch
 * (1970-01-01T00:00:00Z), used for every mtime in layers and for the image's `created`.
 */
export const DEFAULT_SOURCE_DATE_EPOCH = 0;

/** Reads `SOURCE_DATE_EPOCH` (seconds). @throws ValidationError when it is not a non-negative integer. */
export function sourceDateEpoch(env: Record<string, string | undefined> = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === "") return DEFAULT_SOURCE_DATE_EPOCH;
  if (!/^\d{1,12}$/.test(raw)) {
    throw new ValidationError(`SOURCE_DATE_EPOCH="${raw}" is not a number of seconds since 1970-01-01`, {
      hint: "Set SOURCE_DATE_EPOCH to a Unix time, e.g. $(git log -1 --format=%ct)",
    });
  }
  return Number(raw);
}

/** One file-system entry of a layer, with where its content comes from. */
interface SourceEntry {
  entry: TarEntry;
  /** The file to read, for regular files. */
  source?: string;
}

/**
 * Lists a directory for a layer, placed under `prefix` inside the image (e.g. `opt/model`):
 * parent directories of the prefix first, then every entry sorted by path (byte order), with
 * normalized modes (directories 0755, files 0644 or 0755 when the owner may execute, symlinks
 * 0777). Symlinks are kept as links.
 * @throws ValidationError naming an entry that cannot go into a layer: a device, socket or FIFO, a
 *   symlink that points outside the directory, or a name with a control character or backslash.
 */
export async function collectLayerEntries(dir: string, prefix: string): Promise<SourceEntry[]> {
  const root = prefix.replace(/^\/+|\/+$/g, "");
  const out: SourceEntry[] = [];
  const parts = root === "" ? [] : root.split("/");
  for (let i = 1; i <= parts.length; i++)
    out.push({ entry: { type: "directory", path: parts.slice(0, i).join("/"), mode: 0o755 } });
  const found: SourceEntry[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = await readdir(abs);
    for (const name of names) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
      if (/[\u0000-\u001f\u007f\\]/.test(name)) {
        throw new ValidationError(
          `Cannot put "${join(abs, name)}" into a layer: its name has a control character or backslash`,
        );
      }
      const childAbs = join(abs, name);
      const childRel = rel === "" ? name : `${rel}/${name}`;
      const inImage = root === "" ? childRel : `${root}/${childRel}`;
      const st = await lstat(childAbs);
      if (st.isDirectory()) {
        found.push({ entry: { type: "directory", path: inImage, mode: 0o755 } });
        await walk(childAbs, childRel);
      } else if (st.isFile()) {
        found.push({
          entry: { type: "file", path: inImage, mode: st.mode & 0o100 ? 0o755 : 0o644, size: st.size },
          source: childAbs,
        });
      } else if (st.isSymbolicLink()) {
        const target = await readlink(childAbs);
        const resolved = posix.normalize(posix.join(posix.dirname(childRel), target));
        if (posix.isAbsolute(target) || resolved === ".." || resolved.startsWith("../")) {
          throw new ValidationError(
            `Cannot put the symlink "${childAbs}" into a layer: it points outside ${dir} (to ${target})`,
            {
              hint: "Copy the file it points to into the directory instead",
            },
          );
        }
        found.push({ entry: { type: "symlink", path: inImage, target } });
      } else {
        throw new ValidationError(`Cannot put "${childAbs}" into a layer: it is a device, socket or FIFO`, {
          hint: "Layers hold directories, regular files and symlinks only",
        });
      }
    }
  };
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory())
    throw new ValidationError(`${dir} is not a directory`, {
      hint: "Pass the directory to put into the image",
    });
  await walk(dir, "");
  const key = (e: SourceEntry) => Buffer.from(e.entry.path, "utf8");
  found.sort((a, b) => Buffer.compare(key(a), key(b)));
  return [...out, ...found];
}

/** A layer written to a file. */
export interface BuiltLayer {
  /** The file holding the (compressed) layer. */
  path: string;
  /** Digest of the file: the layer's descriptor digest. */
  digest: string;
  /** Size of the file in bytes. */
  size: number;
  /** Digest of the uncompressed tar (the config's `rootfs.diff_ids` entry). */
  diffId: string;
  mediaType: string;
  /** `none`, or `gzip;level=<n>`. */
  compression: string;
}

class Tap extends Transform {
  readonly hash = createHash("sha256");
  bytes = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Writes a deterministic layer of `dir` (placed at `prefix` in the image) to a new file in
 * `outDir`: a tar of sorted entries, every mtime `mtime` (seconds), uid/gid 0, no user/group
 * names, normalized modes; compressed with gzip at a pinned level or not at all. The file appears
 * under its final name only when complete.
 * @throws ValidationError for entries that cannot go into a layer, or a file that changed size while
 *   it was read; file-system errors.
 */
export async function buildLayer(
  dir: string,
  prefix: string,
  outDir: string,
  options: {
    mtime: number;
    compression: LayerCompression;
    gzipLevel?: number | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<BuiltLayer> {
  const entries = await collectLayerEntries(dir, prefix);
  const level = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 9)
    throw new ValidationError(`gzipLevel ${level} must be 1 to 9`);
  const temp = join(outDir, `.layer-${randomBytes(6).toString("hex")}.partial`);
  const tarTap = new Tap();
  const fileTap = new Tap();
  async function* tarStream(): AsyncGenerator<Buffer> {
    for (const { entry, source } of entries) {
      throwIfAborted(options.signal, "Building the layer");
      yield tarHeader(entry, options.mtime);
      if (entry.type === "file" && source) {
        let n = 0;
        for await (const chunk of createReadStream(source, { highWaterMark: 1024 * 1024 })) {
          n += (chunk as Buffer).length;
          if (n > entry.size) break;
          yield chunk as Buffer;
        }
        if (n !== entry.size) {
          throw new ValidationError(
            `${source} changed while the layer was written (${entry.size} bytes listed, ${n} read)`,
            {
              hint: "Do not modify the model directory during the build",
            },
          );
        }
        yield tarPadding(entry.size);
      }
    }
    yield TAR_END;
  }
  const stages: NodeJS.ReadWriteStream[] = [tarTap];
  if (options.compression === "gzip")
    stages.push(
      createGzip({ level, memLevel: 8, windowBits: 15, strategy: zlibConstants.Z_DEFAULT_STRATEGY }),
    );
  else stages.push(new PassThrough());
  stages.push(fileTap);
  try {
    await pipeline(
      tarStream,
      ...(stages as [NodeJS.ReadWriteStream]),
      createWriteStream(temp, { flags: "wx" }),
      { signal: options.signal },
    );
    const digest = `sha256:${fileTap.hash.digest("hex")}`;
    const final = join(outDir, digest.slice("sha256:".length));
    await rename(temp, final);
    return {
      path: final,
      digest,
      size: fileTap.bytes,
      diffId: `sha256:${tarTap.hash.digest("hex")}`,
      mediaType: options.compression === "gzip" ? MediaType.OciLayerGzip : MediaType.OciLayer,
      compression: options.compression === "gzip" ? `gzip;level=${level}` : "none",
    };
  } catch (err) {
    await rm(temp, { force: true });
    // pipeline rejects with Node's own AbortError when the signal aborts mid-stream
    if (options.signal?.aborted && !(err instanceof ModelTrailError))
      throw abortErrorFor(options.signal, "Building the layer");
    throw err;
  }
}
