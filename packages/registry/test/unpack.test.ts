import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canonicalJson,
  layoutImageSource,
  MediaType,
  OciLayout,
  sha256Digest,
  unpackImage,
} from "../src/index.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "modeltrail-unpack-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** One tar entry, written by Python's tarfile (which writes whatever it is told to). */
type Spec = {
  name: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "chr" | "fifo";
  data?: string;
  link?: string;
  mode?: number;
};

function pythonTar(entries: Spec[]): Buffer {
  const script = `
import io, json, sys, tarfile
specs = json.loads(sys.argv[1])
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for s in specs:
        info = tarfile.TarInfo(s["name"])
        info.mode = s.get("mode", 0o644)
        t = s.get("type", "file")
        data = s.get("data", "").encode()
        if t == "dir": info.type = tarfile.DIRTYPE
        elif t == "symlink": info.type = tarfile.SYMTYPE; info.linkname = s["link"]
        elif t == "hardlink": info.type = tarfile.LNKTYPE; info.linkname = s["link"]
        elif t == "chr": info.type = tarfile.CHRTYPE; info.devmajor = 1; info.devminor = 3
        elif t == "fifo": info.type = tarfile.FIFOTYPE
        else: info.size = len(data)
        tar.addfile(info, io.BytesIO(data) if t == "file" else None)
sys.stdout.buffer.write(buf.getvalue())
`;
  return execFileSync("python3", ["-c", script, JSON.stringify(entries)], { maxBuffer: 64 * 1024 * 1024 });
}

let n = 0;
async function imageOf(layers: Spec[][]): Promise<string> {
  const dir = join(root, `layout-${n++}`);
  const layout = await OciLayout.open(dir, { create: true });
  const descs = [];
  const diffIds = [];
  for (const spec of layers) {
    const bytes = pythonTar(spec);
    const digest = sha256Digest(bytes);
    await layout.writeBlobBytes(bytes, digest);
    descs.push({ mediaType: MediaType.OciLayer, digest, size: bytes.length });
    diffIds.push(digest);
  }
  const config = canonicalJson({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: diffIds },
  });
  await layout.writeBlobBytes(config, sha256Digest(config));
  const manifest = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
    layers: descs,
  });
  await layout.putManifest(manifest, MediaType.OciManifest, sha256Digest(manifest), ["t"]);
  return dir;
}

describe("unpackImage", () => {
  it("applies layers in order with whiteouts and opaque directories", async () => {
    const image = await imageOf([
      [
        { name: "a", type: "dir", mode: 0o755 },
        { name: "a/b.txt", data: "b" },
        { name: "a/c.txt", data: "c" },
        { name: "d", type: "dir", mode: 0o755 },
        { name: "d/old.txt", data: "old" },
        { name: "run.sh", data: "#!/bin/sh\n", mode: 0o4755 },
        { name: "link", type: "symlink", link: "a/c.txt" },
        { name: "a/hard", type: "hardlink", link: "a/c.txt" },
      ],
      [
        { name: "a/.wh.b.txt" },
        { name: "d/new.txt", data: "new" },
        { name: "d/.wh..wh..opq" },
        { name: "./e/f.txt", data: "f" },
      ],
    ]);
    const target = join(root, "ok");
    const result = await unpackImage(await layoutImageSource(image), target);
    expect(result).toMatchObject({ layers: 2, whiteouts: 2 });
    expect((await readdir(join(target, "a"))).sort()).toEqual(["c.txt", "hard"]);
    expect(await readdir(join(target, "d"))).toEqual(["new.txt"]);
    expect(await readFile(join(target, "e/f.txt"), "utf8")).toBe("f");
    expect(await readlink(join(target, "link"))).toBe("a/c.txt");
    expect(((await lstat(join(target, "run.sh"))).mode & 0o7777).toString(8)).toBe("755");
    expect((await lstat(join(target, "a/hard"))).nlink).toBe(2);
  });

  it.each<[string, Spec[]]>([
    ["a .. path", [{ name: "../evil.txt", data: "x" }]],
    ["a deeper .. path", [{ name: "a/../../evil.txt", data: "x" }]],
    ["an absolute path", [{ name: "/tmp/evil.txt", data: "x" }]],
    ["a symlink to an absolute path", [{ name: "etc", type: "symlink", link: "/etc" }]],
    [
      "a symlink that climbs out",
      [
        { name: "a", type: "dir" },
        { name: "a/up", type: "symlink", link: "../../outside" },
      ],
    ],
    [
      "a file through a symlinked directory",
      [
        { name: "sub", type: "dir" },
        { name: "lnk", type: "symlink", link: "sub" },
        { name: "lnk/f.txt", data: "x" },
      ],
    ],
    ["a hard link out of the tree", [{ name: "h", type: "hardlink", link: "../../etc/passwd" }]],
    ["a hard link to an absolute path", [{ name: "h", type: "hardlink", link: "/etc/passwd" }]],
    ["a hard link to something missing", [{ name: "h", type: "hardlink", link: "missing" }]],
    ["a device file", [{ name: "null", type: "chr" }]],
    ["a FIFO", [{ name: "pipe", type: "fifo" }]],
  ])("refuses %s, naming the entry and leaving nothing behind", async (_what, layer) => {
    const image = await imageOf([
      [{ name: "first.txt", data: "written before the bad entry" }],
      [{ name: "good.txt", data: "ok" }, ...layer],
    ]);
    const parent = join(root, `refused-${n}`);
    await mkdir(parent);
    const target = join(parent, "target");
    const err = await unpackImage(await layoutImageSource(image), target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const bad = layer[layer.length - 1]!.name;
    expect((err as ValidationError).message).toContain(`"${bad}"`);
    expect(await readdir(parent)).toEqual([]);
    await expect(lstat(join(root, "evil.txt"))).rejects.toThrow();
    await expect(lstat(join(root, "..", "evil.txt"))).rejects.toThrow();
  });

  it("refuses to unpack over a non-empty directory unless asked", async () => {
    const image = await imageOf([[{ name: "f.txt", data: "new" }]]);
    const target = join(root, "existing");
    await mkdir(target);
    await import("node:fs/promises").then((fs) => fs.writeFile(join(target, "keep.txt"), "old"));
    await expect(unpackImage(await layoutImageSource(image), target)).rejects.toThrow(/not empty/);
    expect(await readFile(join(target, "keep.txt"), "utf8")).toBe("old");
    await unpackImage(await layoutImageSource(image), target, { overwrite: true });
    expect(await readdir(target)).toEqual(["f.txt"]);
  });
});
