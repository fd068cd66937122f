/**
 * The local side of an upload is checked before anything is sent, and a wrong local path is a
 * modeltrail error naming it (ValidationError, the raw Node.js error as its cause), never a raw
 * ENOENT / ENOTDIR from the file system.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MlflowClient } from "../src/index.js";

let dir: string;
let client: MlflowClient;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "modeltrail-local-files-"));
  await writeFile(join(dir, "file"), "x");
  // nothing listens on port 9: a request sent before the local check would fail with a NetworkError
  client = new MlflowClient({ trackingUri: "http://127.0.0.1:9", retry: { maxRetries: 0 } });
});
afterAll(async () => {
  await client.close();
  await rm(dir, { recursive: true, force: true });
});

describe("local paths of uploads", () => {
  it.each([
    ["a directory that does not exist", () => join(dir, "missing"), /does not exist \(ENOENT\)/],
    ["a path under a file", () => join(dir, "file", "sub"), /is not a directory|\(ENOTDIR\)/],
    ["a file where a directory is expected", () => join(dir, "file"), /is not a directory/],
  ])("uploadTree of %s: ValidationError before any request", async (_, path, message) => {
    const err = await client.artifacts.uploadTree(path(), { runId: "r1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    ["a file that does not exist", () => join(dir, "missing.bin"), /does not exist \(ENOENT\)/],
    ["a directory", () => dir, /is not a regular file/],
  ])("uploadFile of %s: ValidationError before any request", async (_, path, message) => {
    const err = await client.artifacts.uploadFile(path(), { runId: "r1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(message);
  });
});
