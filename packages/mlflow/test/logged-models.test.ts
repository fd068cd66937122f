import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NotFoundError, ServerError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { findLoggedModelOfRun, type MlflowClient } from "../src/index.js";
import { fakeArtifactStore } from "./fake-mlflow.js";
import { useFakeMlflowServer } from "./fake-mlflow-server.js";

const RUN_ROOT = "mlflow-artifacts:/7/run1/artifacts";
const MODEL_ROOT = "mlflow-artifacts:/7/models/m-new/artifacts";
const run = { info: { run_id: "run1", experiment_id: "7", artifact_uri: RUN_ROOT } };

const fixture = useFakeMlflowServer();

/** The client of the running test (some tests keep using the one `makeClient` made). */
let client: MlflowClient;
const makeClient = (): MlflowClient => {
  client = fixture.client();
  return client;
};

type Model = { model_id: string; name: string; artifact_uri: string; source_run_id?: string; ts: number };

const loggedModels: Model[] = [
  {
    model_id: "m-other-run",
    name: "model",
    artifact_uri: "mlflow-artifacts:/7/models/m-x/a",
    ts: 9,
    source_run_id: "run2",
  },
  {
    model_id: "m-old",
    name: "model",
    artifact_uri: "mlflow-artifacts:/7/models/m-old/artifacts",
    ts: 1,
    source_run_id: "run1",
  },
  { model_id: "m-new", name: "model", artifact_uri: MODEL_ROOT, ts: 5, source_run_id: "run1" },
];

/**
 * A tracking server with run1 (experiment 7) whose own artifacts are `runFiles` (paths relative to
 * the run root), logged models `models` served two per page, and the proxy serving both.
 */
function fakeServer(options: { runFiles: string[]; models?: Model[] | "unsupported" }) {
  const models = options.models ?? loggedModels;
  const proxyFiles: Record<string, string> = {
    "7/models/m-new/artifacts/MLmodel": "flavors: {}\n",
    "7/models/m-new/artifacts/model.pkl": "pickled-bytes",
  };
  for (const f of options.runFiles) proxyFiles[`7/run1/artifacts/${f}`] = `run:${f}`;
  return [
    http.get("*/api/2.0/mlflow/runs/get", () => HttpResponse.json({ run })),
    http.post("*/api/2.0/mlflow/logged-models/search", async ({ request }) => {
      if (models === "unsupported")
        return HttpResponse.json(
          { error_code: "ENDPOINT_NOT_FOUND", message: "No API route" },
          { status: 404 },
        );
      const body = (await request.json()) as { filter: string; page_token?: string };
      const name = /^name = '(.*)'$/.exec(body.filter)?.[1];
      const matching = models.filter((m) => m.name === name);
      const start = Number(body.page_token ?? 0);
      const page = matching.slice(start, start + 2);
      return HttpResponse.json({
        models: page.map(({ ts, ...info }) => ({ info: { ...info, creation_timestamp_ms: ts } })),
        ...(start + 2 < matching.length ? { next_page_token: String(start + 2) } : {}),
      });
    }),
    ...fakeArtifactStore(proxyFiles, { prefix: "7/run1/artifacts", rootUri: RUN_ROOT }),
  ];
}

const searches = () => fixture.server.requests.filter((r) => r.path.includes("/logged-models/search"));
const lists = () => fixture.server.requests.filter((r) => r.path.includes("/mlflow/artifacts/list"));

describe("findLoggedModelOfRun", () => {
  it("searches the run's experiment by name across pages and keeps the newest model of that run", async () => {
    fixture.server.use(...fakeServer({ runFiles: [] }));
    const found = await findLoggedModelOfRun(makeClient().http, run, "model");
    expect(found).toMatchObject({ model_id: "m-new", artifact_uri: MODEL_ROOT, source_run_id: "run1" });
    expect(searches()).toHaveLength(2);
    expect(JSON.parse(searches()[0]!.body)).toEqual({ experiment_ids: ["7"], filter: "name = 'model'" });
    expect(JSON.parse(searches()[1]!.body)).toMatchObject({ page_token: "2" });
  });

  it("returns undefined when only other runs logged a model of that name", async () => {
    fixture.server.use(...fakeServer({ runFiles: [], models: [loggedModels[0]!] }));
    expect(await findLoggedModelOfRun(makeClient().http, run, "model")).toBeUndefined();
    expect(await findLoggedModelOfRun(client.http, run, "other")).toBeUndefined();
  });
});

describe("runs:/ URIs of MLflow 3 logged models", () => {
  it("keeps the run's own artifacts when they hold the path, without searching logged models", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["model/MLmodel", "model/model.pkl"] }));
    const loc = await makeClient().resolveUri("runs:/run1/model");
    expect(loc).toMatchObject({
      runId: "run1",
      artifactUri: `${RUN_ROOT}/model`,
      artifactRoot: RUN_ROOT,
      path: "model",
      proxyPath: "7/run1/artifacts/model",
    });
    expect(loc.loggedModelId).toBeUndefined();
    expect(lists()).toHaveLength(1);
    expect(new URL(lists()[0]!.path, fixture.server.url).searchParams.get("path")).toBeNull();
    expect(searches()).toHaveLength(0);

    const file = await client.resolveUri("runs:/run1/model/MLmodel");
    expect(file).toMatchObject({ artifactUri: `${RUN_ROOT}/model/MLmodel`, path: "model/MLmodel" });
    expect(new URL(lists()[1]!.path, fixture.server.url).searchParams.get("path")).toBe("model");
    expect(searches()).toHaveLength(0);
  });

  it("resolves to the logged model named by the first segment when the run has nothing there", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"] }));
    const loc = await makeClient().resolveUri("runs:/run1/model");
    expect(loc).toMatchObject({
      uri: "runs:/run1/model",
      runId: "run1",
      loggedModelId: "m-new",
      artifactUri: MODEL_ROOT,
      proxyPath: "7/models/m-new/artifacts",
    });
    const inside = await client.resolveUri("runs:/run1/model/MLmodel");
    expect(inside).toMatchObject({
      runId: "run1",
      loggedModelId: "m-new",
      artifactUri: `${MODEL_ROOT}/MLmodel`,
      proxyPath: "7/models/m-new/artifacts/MLmodel",
    });
    expect(lists()).toHaveLength(2);
    expect(searches().map((r) => JSON.parse(r.body).filter)).toEqual(Array(4).fill("name = 'model'"));

    const dest = await mkdtemp(join(tmpdir(), "mt-logged-"));
    try {
      const result = await client.download("runs:/run1/model", dest);
      const files = Object.fromEntries(
        await Promise.all(
          result.files.map(async (f) => [f.path, await readFile(f.localPath, "utf8")] as const),
        ),
      );
      expect(files).toEqual({ MLmodel: "flavors: {}\n", "model.pkl": "pickled-bytes" });
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it("keeps the run location when neither the run nor a logged model has the path", async () => {
    fixture.server.use(...fakeServer({ runFiles: ["metrics.json"], models: [loggedModels[0]!] }));
    const loc = await makeClient().resolveUri("runs:/run1/model");
    expect(loc).toMatchObject({ runId: "run1", artifactUri: `${RUN_ROOT}/model`, path: "model" });
    expect(loc.loggedModelId).toBeUndefined();
    const dest = await mkdtemp(join(tmpdir(), "mt-logged-"));
    try {
      await expect(client.download("runs:/run1/model", dest)).rejects.toThrow(NotFoundError);
    } finally {
      await rm(dest, { recursive: true, force: true });
    }
  });

  it("keeps the run location on servers without the logged-models API, and the run root as is", async () => {
    fixture.server.use(...fakeServer({ runFiles: [], models: "unsupported" }));
    const loc = await makeClient().resolveUri("runs:/run1/model");
    expect(loc).toMatchObject({ runId: "run1", artifactUri: `${RUN_ROOT}/model`, path: "model" });
    expect(searches()).toHaveLength(1);
    fixture.server.resetHandlers();
    fixture.server.use(...fakeServer({ runFiles: [] }));
    expect(await client.resolveUri("runs:/run1")).toMatchObject({ artifactUri: RUN_ROOT, path: "" });
    expect(lists()).toHaveLength(0);
    expect(searches()).toHaveLength(0);
  });

  it("reports server failures of the lookup instead of guessing", async () => {
    fixture.server.use(
      http.post("*/api/2.0/mlflow/logged-models/search", () =>
        HttpResponse.json({ error_code: "INTERNAL_ERROR", message: "boom" }, { status: 500 }),
      ),
      ...fakeServer({ runFiles: [] }),
    );
    await expect(makeClient().resolveUri("runs:/run1/model")).rejects.toThrow(ServerError);
  });
});
