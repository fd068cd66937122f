import { ValidationError } from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET_CONTEXT_TAG, MlflowClient, prepareDatasetInputs } from "../src/index.js";

const dataset = {
  name: "train",
  digest: "abcd1234",
  sourceType: "s3",
  source: '{"uri":"s3://b/train.parquet"}',
};

describe("dataset inputs", () => {
  it("converts to the wire form with the mlflow.data.context tag first", () => {
    expect(
      prepareDatasetInputs([{ ...dataset, schema: "{}", context: "training", tags: { split: "a" } }]),
    ).toEqual([
      {
        tags: [
          { key: DATASET_CONTEXT_TAG, value: "training" },
          { key: "split", value: "a" },
        ],
        dataset: {
          name: "train",
          digest: "abcd1234",
          source_type: "s3",
          source: dataset.source,
          schema: "{}",
        },
      },
    ]);
  });

  it("lists missing fields and values over MLflow's limits", () => {
    let err: unknown;
    try {
      prepareDatasetInputs([
        { ...dataset, name: "" },
        { ...dataset, digest: "d".repeat(37), context: "c".repeat(501) },
        { ...dataset, source: "s".repeat(65_536) },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([
      "datasets[0].name",
      "datasets[1].digest",
      "datasets[1].tags[0].value",
      "datasets[2].source",
    ]);
  });

  describe("sending", () => {
    let server: MswServer;
    const bodies: Array<{ run_id: string; datasets: unknown[] }> = [];
    beforeAll(async () => {
      server = await startMswServer(
        http.post("*/api/2.0/mlflow/runs/log-inputs", async ({ request }) => {
          bodies.push((await request.json()) as (typeof bodies)[number]);
          return HttpResponse.json({});
        }),
      );
    });
    afterAll(async () => {
      await server.close();
    });

    it("splits more than 1000 datasets into several calls and sends nothing when one is invalid", async () => {
      const client = new MlflowClient({ trackingUri: server.url, env: {} });
      const many = Array.from({ length: 2500 }, (_, i) => ({ ...dataset, name: `d${i}` }));
      await client.runs.logInputs("run1", many);
      expect(bodies.map((b) => b.datasets.length)).toEqual([1000, 1000, 500]);
      expect(bodies.every((b) => b.run_id === "run1")).toBe(true);
      bodies.length = 0;
      await expect(
        client.runs.logInputs("run1", [...many, { ...dataset, digest: "" }]),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(bodies).toHaveLength(0);
      await client.close();
    });
  });
});
