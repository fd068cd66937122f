/**
 * A deterministic tar writer (POSIX ustar, with pax records only where ustar cannot hold a value).
 * Written by hand rather than with node-tar's Pack because every header field must be pinned for
 * reproducible layers: node-tar reads metadata from the file system itself, orders entries as the
 * directory listing comes, and decides on its own when to add pax records (atime/ctime), all of
 * which would leak into the layer digest. node-tar is used to read (unpack) archives.
 */

/** One entry to write. Paths are relative, `/`-separated, without a leading `./`. */
export type TarEntry =
  | { type: "directory"; path: string; mode: number }
  | { type: "file"; path: string; mode: number; size: number }
  | { type: "symlink"; path: string; target: string };

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777; // 11 octal digits

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function writeString(buf: Buffer, offset: number, width: number, value: string): void {
  buf.write(value, offset, Math.min(width, Buffer.byteLength(value)), "utf8");
}

/** Splits a long path into ustar's prefix (<=155 bytes) and name (<=100 bytes), if possible. */
function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== "/") continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0)
      return { prefix, name };
  }
  return undefined;
}

function header(opts: {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, 0, 100, opts.name);
  writeString(h, 100, 8, octal(opts.mode & 0o7777, 8));
  writeString(h, 108, 8, octal(0, 8)); // uid 0
  writeString(h, 116, 8, octal(0, 8)); // gid 0
  writeString(h, 124, 12, octal(opts.size, 12));
  writeString(h, 136, 12, octal(opts.mtime, 12));
  h.fill(0x20, 148, 156); // checksum placeholder: spaces
  writeString(h, 156, 1, opts.typeflag);
  writeString(h, 157, 100, opts.linkname);
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  // uname/gname stay empty; devmajor/devminor zero
  writeString(h, 329, 8, octal(0, 8));
  writeString(h, 337, 8, octal(0, 8));
  writeString(h, 345, 155, opts.prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Padding after `size` bytes of content, up to the next 512-byte block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** The two zero blocks that end an archive. */
export const TAR_END: Buffer = Buffer.alloc(BLOCK * 2);

/**
 * The header block(s) of one entry: a pax extended header first when the path, link target or size
 * does not fit ustar, then the ustar header. Everything but path, type, mode, size and link target
 * is fixed: uid/gid 0, no user or group names, the given mtime.
 */
export function tarHeader(entry: TarEntry, mtime: number): Buffer {
  const path = entry.type === "directory" ? `${entry.path.replace(/\/+$/, "")}/` : entry.path;
  const linkname = entry.type === "symlink" ? entry.target : "";
  const size = entry.type === "file" ? entry.size : 0;
  const typeflag = entry.type === "directory" ? "5" : entry.type === "symlink" ? "2" : "0";
  const mode = entry.type === "symlink" ? 0o777 : entry.mode;
  const pax: string[] = [];
  let split = splitUstarPath(path);
  if (!split) {
    pax.push(paxRecord("path", path));
    split = { prefix: "", name: path.slice(0, 100) };
  }
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord("linkpath", linkname));
  if (size > MAX_OCTAL_SIZE) pax.push(paxRecord("size", String(size)));
  const main = header({
    name: split.name,
    prefix: split.prefix,
    mode,
    size: size > MAX_OCTAL_SIZE ? 0 : size,
    mtime,
    typeflag,
    linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 100) : linkname,
  });
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.join(""), "utf8");
  const paxHeader = header({
    name: "PaxHeader",
    prefix: "",
    mode: 0o644,
    size: body.length,
    mtime,
    typeflag: "x",
    linkname: "",
  });
  return Buffer.concat([paxHeader, body, tarPadding(body.length), main]);
}
