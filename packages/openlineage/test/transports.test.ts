import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError, ConfigError, TimeoutError } from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { delay, HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  OpenLineageFileTransport,
  OpenLineageHttpTransport,
  type RunEvent,
  trainingRunEvent,
} from "../src/index.js";
import { databricksTraining } from "./contexts.js";

const API_KEY = "ol-key-7c1e4b2a9f8d3e6c5b4a3f2e1d0c9b8a";

/** A loopback OpenLineage endpoint that, like Marquez with auth in front, wants the bearer key. */
const lineageEndpoint = http.post("*/api/v1/lineage", async ({ request }) => {
  if (request.headers.get("authorization") !== `Bearer ${API_KEY}`)
    return HttpResponse.json({ code: 401, message: "unauthorized" }, { status: 401 });
  const body = (await request.json()) as RunEvent;
  if (!body.run?.runId || !body.eventType)
    return HttpResponse.json({ code: 422, message: "bad event" }, { status: 422 });
  return new HttpResponse(null, { status: 201 });
});

const event = () =>
  trainingRunEvent(databricksTraining(), { eventType: "START", eventTime: "2026-11-27T18:00:00Z" });

describe("OpenLineageHttpTransport", () => {
  let server: MswServer;
  const transports: OpenLineageHttpTransport[] = [];
  const make = (o: Partial<ConstructorParameters<typeof OpenLineageHttpTransport>[0]> = {}) => {
    const t = new OpenLineageHttpTransport({
      url: server.url,
      apiKey: API_KEY,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      ...o,
    });
    transports.push(t);
    return t;
  };
  beforeAll(async () => {
    server = await startMswServer(lineageEndpoint);
  });
  afterEach(() => {
    server.resetHandlers();
    server.requests.length = 0;
  });
  afterAll(async () => {
    for (const t of transports) await t.close();
    await server.close();
  });

  it("POSTs the event as JSON to /api/v1/lineage with the API key as a bearer token", async () => {
    const e = event();
    await make().emit(e);
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/api/v1/lineage");
    expect(req?.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(req?.body ?? "")).toEqual(e);
  });

  it("a wrong key is a typed 401 error that never shows the key", async () => {
    const wrong = `${API_KEY.slice(0, -4)}0000`;
    const err = await make({ apiKey: wrong })
      .emit(event())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    const shown = `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack}`;
    expect(shown).not.toContain(wrong);
    expect(shown).not.toContain(wrong.slice(0, 16));
  });

  it("retries a 503 (the same event again: the backend keys it by run id and type) and succeeds", async () => {
    let calls = 0;
    server.use(
      http.post("*/api/v1/lineage", () => {
        calls++;
        return calls < 3 ? HttpResponse.json({ message: "busy" }, { status: 503 }) : undefined;
      }),
    );
    await make().emit(event());
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((r) => r.body)).size).toBe(1);
  });

  it("does not retry a 4xx the endpoint refuses the event with", async () => {
    server.use(
      http.post("*/api/v1/lineage", () => HttpResponse.json({ message: "bad event" }, { status: 400 })),
    );
    await expect(make().emit(event())).rejects.toBeInstanceOf(ApiError);
    expect(server.requests).toHaveLength(1);
  });

  it("takes a custom endpoint, extra headers and per-call options (timeout)", async () => {
    server.use(
      http.post("*/lineage/v2/events", async () => {
        await delay(2_000);
        return new HttpResponse(null, { status: 200 });
      }),
    );
    const t = make({
      endpoint: "/lineage/v2/events",
      headers: { "x-tenant": "risk" },
      retry: { maxRetries: 0 },
    });
    await expect(t.emit(event(), { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    expect(server.requests[0]?.path).toBe("/lineage/v2/events");
    expect(server.requests[0]?.headers["x-tenant"]).toBe("risk");
  });

  it("refuses bad configuration with ConfigError", () => {
    expect(() => new OpenLineageHttpTransport({ url: "ftp://x" })).toThrow(ConfigError);
    expect(() => new OpenLineageHttpTransport({ url: "http://127.0.0.1:1", apiKey: " " })).toThrow(
      ConfigError,
    );
    expect(() => new OpenLineageHttpTransport({ url: "http://127.0.0.1:1", endpoint: "api?x=1" })).toThrow(
      ConfigError,
    );
  });
});

describe("OpenLineageFileTransport (JSON lines)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mt-openlineage-file-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("appends one event a line; concurrent emits never interleave", async () => {
    const file = join(dir, "events.jsonl");
    const t = new OpenLineageFileTransport(file);
    const events = Array.from({ length: 50 }, (_, i) =>
      trainingRunEvent(databricksTraining().with({ job: { runId: String(1000 + i) } }), {
        eventType: "COMPLETE",
      }),
    );
    await Promise.all(events.map((e) => t.emit(e)));
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(50);
    const read = lines.map((l) => JSON.parse(l) as RunEvent);
    expect(new Set(read.map((e) => e.run.runId))).toEqual(new Set(events.map((e) => e.run.runId)));
  });

  it("starts a new line after a torn last line, so the next event stays readable", async () => {
    const file = join(dir, "torn.jsonl");
    await writeFile(file, '{"eventType":"START","trunc');
    await new OpenLineageFileTransport(file).emit(event());
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines[0]).toBe('{"eventType":"START","trunc');
    expect(JSON.parse(lines[1] ?? "")).toEqual(event());
  });

  it("throws the file system's error for a missing folder, and refuses an empty path", async () => {
    await expect(
      new OpenLineageFileTransport(join(dir, "no", "such", "x.jsonl")).emit(event()),
    ).rejects.toMatchObject({
      code: "ENOENT",
    });
    expect(() => new OpenLineageFileTransport(" ")).toThrow(ConfigError);
  });
});
