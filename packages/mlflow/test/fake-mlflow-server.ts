import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { afterAll, afterEach, beforeAll } from "vitest";
import { MlflowClient, type MlflowClientOptions } from "../src/index.js";

/** The fake MLflow server of a test file, and the MlflowClient of the running test. */
export interface FakeMlflowServer {
  /** The msw server (handlers are reset after each test). */
  readonly server: MswServer;
  /**
   * A client on the fake server: no environment, no waiting between retries, one retry; `options`
   * override those defaults and the ones given to `useFakeMlflowServer`. Closed after the test.
   */
  client(options?: MlflowClientOptions): MlflowClient;
}

/**
 * Starts one msw-backed fake MLflow server for the calling test file, through vitest hooks: started
 * before the first test, handlers reset and the test's client closed after each test, stopped after
 * the last one. `defaults` apply to every `client()`.
 */
export function useFakeMlflowServer(defaults: MlflowClientOptions = {}): FakeMlflowServer {
  let server: MswServer | undefined;
  let client: MlflowClient | undefined;
  beforeAll(async () => {
    server = await startMswServer();
  });
  afterEach(async () => {
    server?.resetHandlers();
    await client?.close();
    client = undefined;
  });
  afterAll(async () => {
    await server?.close();
  });
  const running = (): MswServer => {
    if (!server) throw new Error("the fake MLflow server is used outside a test");
    return server;
  };
  return {
    get server() {
      return running();
    },
    client(options = {}) {
      client = new MlflowClient({
        trackingUri: running().url,
        env: {},
        retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
        sleep: async () => {},
        ...defaults,
        ...options,
      });
      return client;
    },
  };
}
