import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { HttpLogEvent } from "@modeltrail/core";
import { MlflowClient, type MlflowClientOptions } from "../../src/index.js";

/** A client of the fake workspace through `databricks` tracking URI resolution (PAT auth). */
export function workspaceClient(
  url: string,
  options: MlflowClientOptions & { env?: Record<string, string> } = {},
): Promise<MlflowClient> {
  return MlflowClient.fromEnv({
    trackingUri: "databricks",
    databricks: {
      host: url,
      token: "dapi0123456789abcdef0123456789abcdef",
      configFile: "/nonexistent/.databrickscfg",
    },
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
    env: options.env ?? {},
    artifacts: { retryBaseMs: 1, ...options.artifacts },
  });
}

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = "mt-dbx-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes `files` (relative path -> size or content) below `root` with random bytes; returns the contents. */
export async function writeTree(
  root: string,
  files: Record<string, number | string>,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const [rel, spec] of Object.entries(files)) {
    const data = typeof spec === "number" ? randomBytes(spec) : Buffer.from(spec);
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), data);
    out.set(rel, data);
  }
  return out;
}

/** Checks that every file of `expected` is below `root` with the same bytes. */
export async function readTree(root: string, paths: Iterable<string>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const p of paths) out.set(p, await readFile(join(root, p)));
  return out;
}

/** Collects the transport's debug events. */
export function eventLog(): { events: HttpLogEvent[]; logger: (e: HttpLogEvent) => void } {
  const events: HttpLogEvent[] = [];
  return { events, logger: (e) => events.push(e) };
}

/** The secret parts (signatures) of signed URLs. */
export function signaturesOf(urls: readonly string[]): string[] {
  const out: string[] = [];
  for (const u of urls) {
    const q = new URL(u).searchParams;
    for (const name of ["sig", "X-Amz-Signature", "X-Goog-Signature", "X-Amz-Credential"]) {
      const v = q.get(name);
      if (v) out.push(v);
    }
  }
  return out;
}

export { rm };
