import { open } from "node:fs/promises";
import { ConfigError } from "@modeltrail/core";
import type { RunEvent } from "./run-event.js";

/**
 * Appends RunEvents to a file as JSON lines (one event a line, UTF-8), the way OpenLineage's file
 * transport writes them. Each event is one `write` on a file opened in append mode, so lines from
 * concurrent writers (processes or calls) never interleave. A write the disk refuses part-way
 * (ENOSPC) throws and can leave a last line without its newline; the next event starts a new line
 * after it, so readers only ever need to skip such a torn line.
 */
export class OpenLineageFileTransport {
  readonly path: string;

  /** Throws ConfigError for an empty path. */
  constructor(path: string) {
    if (typeof path !== "string" || path.trim() === "")
      throw new ConfigError("The OpenLineage events file path is empty", {
        hint: "Pass a file path, e.g. lineage.jsonl",
      });
    this.path = path;
  }

  /** Appends one event as one line. Throws the file system's error (ENOENT for a missing folder, EACCES, ENOSPC). */
  async emit(event: RunEvent): Promise<void> {
    const file = await open(this.path, "a+", 0o644);
    try {
      // A last line left without its newline by an earlier failed write is closed first.
      const { size } = await file.stat();
      const last = Buffer.alloc(1);
      const torn = size > 0 && (await file.read(last, 0, 1, size - 1)).bytesRead === 1 && last[0] !== 0x0a;
      const line = Buffer.from(`${torn ? "\n" : ""}${JSON.stringify(event)}\n`, "utf8");
      // One write on a regular file writes the whole line; the loop only guards the rare short write.
      let offset = 0;
      while (offset < line.length)
        offset += (await file.write(line, offset, line.length - offset)).bytesWritten;
    } finally {
      await file.close();
    }
  }
}
