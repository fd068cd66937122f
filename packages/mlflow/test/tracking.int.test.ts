import { randomUUID } from "node:crypto";
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MlflowClient, tagsToRecord } from "../src/index.js";

const uid = () => randomUUID().slice(0, 8);

describe("MLflow tracking API against a real server", () => {
  let client: MlflowClient;
  let experimentId: string;
  const experimentName = `modeltrail-tracking-${uid()}`;

  beforeAll(async () => {
    client = new MlflowClient({ trackingUri: inject("mlflowUri"), env: {} });
    experimentId = await client.experiments.create(experimentName, { tags: { team: "ml" } });
  });
  afterAll(async () => {
    await client.close();
  });

  it("gets experiments by id and by name; a second create is a ConflictError (HTTP 400 upstream)", async () => {
    const byId = await client.experiments.get(experimentId);
    expect(byId.name).toBe(experimentName);
    expect(tagsToRecord(byId.tags)).toMatchObject({ team: "ml" });
    const byName = await client.experiments.getByName(experimentName);
    expect(byName.experiment_id).toBe(experimentId);
    const err = await client.experiments.create(experimentName).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).status).toBe(400);
    expect((err as ConflictError).serviceCode).toBe("RESOURCE_ALREADY_EXISTS");
    expect((err as Error).message).not.toContain("[SQL:");
    await expect(client.experiments.getByName(`missing-${uid()}`)).rejects.toBeInstanceOf(NotFoundError);
    expect(await client.experiments.findByName(`missing-${uid()}`)).toBeUndefined();
    expect(await client.experiments.getOrCreate(experimentName)).toBe(experimentId);
    const other = `modeltrail-goc-${uid()}`;
    const created = await client.experiments.getOrCreate(other);
    expect(await client.experiments.getOrCreate(other)).toBe(created);
  });

  it("searches experiments with a filter, across pages", async () => {
    const prefix = `modeltrail-search-${uid()}`;
    for (let i = 0; i < 3; i++) await client.experiments.create(`${prefix}-${i}`);
    const doomed = await client.experiments.create(`${prefix}-deleted`);
    await client.experiments.delete(doomed);
    expect((await client.experiments.get(doomed)).lifecycle_stage).toBe("deleted");
    const deleted: string[] = [];
    for await (const e of client.experiments.search({
      filter: `name LIKE '${prefix}-%'`,
      viewType: "DELETED_ONLY",
    }))
      deleted.push(e.experiment_id);
    expect(deleted).toEqual([doomed]);
    const names: string[] = [];
    for await (const e of client.experiments.search({
      filter: `name LIKE '${prefix}-%'`,
      pageSize: 2,
      orderBy: ["name ASC"],
    }))
      names.push(e.name);
    expect(names).toEqual([`${prefix}-0`, `${prefix}-1`, `${prefix}-2`]);
  });

  it("creates, gets, updates, tags and searches runs", async () => {
    const run = await client.runs.create({ experimentId, runName: "train", tags: { GIT_SHA: "abc123" } });
    const runId = run.info.run_id;
    expect(run.info.status).toBe("RUNNING");
    expect(run.info.artifact_uri).toMatch(/^mlflow-artifacts:\//);
    await client.runs.setTag(runId, "stage", "dev");
    await client.runs.setTag(runId, "to-delete", "x");
    await client.runs.deleteTag(runId, "to-delete");
    const info = await client.runs.update(runId, { status: "FINISHED" });
    expect(info?.status).toBe("FINISHED");
    const got = await client.runs.get(runId);
    const tags = tagsToRecord(got.data.tags);
    expect(tags).toMatchObject({ GIT_SHA: "abc123", stage: "dev", "mlflow.runName": "train" });
    expect(tags["to-delete"]).toBeUndefined();
    expect(got.info.end_time).toBeGreaterThan(0);

    const second = await client.runs.create({ experimentId, tags: { GIT_SHA: "def456" } });
    const third = await client.runs.create({ experimentId, tags: { GIT_SHA: "abc123" } });
    const found: string[] = [];
    for await (const r of client.runs.search({
      experimentIds: [experimentId],
      filter: "tags.GIT_SHA = 'abc123'",
      orderBy: ["attributes.start_time ASC"],
      pageSize: 1,
    }))
      found.push(r.info.run_id);
    expect(found).toEqual([runId, third.info.run_id]);
    expect(found).not.toContain(second.info.run_id);

    await client.runs.delete(second.info.run_id);
    const deleted: string[] = [];
    for await (const r of client.runs.search({ experimentIds: [experimentId], viewType: "DELETED_ONLY" }))
      deleted.push(r.info.run_id);
    expect(deleted).toEqual([second.info.run_id]);
    await expect(client.runs.get(`0${"f".repeat(31)}`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("log-batch splits over the server limits and everything arrives", async () => {
    const run = await client.runs.create({ experimentId });
    const runId = run.info.run_id;
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: "loss",
      value: 1 / (i + 1),
      step: i,
      timestamp: 1_700_000_000_000 + i,
    }));
    metrics.push({ key: "nan_metric", value: Number.NaN, step: 0, timestamp: 1_700_000_000_000 });
    metrics.push({
      key: "inf_metric",
      value: Number.POSITIVE_INFINITY,
      step: 0,
      timestamp: 1_700_000_000_000,
    });
    const params: Record<string, string> = {};
    for (let i = 0; i < 150; i++) params[`p${i}`] = `v${i}`;
    params.long = "x".repeat(6000);
    const tags: Record<string, string> = {};
    for (let i = 0; i < 120; i++) tags[`t${i}`] = "y".repeat(8000);
    const { requests } = await client.runs.logBatch(runId, { metrics, params, tags });
    expect(requests).toBeGreaterThanOrEqual(5);

    const got = await client.runs.get(runId);
    expect(got.data.params).toHaveLength(151);
    expect(tagsToRecord(got.data.params).long).toHaveLength(6000);
    expect(Object.keys(tagsToRecord(got.data.tags)).filter((k) => /^t\d+$/.test(k))).toHaveLength(120);
    const latest = Object.fromEntries(got.data.metrics.map((m) => [m.key, m.value]));
    expect(latest.loss).toBeCloseTo(1 / 2500);
    expect(latest.nan_metric).toBeNaN();
    // MLflow's SQL store keeps +Infinity as the largest double
    expect(latest.inf_metric).toBeGreaterThan(1e308);

    const history: number[] = [];
    for await (const m of client.runs.metricHistory(runId, "loss", { pageSize: 1000 })) history.push(m.step);
    expect(history).toHaveLength(2500);
    expect(new Set(history).size).toBe(2500);
  });

  it("log-batch validates before sending anything", async () => {
    const run = await client.runs.create({ experimentId });
    const err = await client.runs
      .logBatch(run.info.run_id, {
        params: { ok: "1", "bad key!": "x", "../up": "y", big: "z".repeat(6001) },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([
      "params[1].key",
      "params[2].key",
      "params[3].value",
    ]);
    const got = await client.runs.get(run.info.run_id);
    expect(got.data.params).toHaveLength(0);
  });

  it("logs dataset inputs with the mlflow.data.context tag", async () => {
    const run = await client.runs.create({ experimentId });
    await client.runs.logInputs(run.info.run_id, [
      {
        name: "train",
        digest: "d41d8cd9",
        sourceType: "http",
        source: JSON.stringify({ url: "https://example.com/train.parquet" }),
        schema: JSON.stringify({ mlflow_colspec: [{ name: "x", type: "double" }] }),
        profile: JSON.stringify({ num_rows: 10 }),
        context: "training",
      },
    ]);
    const got = await client.runs.get(run.info.run_id);
    expect(got.inputs.dataset_inputs).toHaveLength(1);
    const input = got.inputs.dataset_inputs[0]!;
    expect(input.dataset).toMatchObject({ name: "train", digest: "d41d8cd9", source_type: "http" });
    expect(JSON.parse(input.dataset.profile ?? "{}")).toEqual({ num_rows: 10 });
    expect(tagsToRecord(input.tags)).toEqual({ "mlflow.data.context": "training" });
  });

  it("maps INVALID_PARAMETER_VALUE to BadRequestError", async () => {
    const err = await client.runs
      .search({ experimentIds: [experimentId], filter: "this is not a filter" })
      .next()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).serviceCode).toBe("INVALID_PARAMETER_VALUE");
  });
});
