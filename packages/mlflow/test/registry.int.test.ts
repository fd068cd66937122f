import { randomUUID } from "node:crypto";
import { ConflictError, NotFoundError, ValidationError } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MlflowClient, type Run, tagsToRecord } from "../src/index.js";

const uid = () => randomUUID().slice(0, 8);

describe("MLflow model registry against a real server", () => {
  let client: MlflowClient;
  let run: Run;
  const name = `modeltrail-registry-${uid()}`;

  beforeAll(async () => {
    client = new MlflowClient({ trackingUri: inject("mlflowUri"), env: {} });
    const experimentId = await client.experiments.create(`modeltrail-registry-${uid()}`);
    run = await client.runs.create({ experimentId });
  });
  afterAll(async () => {
    await client.close();
  });

  it("creates, gets, searches, tags and describes registered models", async () => {
    const created = await client.registeredModels.create(name, {
      description: "first",
      tags: { team: "risk" },
    });
    expect(created.name).toBe(name);
    await expect(client.registeredModels.create(name)).rejects.toBeInstanceOf(ConflictError);
    await client.registeredModels.setTag(name, "owner", "alice");
    await client.registeredModels.setTag(name, "gone", "x");
    await client.registeredModels.deleteTag(name, "gone");
    const updated = await client.registeredModels.updateDescription(name, "second");
    expect(updated.description).toBe("second");
    const got = await client.registeredModels.get(name);
    expect(tagsToRecord(got.tags)).toEqual({ team: "risk", owner: "alice" });

    const found: string[] = [];
    for await (const m of client.registeredModels.search({ filter: `name = '${name}'` })) found.push(m.name);
    expect(found).toEqual([name]);
    const prefix = `${name}-page`;
    for (const i of [0, 1, 2]) await client.registeredModels.create(`${prefix}-${i}`);
    const paged: string[] = [];
    for await (const m of client.registeredModels.search({
      filter: `name LIKE '${prefix}-%'`,
      pageSize: 2,
      orderBy: ["name ASC"],
    }))
      paged.push(m.name);
    expect(paged).toEqual([0, 1, 2].map((i) => `${prefix}-${i}`));
    await expect(client.registeredModels.get(`missing-${uid()}`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("creates versions; gets, searches (run_id, tags), tags, describes, aliases and deletes them", async () => {
    const source = `${run.info.artifact_uri}/model`;
    const v1 = await client.modelVersions.create({
      name,
      source,
      runId: run.info.run_id,
      tags: { GIT_SHA: "1111111" },
      runLink: "http://example.com/run",
      description: "v1",
    });
    expect(v1.version).toBe("1");
    expect(v1.run_link).toBe("http://example.com/run");
    const v2 = await client.modelVersions.create({
      name,
      source,
      runId: run.info.run_id,
      tags: { GIT_SHA: "2222222" },
    });
    expect(v2.version).toBe("2");

    const got = await client.modelVersions.get(name, 1);
    expect(got).toMatchObject({ name, version: "1", source, run_id: run.info.run_id, description: "v1" });
    expect(tagsToRecord(got.tags)).toEqual({ GIT_SHA: "1111111" });

    const byRun: string[] = [];
    for await (const v of client.modelVersions.search({
      filter: `run_id = '${run.info.run_id}'`,
      pageSize: 1,
    }))
      byRun.push(v.version);
    expect(byRun.sort()).toEqual(["1", "2"]);
    const byTag: string[] = [];
    for await (const v of client.modelVersions.search({
      filter: `name = '${name}' AND tags.GIT_SHA = '2222222'`,
    }))
      byTag.push(v.version);
    expect(byTag).toEqual(["2"]);
    const all: string[] = [];
    for await (const v of client.modelVersions.listForModel(name)) all.push(v.version);
    expect(all.sort()).toEqual(["1", "2"]);

    await client.modelVersions.setTag(name, 2, "validated", "true");
    await client.modelVersions.setTag(name, 2, "gone", "x");
    await client.modelVersions.deleteTag(name, 2, "gone");
    const described = await client.modelVersions.updateDescription(name, 2, "second version");
    expect(described.description).toBe("second version");
    expect(tagsToRecord((await client.modelVersions.get(name, 2)).tags)).toEqual({
      GIT_SHA: "2222222",
      validated: "true",
    });

    await client.registeredModels.setAlias(name, "champion", "1");
    expect((await client.registeredModels.getVersionByAlias(name, "champion")).version).toBe("1");
    await client.registeredModels.setAlias(name, "champion", "2");
    expect((await client.registeredModels.getVersionByAlias(name, "champion")).version).toBe("2");
    await client.registeredModels.deleteAlias(name, "champion");
    await expect(client.registeredModels.getVersionByAlias(name, "champion")).rejects.toBeInstanceOf(
      NotFoundError,
    );

    const latest = await client.registeredModels.getLatestVersions(name);
    expect(latest.map((v) => v.version)).toEqual(["2"]);
    expect(await client.registeredModels.getLatestVersions(name, ["Production"])).toEqual([]);

    expect(await client.modelVersions.getDownloadUri(name, 1)).toBe(source);

    await expect(
      client.modelVersions.create({ name, source, tags: { big: "x".repeat(100_001) } }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it("resolves runs:/, models:/ and mlflow-artifacts:/ URIs", async () => {
    const runRoot = run.info.artifact_uri!;
    const byRun = await client.resolveUri(`runs:/${run.info.run_id}/model`);
    expect(byRun).toMatchObject({
      runId: run.info.run_id,
      artifactUri: `${runRoot}/model`,
      artifactRoot: runRoot,
      path: "model",
    });
    expect(byRun.proxyPath).toBe(`${runRoot.replace("mlflow-artifacts:/", "")}/model`);

    await client.registeredModels.setAlias(name, "prod", "1");
    for (const uri of [`models:/${name}/1`, `models:/${name}@prod`]) {
      const loc = await client.resolveUri(uri);
      expect(loc).toMatchObject({ runId: run.info.run_id, artifactUri: `${runRoot}/model`, path: "model" });
      expect(loc.modelVersion?.version).toBe("1");
    }
    const latest = await client.resolveUri(`models:/${name}/latest`);
    expect(latest.modelVersion?.version).toBe("2");
    await expect(client.resolveUri(`models:/${name}/Production`)).rejects.toBeInstanceOf(NotFoundError);
    const staged = await client.modelVersions.transitionStage(name, 1, "Staging");
    expect(staged.current_stage).toBe("Staging");
    const staging = await client.resolveUri(`models:/${name}/staging`);
    expect(staging.modelVersion?.version).toBe("1");
    expect(
      (await client.registeredModels.getLatestVersions(name, ["Staging"])).map((v) => v.version),
    ).toEqual(["1"]);

    // MLflow 3 logged models: models:/<model_id>
    const logged = (await client.http.json({
      method: "POST",
      path: "/api/2.0/mlflow/logged-models",
      json: { experiment_id: run.info.experiment_id, name: "lm", source_run_id: run.info.run_id },
    })) as { model: { info: { model_id: string; artifact_uri: string } } };
    const byId = await client.resolveUri(`models:/${logged.model.info.model_id}`);
    expect(byId).toMatchObject({ artifactUri: logged.model.info.artifact_uri, runId: run.info.run_id });
    expect(byId.proxyPath).toBe(logged.model.info.artifact_uri.replace(/^mlflow-artifacts:\//, ""));
    await expect(client.resolveUri(`models:/${name}/9`)).rejects.toBeInstanceOf(NotFoundError);

    const proxied = await client.resolveUri("mlflow-artifacts:/0/abc/artifacts/x.txt");
    expect(proxied).toMatchObject({
      artifactUri: "mlflow-artifacts:/0/abc/artifacts/x.txt",
      proxyPath: "0/abc/artifacts/x.txt",
    });
    await expect(client.resolveUri("s3://bucket/x")).rejects.toBeInstanceOf(ValidationError);
  });

  it("deletes model versions and registered models", async () => {
    const temp = `modeltrail-delete-${uid()}`;
    await client.registeredModels.create(temp);
    await client.modelVersions.create({
      name: temp,
      source: `${run.info.artifact_uri}/m`,
      runId: run.info.run_id,
    });
    await client.modelVersions.delete(temp, 1);
    await expect(client.modelVersions.get(temp, 1)).rejects.toBeInstanceOf(NotFoundError);
    await client.registeredModels.delete(temp);
    await expect(client.registeredModels.get(temp)).rejects.toBeInstanceOf(NotFoundError);
  });
});
