import { describe, expect, inject, it } from "vitest";

describe("integration MLflow server (global setup)", () => {
  it("answers /health and the REST API", async () => {
    const url = inject("mlflowUri");
    expect(url).toMatch(/^https?:\/\//);
    const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    const res = await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default`, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { experiment: { experiment_id: string } };
    expect(body.experiment.experiment_id).toBe("0");
  });
});
