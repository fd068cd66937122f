import { HttpResponse, http, type RequestHandler } from "msw";

/** A model version in the fake registry. */
export interface FakeVersion {
  name: string;
  version: string;
  source: string;
  run_id: string;
  run_link?: string;
  tags: Array<{ key: string; value: string }>;
  status: string;
}

/**
 * A tiny in-memory MLflow registry (runs/get, registered-models create/get, model-versions
 * create/search/get) for traceability unit tests. `createHook` can replace the create answer, e.g.
 * to drop the connection after the version was stored.
 */
export function fakeRegistry(
  options: { createHook?: (attempt: number, stored: FakeVersion) => Response | undefined } = {},
) {
  const versions: FakeVersion[] = [];
  const models = new Set<string>();
  let createCalls = 0;
  const run = {
    info: {
      run_id: "run1",
      experiment_id: "7",
      status: "FINISHED",
      artifact_uri: "mlflow-artifacts:/7/run1/artifacts",
    },
    data: { tags: [] },
  };
  const handlers: RequestHandler[] = [
    // the run's artifacts: every directory holds an MLflow model
    http.get("*/api/2.0/mlflow-artifacts/artifacts", ({ request }) => {
      const path = new URL(request.url).searchParams.get("path") ?? "";
      return HttpResponse.json(
        path.startsWith("7/run1/artifacts/")
          ? {
              files: [
                { path: "MLmodel", is_dir: false, file_size: 20 },
                { path: "model.bin", is_dir: false, file_size: 7 },
              ],
            }
          : {},
      );
    }),
    http.get("*/api/2.0/mlflow/runs/get", ({ request }) => {
      const id = new URL(request.url).searchParams.get("run_id");
      if (id !== "run1")
        return HttpResponse.json(
          { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Run '${id}' not found` },
          { status: 404 },
        );
      return HttpResponse.json({ run });
    }),
    http.post("*/api/2.0/mlflow/registered-models/create", async ({ request }) => {
      const { name } = (await request.json()) as { name: string };
      if (models.has(name))
        return HttpResponse.json(
          {
            error_code: "RESOURCE_ALREADY_EXISTS",
            message: `Registered Model (name=${name}) already exists.`,
          },
          { status: 400 },
        );
      models.add(name);
      return HttpResponse.json({ registered_model: { name } });
    }),
    http.get("*/api/2.0/mlflow/registered-models/get", ({ request }) => {
      const name = new URL(request.url).searchParams.get("name") ?? "";
      return models.has(name)
        ? HttpResponse.json({ registered_model: { name } })
        : HttpResponse.json({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" }, { status: 404 });
    }),
    http.post("*/api/2.0/mlflow/model-versions/create", async ({ request }) => {
      createCalls++;
      const body = (await request.json()) as Omit<FakeVersion, "version" | "status">;
      const stored: FakeVersion = {
        ...body,
        tags: body.tags ?? [],
        version: String(versions.filter((v) => v.name === body.name).length + 1),
        status: "READY",
      };
      versions.push(stored);
      return options.createHook?.(createCalls, stored) ?? HttpResponse.json({ model_version: stored });
    }),
    http.get("*/api/2.0/mlflow/model-versions/search", ({ request }) => {
      const filter = new URL(request.url).searchParams.get("filter") ?? "";
      const name = /name = '([^']*)'/.exec(filter)?.[1];
      const runId = /run_id = '([^']*)'/.exec(filter)?.[1];
      const tag = /tags\.(\w+) = '([^']*)'/.exec(filter);
      const hits = versions.filter(
        (v) =>
          (!name || v.name === name) &&
          (!runId || v.run_id === runId) &&
          (!tag || v.tags.some((t) => t.key === tag[1] && t.value === tag[2])),
      );
      return HttpResponse.json({ model_versions: hits });
    }),
    http.get("*/api/2.0/mlflow/model-versions/get", ({ request }) => {
      const q = new URL(request.url).searchParams;
      const v = versions.find((x) => x.name === q.get("name") && x.version === q.get("version"));
      return v
        ? HttpResponse.json({ model_version: v })
        : HttpResponse.json({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" }, { status: 404 });
    }),
  ];
  return {
    handlers,
    versions,
    get createCalls() {
      return createCalls;
    },
  };
}

/** A response whose body fails before the first byte: the server destroys the connection. */
export function droppedConnection(): Response {
  return new HttpResponse(
    new ReadableStream({
      pull(c) {
        c.error(new Error("connection dropped by the test"));
      },
    }),
  );
}

/**
 * An in-memory artifact store behind both of MLflow's listing APIs and the artifact proxy. `files`
 * maps store paths (`7/run1/artifacts/model/MLmodel`) to their text; `run` names the run whose
 * `/api/2.0/mlflow/artifacts/list` answers from `<run.prefix>/...` with `root_uri` `run.rootUri`.
 * The proxy lists directories (or one file), serves files with content-length (404 with MLflow's
 * error body when missing) and accepts PUT and DELETE without storing anything.
 */
export function fakeArtifactStore(
  files: Record<string, string>,
  run: { prefix: string; rootUri: string },
): RequestHandler[] {
  const route = "/api/2.0/mlflow-artifacts/artifacts";
  const children = (dir: string) => {
    const out = new Map<string, boolean>();
    for (const p of Object.keys(files)) {
      if (!p.startsWith(`${dir}/`)) continue;
      const [name, ...more] = p.slice(dir.length + 1).split("/");
      out.set(name!, more.length > 0);
    }
    return [...out];
  };
  return [
    http.get("*/api/2.0/mlflow/artifacts/list", ({ request }) => {
      const dir = new URL(request.url).searchParams.get("path") ?? "";
      const listed = children(`${run.prefix}${dir ? `/${dir}` : ""}`).map(([name, isDir]) => ({
        path: dir ? `${dir}/${name}` : name,
        is_dir: isDir,
      }));
      return HttpResponse.json(
        listed.length > 0 ? { root_uri: run.rootUri, files: listed } : { root_uri: run.rootUri },
      );
    }),
    http.get(`*${route}`, ({ request }) => {
      const dir = new URL(request.url).searchParams.get("path") ?? "";
      if (files[dir] !== undefined)
        return HttpResponse.json({ files: [{ path: dir.slice(dir.lastIndexOf("/") + 1), is_dir: false }] });
      const listed = children(dir).map(([name, isDir]) => ({
        path: name,
        is_dir: isDir,
        ...(isDir ? {} : { file_size: Buffer.byteLength(files[`${dir}/${name}`]!) }),
      }));
      return HttpResponse.json(listed.length > 0 ? { files: listed } : {});
    }),
    http.get(`*${route}/*`, ({ request }) => {
      const path = decodeURIComponent(new URL(request.url).pathname.slice(route.length + 1));
      const content = files[path];
      if (content === undefined)
        return HttpResponse.json({ error_code: "RESOURCE_DOES_NOT_EXIST", message: path }, { status: 404 });
      return new HttpResponse(content, { headers: { "content-length": String(Buffer.byteLength(content)) } });
    }),
    http.put(`*${route}/*`, () => HttpResponse.json({})),
    http.delete(`*${route}/*`, () => HttpResponse.json({})),
  ];
}
