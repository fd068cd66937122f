import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, ConfigError, ValidationError } from "../../src/index.js";
import { fileSystemErrorFor } from "../../src/internal.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "modeltrail-fs-errors-"));
  await writeFile(join(dir, "file"), "x");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The error a real file-system call fails with. */
async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

describe("fileSystemErrorFor: a raw Node.js file-system error becomes a modeltrail error", () => {
  it("a path that does not exist: ValidationError naming the path, the raw error as the cause", async () => {
    const raw = await failure(() => readFile(join(dir, "missing")));
    const err = fileSystemErrorFor(raw, "The model file");
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe(
      `The model file ${join(dir, "missing")} does not exist (ENOENT). Check the path you passed`,
    );
    expect((err as Error).cause).toBe(raw);
  });

  it("a file where a directory is expected, and a directory where a file is", async () => {
    const notDir = fileSystemErrorFor(await failure(() => readFile(join(dir, "file", "x"))), "The layout");
    expect(notDir).toBeInstanceOf(ValidationError);
    expect((notDir as Error).message).toMatch(/has a part that is not a directory \(ENOTDIR\)/);
    const isDir = fileSystemErrorFor(await failure(() => readFile(dir)), "The model file", dir);
    expect(isDir).toBeInstanceOf(ValidationError);
    expect((isDir as Error).message).toMatch(/is a directory, where a file was expected \(EISDIR\)/);
  });

  it("permission, space and other machine problems: ConfigError", () => {
    for (const code of ["EACCES", "EPERM", "EROFS", "ENOSPC", "EMFILE", "EIO", "EXDEV"]) {
      const raw = Object.assign(new Error(`${code}: failed, open '/data/x'`), { code, path: "/data/x" });
      const err = fileSystemErrorFor(raw, "The destination");
      expect(err, code).toBeInstanceOf(ConfigError);
      expect((err as Error).message, code).toMatch(/^The destination \/data\/x /);
    }
  });

  it("leaves modeltrail errors and errors without an errno code as they are", () => {
    const timeout = new AbortError("stopped");
    expect(fileSystemErrorFor(timeout, "x")).toBe(timeout);
    const plain = new Error("boom");
    expect(fileSystemErrorFor(plain, "x")).toBe(plain);
    const http = Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" });
    expect(fileSystemErrorFor(http, "x")).toBe(http);
    expect(fileSystemErrorFor("a string", "x")).toBe("a string");
  });
});
