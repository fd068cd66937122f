import { readFileSync } from "node:fs";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import type { RequestHandler } from "msw";
import { DatabricksClient, type DatabricksClientOptions } from "../src/index.js";

const FIXTURES = new URL("./fixtures/api/", import.meta.url);

/** A fresh copy of a committed fixture (documented Databricks response). */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are arbitrary JSON
export function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8"));
}

/** A token that must never appear in errors or logs. */
export const PLANTED_TOKEN = "dapi-PLANTED-SECRET-4f7c2b9e1d";

/** A fake workspace on a loopback port and a client pointed at it, with recorded retry sleeps. */
export interface FakeWorkspace {
  server: MswServer;
  client: DatabricksClient;
  /** Delays the transport waited between retries, in ms. */
  sleeps: number[];
  close(): Promise<void>;
}

/** Starts a fake workspace serving `handlers`; retry sleeps are recorded and skipped. */
export async function startWorkspace(
  handlers: RequestHandler[],
  options: Partial<DatabricksClientOptions> = {},
): Promise<FakeWorkspace> {
  const server = await startMswServer(...handlers);
  const sleeps: number[] = [];
  const client = new DatabricksClient({
    host: server.url,
    token: PLANTED_TOKEN,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return {
    server,
    client,
    sleeps,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** Parsed query of a recorded request path. */
export function queryOf(path: string): URLSearchParams {
  return new URL(path, "http://x").searchParams;
}
