import { inspect } from "node:util";
import { ConfigError, type HttpLogEvent, UnauthorizedError } from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MlflowClient, resolveHttpConnection } from "../src/index.js";

const TOKEN = "mt-planted-token-5f3a9c1e7b24";
const PASSWORD = "mt-planted-pass-8d2e44c1";
const URI_PASSWORD = "mt-planted-uri-pass-77aa19";

let server: MswServer;

beforeAll(async () => {
  server = await startMswServer(
    // a hostile server that echoes the credentials it received in its error message
    http.get("*/api/2.0/mlflow/experiments/get", ({ request }) =>
      HttpResponse.json(
        {
          error_code: "UNAUTHENTICATED",
          message: `rejected credentials: ${request.headers.get("authorization")} token=${TOKEN} password ${PASSWORD}`,
        },
        { status: 401 },
      ),
    ),
  );
});
afterAll(async () => {
  await server.close();
});

function expectClean(value: unknown, secrets: string[]) {
  const renderings = [
    value instanceof Error ? value.message : String(value),
    JSON.stringify(value),
    inspect(value, { depth: 10 }),
    value instanceof Error ? String(value.stack) : "",
  ];
  for (const text of renderings) for (const secret of secrets) expect(text).not.toContain(secret);
}

describe("secrets never appear in errors or logs", () => {
  it("bearer token from MLFLOW_TRACKING_TOKEN", async () => {
    const events: HttpLogEvent[] = [];
    const client = new MlflowClient({
      env: { MLFLOW_TRACKING_URI: server.url, MLFLOW_TRACKING_TOKEN: TOKEN },
      logger: (e) => events.push(e),
    });
    const err = await client.experiments.get("1").catch((e: unknown) => e);
    await client.close();
    expect(err).toBeInstanceOf(UnauthorizedError);
    // the server really received the token: the test would notice a client that sent nothing
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expectClean(err, [TOKEN]);
    expect(events.length).toBeGreaterThan(0);
    expectClean(events, [TOKEN]);
  });

  it("basic auth password from MLFLOW_TRACKING_PASSWORD", async () => {
    const client = new MlflowClient({
      env: {
        MLFLOW_TRACKING_URI: server.url,
        MLFLOW_TRACKING_USERNAME: "alice",
        MLFLOW_TRACKING_PASSWORD: PASSWORD,
      },
    });
    const err = await client.experiments.get("1").catch((e: unknown) => e);
    await client.close();
    const encoded = Buffer.from(`alice:${PASSWORD}`).toString("base64");
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Basic ${encoded}`);
    expectClean(err, [PASSWORD, encoded]);
    expectClean(client.connection, [PASSWORD, encoded]);
  });

  it("explicit token and password options are not kept on the client", async () => {
    const withToken = new MlflowClient({ trackingUri: server.url, token: TOKEN, env: {} });
    const withPassword = new MlflowClient({
      trackingUri: server.url,
      username: "alice",
      password: PASSWORD,
      env: {},
    });
    for (const client of [withToken, withPassword]) {
      const text = inspect(client, { depth: 8, showHidden: false });
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString("base64"));
      await client.close();
    }
  });

  it("credentials embedded in MLFLOW_TRACKING_URI", async () => {
    const url = new URL(server.url);
    const withCreds = `http://bob:${URI_PASSWORD}@${url.host}`;
    const client = new MlflowClient({ env: { MLFLOW_TRACKING_URI: withCreds } });
    const err = await client.experiments.get("1").catch((e: unknown) => e);
    await client.close();
    expectClean(err, [URI_PASSWORD]);
    expectClean(client.connection, [URI_PASSWORD]);
    let configErr: unknown;
    try {
      resolveHttpConnection({ env: { MLFLOW_TRACKING_URI: `ftp://bob:${URI_PASSWORD}@example.com/x` } });
    } catch (e) {
      configErr = e;
    }
    expect(configErr).toBeInstanceOf(ConfigError);
    expectClean(configErr, [URI_PASSWORD]);
  });
});
