import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { NotFoundError, ValidationError } from "@modeltrail/core";
import { fileSystemErrorFor } from "@modeltrail/core/internal";
import { canonicalJson } from "./canonical-json.js";
import { DigestVerifier, splitDigest, verifyBytes } from "./digest.js";
import {
  type Descriptor,
  type ImageIndex,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  parseManifest,
} from "./manifest-schemas.js";
import { MediaType } from "./media-types.js";

/** The annotation that names a manifest in an OCI layout's `index.json` (what `oci:dir:tag` refers to). */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/**
 * An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), as skopeo's
 * `oci:` transport and `oras --oci-layout` read and write it. Every write goes to a temporary
 * file that is verified and renamed: a crash never leaves a truncated blob or index.
 */
export class OciLayout {
  /** The layout directory. */
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Opens a layout, creating it (directory, `oci-layout`, empty `index.json`) when `create` is set
   * and it does not exist.
   * @throws ValidationError when the directory is not an OCI layout (and `create` is not set), or
   *   cannot be one (a part of its path is a file); ConfigError when it cannot be written.
   */
  static async open(dir: string, options: { create?: boolean } = {}): Promise<OciLayout> {
    const marker = join(dir, "oci-layout");
    const exists = await stat(marker).then(
      () => true,
      () => false,
    );
    if (!exists) {
      if (!options.create) {
        throw new ValidationError(`${dir} is not an OCI image layout (no oci-layout file)`, {
          hint: "Point at a directory written by skopeo copy oci:DIR, oras or modeltrail",
        });
      }
      try {
        await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
        await atomicWrite(marker, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
        if (!(await stat(join(dir, "index.json")).catch(() => undefined))) {
          await atomicWrite(
            join(dir, "index.json"),
            canonicalJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }),
          );
        }
      } catch (err) {
        throw fileSystemErrorFor(err, "The OCI layout directory", dir);
      }
    }
    return new OciLayout(dir);
  }

  /** The path of a blob. */
  blobPath(digest: string): string {
    const { algorithm, hex } = splitDigest(digest);
    return join(this.dir, "blobs", algorithm, hex);
  }

  /** The size of a blob, or undefined when the layout does not have it. */
  async blobSize(digest: string): Promise<number | undefined> {
    const st = await stat(this.blobPath(digest)).catch(() => undefined);
    return st?.isFile() ? st.size : undefined;
  }

  /** Reads a small blob, checked against its digest. @throws NotFoundError, ValidationError. */
  async readBlob(
    desc: { digest: string; size?: number | undefined },
    limit = 16 * 1024 * 1024,
  ): Promise<Buffer> {
    const size = await this.blobSize(desc.digest);
    if (size === undefined) throw notFound(`blob ${desc.digest}`, this.dir);
    if (size > limit)
      throw new ValidationError(
        `blob ${desc.digest} in ${this.dir} is ${size} bytes, over the ${limit}-byte limit`,
      );
    const bytes = await readFile(this.blobPath(desc.digest));
    verifyBytes(bytes, desc, `blob ${desc.digest} in ${this.dir}`);
    return bytes;
  }

  /** Opens a blob as a stream that fails at its end unless digest and size match. */
  openBlob(desc: { digest: string; size?: number | undefined }): Readable {
    const verifier = new DigestVerifier(desc, `blob ${desc.digest} in ${this.dir}`);
    const file = createReadStream(this.blobPath(desc.digest), { highWaterMark: 1024 * 1024 });
    file.on("error", (err) =>
      verifier.destroy(
        (err as NodeJS.ErrnoException).code === "ENOENT" ? notFound(`blob ${desc.digest}`, this.dir) : err,
      ),
    );
    return file.pipe(verifier);
  }

  /** Stores bytes as a blob (no-op when present). Returns its descriptor digest. */
  async writeBlobBytes(bytes: Uint8Array, digest: string): Promise<void> {
    verifyBytes(bytes, { digest, size: bytes.length }, `blob ${digest}`);
    if ((await this.blobSize(digest)) === bytes.length) return;
    await mkdir(join(this.dir, "blobs", splitDigest(digest).algorithm), { recursive: true });
    await atomicWrite(this.blobPath(digest), bytes);
  }

  /**
   * Moves (or hard-links, or copies) a finished file into the layout as a blob. The caller has
   * computed its digest while writing it.
   */
  async adoptBlobFile(path: string, digest: string, move = false): Promise<void> {
    const target = this.blobPath(digest);
    if (await this.blobSize(digest)) {
      if (move) await rm(path, { force: true });
      return;
    }
    await mkdir(join(this.dir, "blobs", splitDigest(digest).algorithm), { recursive: true });
    if (move) {
      await rename(path, target).catch(async () => {
        await copyViaTemp(path, target);
        await rm(path, { force: true });
      });
      return;
    }
    await link(path, target).catch(() => copyViaTemp(path, target));
  }

  /** Writes a stream into the layout as a blob, checked against digest and size while writing. */
  async writeBlobStream(
    stream: Readable,
    desc: { digest: string; size?: number | undefined },
  ): Promise<void> {
    if ((await this.blobSize(desc.digest)) !== undefined) {
      stream.destroy();
      return;
    }
    const { pipeline } = await import("node:stream/promises");
    const { createWriteStream } = await import("node:fs");
    await mkdir(join(this.dir, "blobs", splitDigest(desc.digest).algorithm), { recursive: true });
    const temp = `${this.blobPath(desc.digest)}.${randomBytes(6).toString("hex")}.partial`;
    try {
      await pipeline(
        stream,
        new DigestVerifier(desc, `blob ${desc.digest}`),
        createWriteStream(temp, { flags: "wx" }),
      );
      await rename(temp, this.blobPath(desc.digest));
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** The layout's `index.json`. @throws ValidationError when it is malformed. */
  async index(): Promise<ImageIndex> {
    const bytes = await readFile(join(this.dir, "index.json"));
    const parsed = parseManifest(bytes, MediaType.OciIndex, `index.json of ${this.dir}`);
    if (parsed.kind !== "index") throw new ValidationError(`index.json of ${this.dir} is not an image index`);
    return parsed.manifest;
  }

  /**
   * Finds a manifest by tag (`org.opencontainers.image.ref.name`) or digest; with neither, the only
   * manifest of the layout.
   * @throws NotFoundError when there is no such manifest, ValidationError when it is ambiguous.
   */
  async resolve(ref?: { tag?: string | undefined; digest?: string | undefined }): Promise<Descriptor> {
    const index = await this.index();
    let found: Descriptor | undefined;
    if (ref?.digest) found = index.manifests.find((m) => m.digest === ref.digest);
    else if (ref?.tag) found = index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === ref.tag);
    else if (index.manifests.length === 1) found = index.manifests[0];
    else if (index.manifests.length > 1) {
      throw new ValidationError(
        `${this.dir} holds ${index.manifests.length} manifests; name one by tag or digest`,
      );
    }
    if (!found) throw notFound(`manifest ${ref?.digest ?? ref?.tag ?? "(any)"}`, this.dir);
    return found;
  }

  /** Reads and parses a manifest blob. */
  async manifest(desc: Descriptor): Promise<ParsedManifest & { bytes: Buffer; digest: string }> {
    const bytes = await this.readBlob(desc, MAX_MANIFEST_BYTES);
    return {
      ...parseManifest(bytes, desc.mediaType, `manifest ${desc.digest} in ${this.dir}`),
      bytes,
      digest: desc.digest,
    };
  }

  /**
   * Stores a manifest and records it in `index.json` under each tag (replacing what a tag named
   * before), or untagged when no tag is given.
   */
  async putManifest(
    bytes: Uint8Array,
    mediaType: string,
    digest: string,
    tags: readonly string[] = [],
    annotations: Record<string, string> = {},
  ): Promise<void> {
    await this.writeBlobBytes(bytes, digest);
    const index = await this.index();
    const base = { mediaType, digest, size: bytes.length };
    let manifests = index.manifests.filter((m) => {
      const name = m.annotations?.[REF_NAME_ANNOTATION];
      if (name !== undefined) return !tags.includes(name);
      return m.digest !== digest || tags.length > 0;
    });
    if (tags.length === 0)
      manifests.push({ ...base, ...(Object.keys(annotations).length ? { annotations } : {}) });
    for (const tag of tags)
      manifests.push({ ...base, annotations: { ...annotations, [REF_NAME_ANNOTATION]: tag } });
    manifests = manifests.sort((a, b) =>
      (a.annotations?.[REF_NAME_ANNOTATION] ?? "").localeCompare(b.annotations?.[REF_NAME_ANNOTATION] ?? ""),
    );
    await atomicWrite(join(this.dir, "index.json"), canonicalJson({ ...index, manifests }));
  }
}

async function atomicWrite(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await writeFile(temp, bytes, { flag: "wx" });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

async function copyViaTemp(from: string, to: string): Promise<void> {
  const temp = `${to}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await copyFile(from, temp);
    await rename(temp, to);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

function notFound(what: string, dir: string): NotFoundError {
  return new NotFoundError({
    service: "oci-layout",
    status: 404,
    method: "READ",
    url: `file://${dir}`,
    message: `The OCI layout ${dir} has no ${what}`,
  });
}
