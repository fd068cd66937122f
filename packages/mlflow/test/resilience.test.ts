import { NetworkError, RateLimitError, ServerError, ValidationError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import type { MlflowClient } from "../src/index.js";
import { useFakeMlflowServer } from "./fake-mlflow-server.js";

const fixture = useFakeMlflowServer();
let delays: number[];

const run = {
  info: {
    run_id: "r1",
    experiment_id: "1",
    status: "RUNNING",
    artifact_uri: "mlflow-artifacts:/1/r1/artifacts",
  },
  data: {},
};

/** The client of the running test (one test keeps using the one `makeClient` made). */
let client: MlflowClient;
function makeClient(maxRetries = 5) {
  delays = [];
  client = fixture.client({
    retry: { maxRetries, baseDelayMs: 1, maxDelayMs: 5 },
    // recorded instead of waited: Retry-After values are asserted, not slept
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  return client;
}

function storm(count: number, status: number, body: Record<string, string>, retryAfter?: string) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    respond: () => {
      calls++;
      if (calls <= count)
        return HttpResponse.json(body, { status, headers: retryAfter ? { "retry-after": retryAfter } : {} });
      return HttpResponse.json({ run });
    },
  };
}

describe("transient failures", () => {
  it("rides out a 429 storm honouring Retry-After", async () => {
    const s = storm(4, 429, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" }, "3");
    fixture.server.use(http.get("*/api/2.0/mlflow/runs/get", s.respond));
    const got = await makeClient().runs.get("r1");
    expect(got.info.run_id).toBe("r1");
    expect(s.calls).toBe(5);
    expect(delays).toEqual([3000, 3000, 3000, 3000]);
  });

  it("rides out a 503 storm with TEMPORARILY_UNAVAILABLE and an HTTP-date Retry-After", async () => {
    const date = new Date(Date.now() + 2000).toUTCString();
    const s = storm(3, 503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" }, date);
    fixture.server.use(http.get("*/api/2.0/mlflow/runs/get", s.respond));
    await makeClient().runs.get("r1");
    expect(s.calls).toBe(4);
    expect(delays).toHaveLength(3);
    for (const d of delays) {
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });

  it("gives up after the retry budget with a RateLimitError carrying Retry-After", async () => {
    const s = storm(100, 429, { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" }, "1");
    fixture.server.use(http.get("*/api/2.0/mlflow/runs/get", s.respond));
    const err = await makeClient(3)
      .runs.get("r1")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterSeconds).toBe(1);
    expect(s.calls).toBe(4);
  });

  it("retries searches and log-batch (safe to repeat) but never runs/create", async () => {
    const search = storm(2, 503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" }, "0");
    fixture.server.use(
      http.post("*/api/2.0/mlflow/runs/search", () => {
        const r = search.respond();
        return r.status === 200 ? HttpResponse.json({ runs: [run] }) : r;
      }),
    );
    const found = [];
    for await (const r of makeClient().runs.search({ experimentIds: ["1"] })) found.push(r);
    expect(found).toHaveLength(1);
    expect(search.calls).toBe(3);

    const batch = storm(2, 500, { error_code: "INTERNAL_ERROR", message: "db" });
    fixture.server.use(
      http.post("*/api/2.0/mlflow/runs/log-batch", () => {
        const r = batch.respond();
        return r.status === 200 ? HttpResponse.json({}) : r;
      }),
    );
    await client.runs.logBatch("r1", { params: { a: "1" } });
    expect(batch.calls).toBe(3);

    const create = storm(5, 503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "busy" }, "0");
    fixture.server.use(http.post("*/api/2.0/mlflow/runs/create", create.respond));
    await expect(client.runs.create({ experimentId: "1" })).rejects.toBeInstanceOf(ServerError);
    expect(create.calls).toBe(1);
  });
});

describe("malformed responses", () => {
  it("a non-JSON 200 is a ValidationError that says so", async () => {
    fixture.server.use(
      http.get(
        "*/api/2.0/mlflow/runs/get",
        () =>
          new HttpResponse("<html><body>Sign in</body></html>", {
            status: 200,
            headers: { "content-type": "text/html" },
          }),
      ),
    );
    const err = await makeClient()
      .runs.get("r1")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain("not valid JSON");
    expect((err as Error).message).toContain("Sign in");
  });

  it("truncated JSON is a ValidationError", async () => {
    fixture.server.use(
      http.get(
        "*/api/2.0/mlflow/runs/get",
        () => new HttpResponse('{"run": {"info": {"run_id": "r1"', { status: 200 }),
      ),
    );
    await expect(makeClient().runs.get("r1")).rejects.toBeInstanceOf(ValidationError);
  });

  it("JSON of the wrong shape is a ValidationError naming the field", async () => {
    fixture.server.use(
      http.get("*/api/2.0/mlflow/runs/get", () => HttpResponse.json({ run: { info: { run_id: 42 } } })),
    );
    const err = await makeClient()
      .runs.get("r1")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toContain("run.info.run_id");
  });

  it("unknown fields and values from a newer server are accepted", async () => {
    fixture.server.use(
      http.get("*/api/2.0/mlflow/runs/get", () =>
        HttpResponse.json({
          run: { ...run, info: { ...run.info, status: "PAUSED_NEW", shiny: 1 }, outputs: { x: 1 } },
        }),
      ),
    );
    const got = await makeClient().runs.get("r1");
    expect(got.info.status).toBe("PAUSED_NEW");
    expect((got.info as Record<string, unknown>).shiny).toBe(1);
  });

  it("a connection dropped before the answer of a GET is retried", async () => {
    let calls = 0;
    fixture.server.use(
      http.get("*/api/2.0/mlflow/runs/get", () => {
        calls++;
        if (calls === 1)
          return new HttpResponse(
            new ReadableStream({
              pull(c) {
                c.error(new Error("drop"));
              },
            }),
          );
        return HttpResponse.json({ run });
      }),
    );
    const got = await makeClient().runs.get("r1");
    expect(got.info.run_id).toBe("r1");
    expect(calls).toBe(2);
  });

  it("a dropped connection on a non-retryable POST surfaces as NetworkError", async () => {
    fixture.server.use(
      http.post(
        "*/api/2.0/mlflow/runs/create",
        () =>
          new HttpResponse(
            new ReadableStream({
              pull(c) {
                c.error(new Error("drop"));
              },
            }),
          ),
      ),
    );
    await expect(makeClient().runs.create({ experimentId: "1" })).rejects.toBeInstanceOf(NetworkError);
  });
});
