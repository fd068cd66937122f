import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpClient, type HttpClientOptions } from "@modeltrail/core/internal";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import type { RequestHandler } from "msw";
import { MlflowArtifacts, type MlflowArtifactsOptions } from "../../src/artifacts/index.js";

/** The proxy route, as the fake server sees it. */
export const ROUTE = "/api/2.0/mlflow-artifacts/artifacts";

/** A fake MLflow server, an HttpClient and an MlflowArtifacts on it, and a scratch directory. */
export interface Fixture {
  server: MswServer;
  http: HttpClient;
  artifacts: MlflowArtifacts;
  dir: string;
  close(): Promise<void>;
}

/** Starts the fake with `handlers`; retries wait for nothing so that tests stay fast. */
export async function setup(
  handlers: RequestHandler[],
  options: MlflowArtifactsOptions = {},
  httpOptions: Partial<HttpClientOptions> = {},
): Promise<Fixture> {
  const server = await startMswServer(...handlers);
  const http = new HttpClient({
    baseUrl: server.url,
    service: "mlflow",
    retry: { maxRetries: 2, baseDelayMs: 1 },
    sleep: async () => {},
    ...httpOptions,
  });
  const artifacts = new MlflowArtifacts(http, { sleep: async () => {}, ...options });
  const dir = await mkdtemp(join(tmpdir(), "mt-art-unit-"));
  return {
    server,
    http,
    artifacts,
    dir,
    close: async () => {
      await http.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file and directory name below `dir`, recursively, `/`-separated (empty when absent). */
export async function listLocal(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) await walk(join(d, e.name), r);
    }
  };
  await walk(dir, "");
  return out.sort();
}

/** A response body that sends `head`, then fails (the fake server then destroys the socket). */
export function droppingBody(head: Uint8Array, delayMs = 30): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(head);
        return;
      }
      await new Promise((r) => setTimeout(r, delayMs));
      controller.error(new Error("connection dropped by test"));
    },
  });
}

/** Deterministic bytes. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}
