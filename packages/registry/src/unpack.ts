import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, link, lstat, mkdir, readdir, rename, rm, symlink } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { type CallOptions, ModelTrailError, ValidationError } from "@modeltrail/core";
import { abortErrorFor, throwIfAborted } from "@modeltrail/core/internal";
import { Parser, type ReadEntry } from "tar";
import type { ImageSource } from "./image-store.js";
import type { Descriptor } from "./manifest-schemas.js";
import { LAYER_COMPRESSION } from "./media-types.js";

/** Options of {@link unpackImage}. */
export interface UnpackOptions extends CallOptions {
  /** Replace an existing, non-empty target directory (default false: refuse). */
  overwrite?: boolean | undefined;
}

/** What unpacking wrote. */
export interface UnpackResult {
  /** The target directory. */
  dir: string;
  /** Layers applied, in order. */
  layers: number;
  /** Entries written (files, directories, links), whiteouts applied. */
  entries: number;
  whiteouts: number;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

function refuse(layer: Descriptor, entryPath: string, why: string): ValidationError {
  return new ValidationError(`Refusing layer ${layer.digest}: entry "${entryPath}" ${why}`, {
    issues: [{ path: entryPath, message: why }],
    hint: "The image holds an entry that would land outside the target or is not a file, directory or link; nothing was written",
  });
}

/** Normalizes an entry path to a relative path inside the root, or throws naming the entry. */
function safeRelative(layer: Descriptor, raw: string): string {
  if (raw.includes("\0")) throw refuse(layer, raw, "has a NUL character");
  if (raw.startsWith("/")) throw refuse(layer, raw, "is an absolute path");
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw refuse(layer, raw, 'has a ".." component');
  return parts.join("/");
}

/**
 * Unpacks an image into a directory, as a local deploy target needs it: the layers in order, with
 * whiteouts (`.wh.<name>` deletes, `.wh..wh..opq` empties a directory of lower layers). Every entry
 * that would land outside the target is refused with an error naming it: absolute paths, `..`
 * components, entries below a symlink, symlinks whose target leaves the tree (absolute ones too),
 * hard links to anything outside or not a regular file, devices and FIFOs. The tree is built in a
 * temporary directory beside the target and renamed into place only when every layer applied: a
 * refused image leaves no partial tree. Modes keep their permission bits (no setuid/setgid/sticky);
 * owners are not applied.
 *
 * @throws ValidationError (a refused entry, a digest mismatch, zstd layers, a non-empty target),
 *   file-system errors, and what reading the layers throws.
 */
export async function unpackImage(
  source: ImageSource,
  targetDir: string,
  options: UnpackOptions = {},
): Promise<UnpackResult> {
  const existing = await lstat(targetDir).catch(() => undefined);
  if (existing && !options.overwrite) {
    const empty = existing.isDirectory() && (await readdir(targetDir)).length === 0;
    if (!empty)
      throw new ValidationError(`${targetDir} exists and is not empty`, {
        hint: "Unpack into a new directory, or pass overwrite: true",
      });
  }
  const temp = join(dirname(targetDir), `.${basename(targetDir)}.${randomBytes(6).toString("hex")}.partial`);
  await mkdir(temp, { recursive: false });
  const result: UnpackResult = { dir: targetDir, layers: 0, entries: 0, whiteouts: 0 };
  try {
    for (const layer of source.manifest.layers) {
      throwIfAborted(options.signal, "Unpacking the image");
      const compression = LAYER_COMPRESSION[layer.mediaType];
      if (compression === undefined)
        throw new ValidationError(
          `Layer ${layer.digest} has the media type ${layer.mediaType}, which is not a tar layer`,
        );
      if (compression === "zstd") {
        throw new ValidationError(
          `Layer ${layer.digest} is zstd-compressed; modeltrail unpacks gzip and uncompressed layers`,
          {
            hint: "Rebuild the image with gzip layers",
          },
        );
      }
      const stream = await source.openBlob(layer, options);
      await applyLayer(stream, compression === "gzip", temp, layer, result);
      result.layers++;
    }
    if (existing) await rm(targetDir, { recursive: true, force: true });
    await rename(temp, targetDir);
    return result;
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    // a stream cut by the signal rejects with Node's own AbortError
    if (options.signal?.aborted && !(err instanceof ModelTrailError))
      throw abortErrorFor(options.signal, "Unpacking the image");
    throw err;
  }
}

async function applyLayer(
  stream: Readable,
  gzip: boolean,
  root: string,
  layer: Descriptor,
  result: UnpackResult,
): Promise<void> {
  const thisLayer = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      chain = chain.then(async () => {
        if (failure) {
          entry.resume();
          return;
        }
        try {
          await applyEntry(entry, root, layer, thisLayer, result);
        } catch (err) {
          failure = err;
          entry.resume();
        }
      });
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on("end", () => resolve());
    parser.on("error", reject);
  });
  const stages: NodeJS.ReadWriteStream[] = gzip ? [createGunzip()] : [];
  await pipeline(stream, ...(stages as []), parser as unknown as NodeJS.WritableStream);
  await done;
  await chain;
  if (failure) throw failure;
}

/** Checks that every parent of `rel` inside `root` is a real directory (not a symlink), creating missing ones. */
async function ensureParents(root: string, rel: string, layer: Descriptor, entryPath: string): Promise<void> {
  const parts = rel.split("/").slice(0, -1);
  let cur = root;
  for (const part of parts) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) await mkdir(cur, { mode: 0o755 });
    else if (st.isSymbolicLink()) throw refuse(layer, entryPath, `goes through the symlink "${part}"`);
    else if (!st.isDirectory())
      throw refuse(layer, entryPath, `has a parent "${part}" that is not a directory`);
  }
}

async function applyEntry(
  entry: ReadEntry,
  root: string,
  layer: Descriptor,
  thisLayer: Set<string>,
  result: UnpackResult,
): Promise<void> {
  const raw = entry.path;
  const rel = safeRelative(layer, raw);
  if (rel === "") {
    entry.resume();
    return;
  }
  const name = posix.basename(rel);
  const parentRel = posix.dirname(rel) === "." ? "" : posix.dirname(rel);
  if (name === OPAQUE) {
    await ensureParents(root, rel, layer, raw);
    const dir = join(root, parentRel);
    for (const child of await readdir(dir)) {
      const childRel = parentRel ? `${parentRel}/${child}` : child;
      if (!thisLayer.has(childRel)) await rm(join(dir, child), { recursive: true, force: true });
    }
    result.whiteouts++;
    entry.resume();
    return;
  }
  if (name.startsWith(WHITEOUT)) {
    const hidden = name.slice(WHITEOUT.length);
    if (hidden === "" || hidden === "." || hidden === "..")
      throw refuse(layer, raw, "is a malformed whiteout");
    await ensureParents(root, rel, layer, raw);
    await rm(join(root, parentRel, hidden), { recursive: true, force: true });
    result.whiteouts++;
    entry.resume();
    return;
  }
  await ensureParents(root, rel, layer, raw);
  const abs = join(root, rel);
  const current = await lstat(abs).catch(() => undefined);
  const mode = (entry.mode ?? 0o644) & 0o777;
  switch (entry.type) {
    case "Directory": {
      if (current && !current.isDirectory()) await rm(abs, { recursive: true, force: true });
      if (!current?.isDirectory()) await mkdir(abs, { mode: 0o755 });
      await chmod(abs, mode | 0o700);
      entry.resume();
      break;
    }
    case "File":
    case "OldFile":
    case "ContiguousFile": {
      if (current) await rm(abs, { recursive: true, force: true });
      await pipeline(entry as unknown as Readable, createWriteStream(abs, { flags: "wx", mode }));
      await chmod(abs, mode);
      break;
    }
    case "SymbolicLink": {
      const target = entry.linkpath ?? "";
      if (target === "" || target.includes("\0"))
        throw refuse(layer, raw, "is a symlink without a valid target");
      if (posix.isAbsolute(target))
        throw refuse(layer, raw, `is a symlink to the absolute path "${target}", outside the target`);
      const resolved = posix.normalize(posix.join(parentRel || ".", target));
      if (resolved === ".." || resolved.startsWith("../"))
        throw refuse(layer, raw, `is a symlink to "${target}", outside the target`);
      if (current) await rm(abs, { recursive: true, force: true });
      await symlink(target, abs);
      entry.resume();
      break;
    }
    case "Link": {
      const linkpath = entry.linkpath ?? "";
      if (linkpath.startsWith("/"))
        throw refuse(layer, raw, `is a hard link to the absolute path "${linkpath}", outside the target`);
      if (linkpath.split("/").includes(".."))
        throw refuse(layer, raw, `is a hard link to "${linkpath}", outside the target`);
      const targetRel = safeRelative(layer, linkpath);
      if (targetRel === "") throw refuse(layer, raw, "is a hard link without a target");
      await ensureParents(root, targetRel, layer, raw);
      const st = await lstat(join(root, targetRel)).catch(() => undefined);
      if (!st?.isFile())
        throw refuse(
          layer,
          raw,
          `is a hard link to "${entry.linkpath}", which is not a regular file in the image`,
        );
      if (current) await rm(abs, { recursive: true, force: true });
      await link(join(root, targetRel), abs);
      entry.resume();
      break;
    }
    case "CharacterDevice":
    case "BlockDevice":
    case "FIFO":
      throw refuse(layer, raw, `is a ${entry.type === "FIFO" ? "FIFO" : "device file"}`);
    default:
      throw refuse(layer, raw, `has the unsupported type ${entry.type}`);
  }
  thisLayer.add(rel);
  result.entries++;
}
