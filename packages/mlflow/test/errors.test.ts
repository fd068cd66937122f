import {
  ApiError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitError,
  ServerError,
  UnauthorizedError,
} from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MLFLOW_ERROR_KINDS, MlflowClient } from "../src/index.js";

let server: MswServer;
let client: MlflowClient;

beforeAll(async () => {
  server = await startMswServer();
  client = new MlflowClient({ trackingUri: server.url, env: {}, retry: { maxRetries: 0 } });
});
beforeEach(() => server.resetHandlers());
afterAll(async () => {
  await client.close();
  await server.close();
});

describe("MLflow error_code mapping", () => {
  it.each([
    ["RESOURCE_DOES_NOT_EXIST", 404, NotFoundError],
    ["RESOURCE_ALREADY_EXISTS", 400, ConflictError],
    ["INVALID_PARAMETER_VALUE", 400, BadRequestError],
    ["PERMISSION_DENIED", 403, ForbiddenError],
    ["UNAUTHENTICATED", 401, UnauthorizedError],
    ["REQUEST_LIMIT_EXCEEDED", 429, RateLimitError],
    ["TEMPORARILY_UNAVAILABLE", 503, ServerError],
    ["INTERNAL_ERROR", 500, ServerError],
    // the code wins over a misleading status
    ["RESOURCE_DOES_NOT_EXIST", 400, NotFoundError],
    ["REQUEST_LIMIT_EXCEEDED", 400, RateLimitError],
  ] as const)("%s (HTTP %d) -> %s", async (code, status, cls) => {
    server.use(
      http.get("*/api/2.0/mlflow/experiments/get", () =>
        HttpResponse.json(
          { error_code: code, message: `the ${code} message` },
          { status, headers: { "x-request-id": "req-42" } },
        ),
      ),
    );
    const err = await client.experiments.get("1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    const apiErr = err as ApiError;
    expect(apiErr.status).toBe(status);
    expect(apiErr.serviceCode).toBe(code);
    expect(apiErr.serviceMessage).toBe(`the ${code} message`);
    expect(apiErr.service).toBe("mlflow");
    expect(apiErr.message).toContain(code);
    expect(apiErr.message).toContain("/api/2.0/mlflow/experiments/get");
  });

  it("every code in the table maps to a kind", () => {
    expect(Object.keys(MLFLOW_ERROR_KINDS)).toContain("RESOURCE_ALREADY_EXISTS");
    expect(MLFLOW_ERROR_KINDS.RESOURCE_ALREADY_EXISTS).toBe("conflict");
  });

  it("an unknown code keeps the status class; a non-MLflow body falls back to the status", async () => {
    server.use(
      http.get("*/api/2.0/mlflow/experiments/get", () =>
        HttpResponse.json({ error_code: "SOMETHING_NEW", message: "new" }, { status: 418 }),
      ),
    );
    const err = await client.experiments.get("1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).serviceCode).toBe("SOMETHING_NEW");
    server.use(
      http.get(
        "*/api/2.0/mlflow/experiments/get",
        () => new HttpResponse("<html>bad gateway</html>", { status: 404 }),
      ),
    );
    const html = await client.experiments.get("1").catch((e: unknown) => e);
    expect(html).toBeInstanceOf(NotFoundError);
  });

  it("keeps SQL statements out of the message", async () => {
    server.use(
      http.post("*/api/2.0/mlflow/experiments/create", () =>
        HttpResponse.json(
          {
            error_code: "RESOURCE_ALREADY_EXISTS",
            message:
              "Experiment(name=x) already exists. Error: (sqlite3.IntegrityError) UNIQUE\n[SQL: INSERT INTO experiments ...]",
          },
          { status: 400 },
        ),
      ),
    );
    const err = await client.experiments.create("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain("Experiment(name=x) already exists");
    expect((err as Error).message).not.toContain("INSERT INTO");
  });
});
