import { inspect } from "node:util";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ApiError,
  ConfigError,
  ConflictError,
  isModelTrailError,
  ModelTrailError,
  NotFoundError,
  ServerError,
  ValidationError,
} from "../../src/index.js";
import { createApiError } from "../../src/internal.js";

describe("error hierarchy", () => {
  it("maps statuses to subclasses with stable codes", () => {
    const base = { service: "mlflow", method: "GET", url: "http://h/x" };
    const cases: Array<[number, string, unknown]> = [
      [400, "BAD_REQUEST", ApiError],
      [401, "UNAUTHORIZED", ApiError],
      [403, "FORBIDDEN", ApiError],
      [404, "NOT_FOUND", NotFoundError],
      [409, "CONFLICT", ConflictError],
      [429, "RATE_LIMITED", ApiError],
      [500, "SERVER_ERROR", ServerError],
      [503, "SERVER_ERROR", ServerError],
      [418, "API_ERROR", ApiError],
    ];
    for (const [status, code, cls] of cases) {
      const err = createApiError({ ...base, status });
      expect(err.code).toBe(code);
      expect(err).toBeInstanceOf(cls as typeof ApiError);
      expect(err).toBeInstanceOf(ModelTrailError);
      expect(err.status).toBe(status);
    }
  });

  it("lets a service override the kind (MLflow's RESOURCE_ALREADY_EXISTS arrives as 400)", () => {
    const err = createApiError(
      {
        service: "mlflow",
        method: "POST",
        url: "http://h/x",
        status: 400,
        serviceCode: "RESOURCE_ALREADY_EXISTS",
      },
      "conflict",
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toContain("RESOURCE_ALREADY_EXISTS");
  });

  it("ConfigError names the variables that would provide a setting", () => {
    const err = new ConfigError("No MLflow tracking server configured", { sources: ["MLFLOW_TRACKING_URI"] });
    expect(err.code).toBe("CONFIG_ERROR");
    expect(err.message).toContain("MLFLOW_TRACKING_URI");
    expect(err.sources).toEqual(["MLFLOW_TRACKING_URI"]);
  });

  it("ValidationError renders zod issues as readable lines with paths", () => {
    const schema = z.object({
      code: z.object({ gitSha: z.string().regex(/^[0-9a-f]{40}$/) }),
      tags: z.array(z.string()),
    });
    const res = schema.safeParse({ code: { gitSha: "nope" }, tags: ["a", 3] });
    expect(res.success).toBe(false);
    const err = ValidationError.fromZod("trace context", res.error!);
    expect(err.issues.map((i) => i.path)).toEqual(["code.gitSha", "tags[1]"]);
    expect(err.message.split("\n")[0]).toBe("Invalid trace context");
    expect(err.message).toContain("\n  - code.gitSha:");
  });

  it("isModelTrailError works across realms and by code", () => {
    const err = new NotFoundError({ service: "s", method: "GET", url: "http://h", status: 404 });
    expect(isModelTrailError(err)).toBe(true);
    expect(isModelTrailError(err, "NOT_FOUND")).toBe(true);
    expect(isModelTrailError(err, "CONFLICT")).toBe(false);
    expect(isModelTrailError(new Error("x"))).toBe(false);
    expect(isModelTrailError(null)).toBe(false);
    // An error made in another realm carries the registered symbol but is not an instance of our class.
    const foreign = runInNewContext(
      'const e = new Error("x"); Object.defineProperty(e, Symbol.for("modeltrail.error"), { value: true }); e.code = "TIMEOUT"; e',
    );
    expect(foreign instanceof ModelTrailError).toBe(false);
    expect(isModelTrailError(foreign, "TIMEOUT")).toBe(true);
  });

  it("serializes without secrets and with its fields", () => {
    const secret = "dapi0123456789abcdef0123456789abcdef";
    const err = new ApiError({
      service: "databricks",
      method: "GET",
      url: `https://u:hunter2pass@host/api?access_token=${secret}`,
      status: 500,
      serviceMessage: `token ${secret} rejected`,
      cause: new Error(`upstream said Bearer ${secret}`),
    });
    const all = [err.message, JSON.stringify(err), inspect(err, { depth: 8 }), String(err.stack)].join("\n");
    expect(all).not.toContain(secret);
    expect(all).not.toContain("hunter2pass");
    const json = JSON.parse(JSON.stringify(err));
    expect(json).toMatchObject({ name: "ApiError", code: "API_ERROR", status: 500, service: "databricks" });
  });
});
