import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { ValidationError } from "@modeltrail/core";

/**
 * Refuses, before anything is written, a download whose files (by the sizes a listing claimed)
 * cannot fit into the free space of the file system holding `destDir` (or its nearest existing
 * parent): a server claiming an implausible size is stopped here instead of after filling the
 * disk. A file system that cannot report its free space is not checked (the writes will tell).
 * Throws ValidationError naming both sizes.
 */
export async function assertRoomFor(destDir: string, bytes: number, files: number): Promise<void> {
  if (bytes <= 0) return;
  let dir = destDir;
  let free: number | undefined;
  for (let depth = 0; depth < 256 && free === undefined; depth++) {
    try {
      const st = await statfs(dir);
      free = st.bavail * st.bsize;
    } catch (err) {
      const parent = dirname(dir);
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || parent === dir) return;
      dir = parent;
    }
  }
  if (free === undefined || bytes <= free) return;
  throw new ValidationError(
    `Refusing to download ${files} file(s) totalling ${bytes} bytes (as listed by the server) into ${destDir}: its file system has ${free} bytes free`,
    {
      issues: [{ path: destDir, message: `needs ${bytes} bytes, ${free} free` }],
      hint: "Free some space or choose another destination; if the sizes are not plausible, the server is misreporting them",
    },
  );
}
