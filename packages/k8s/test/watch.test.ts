import { AbortError, ForbiddenError, ValidationError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import type { WatchEvent } from "../src/index.js";
import { status, useFakeApiServer, watchStream } from "./fake-api-server.js";

const fake = useFakeApiServer();
const PATH = "/apis/apps/v1/namespaces/ns/deployments";
const dep = (name: string, rv: string, replicas = 1) => ({
  metadata: { name, resourceVersion: rv },
  spec: { replicas },
});

/** Serves lists and watches: `lists` in order for list requests, `watches` in order for watch requests. */
function serve(lists: Array<() => Response>, watches: Array<() => Response>) {
  let l = 0;
  let w = 0;
  fake.server.use(
    http.get(`${fake.server.url}${PATH}`, ({ request }) => {
      const watching = new URL(request.url).searchParams.get("watch") === "1";
      if (watching) {
        const next = watches[w++];
        return next ? next() : watchStream([], { holdMs: 60_000 });
      }
      return (lists[l++] ?? lists[lists.length - 1]!)();
    }),
  );
}
const watchQueries = () =>
  fake.server.requests
    .map((r) => new URL(r.path, fake.server.url).searchParams)
    .filter((q) => q.get("watch") === "1")
    .map((q) => q.get("resourceVersion"));

/** Collects events until `count` are seen, then stops the watch. */
async function collect(iter: AsyncGenerator<WatchEvent<unknown>>, count: number) {
  const out: Array<{ type: string; name?: string; rv?: string; n?: number }> = [];
  for await (const ev of iter) {
    if (ev.type === "SYNC") out.push({ type: ev.type, rv: ev.resourceVersion, n: ev.items.length });
    else if (ev.type === "BOOKMARK") out.push({ type: ev.type, rv: ev.resourceVersion });
    else out.push({ type: ev.type, name: (ev.object as { metadata?: { name?: string } }).metadata?.name });
    if (out.length >= count) break;
  }
  return out;
}

describe("watch", () => {
  it("lists first, then streams events and bookmarks, and resumes from the last version when the server ends the watch", async () => {
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "100" }, items: [dep("a", "90")] })],
      [
        () =>
          watchStream([
            { type: "ADDED", object: dep("b", "101") },
            { type: "BOOKMARK", object: { kind: "Deployment", metadata: { resourceVersion: "105" } } },
          ]),
        () =>
          watchStream([
            { type: "MODIFIED", object: dep("b", "110", 2) },
            { type: "DELETED", object: dep("a", "111") },
          ]),
      ],
    );
    const events = await collect(
      fake.kube.deployments.watch({ labelSelector: { app: "web" }, timeoutSeconds: 30 }),
      5,
    );
    expect(events).toEqual([
      { type: "SYNC", rv: "100", n: 1 },
      { type: "ADDED", name: "b" },
      { type: "BOOKMARK", rv: "105" },
      { type: "MODIFIED", name: "b" },
      { type: "DELETED", name: "a" },
    ]);
    expect(watchQueries()).toEqual(["100", "105"]);
    const q = new URL(fake.server.requests[1]!.path, fake.server.url).searchParams;
    expect(q.get("allowWatchBookmarks")).toBe("true");
    expect(q.get("timeoutSeconds")).toBe("30");
    expect(q.get("labelSelector")).toBe("app=web");
  });

  it("lists again when an ERROR event with code 410 arrives inside the stream", async () => {
    serve(
      [
        () => HttpResponse.json({ metadata: { resourceVersion: "100" }, items: [] }),
        () =>
          HttpResponse.json({
            metadata: { resourceVersion: "500" },
            items: [dep("a", "450"), dep("b", "460")],
          }),
      ],
      [
        () =>
          watchStream([
            { type: "ADDED", object: dep("a", "101") },
            {
              type: "ERROR",
              object: {
                kind: "Status",
                status: "Failure",
                reason: "Expired",
                code: 410,
                message: "too old resource version: 101 (450)",
              },
            },
          ]),
        () => watchStream([{ type: "MODIFIED", object: dep("b", "501") }]),
      ],
    );
    const progress: string[] = [];
    const events = await collect(
      fake.kube.deployments.watch({ onProgress: (p) => progress.push(p.type) }),
      4,
    );
    expect(events).toEqual([
      { type: "SYNC", rv: "100", n: 0 },
      { type: "ADDED", name: "a" },
      { type: "SYNC", rv: "500", n: 2 },
      { type: "MODIFIED", name: "b" },
    ]);
    expect(watchQueries()).toEqual(["100", "500"]);
    expect(progress).toEqual(["relist"]);
  });

  it("lists again when the watch request itself answers HTTP 410", async () => {
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "700" }, items: [dep("a", "650")] })],
      [
        () => status(410, "Expired", "too old resource version: 5 (650)"),
        () => watchStream([{ type: "ADDED", object: dep("c", "701") }]),
      ],
    );
    const events = await collect(fake.kube.deployments.watch({ resourceVersion: "5" }), 2);
    expect(events).toEqual([
      { type: "SYNC", rv: "700", n: 1 },
      { type: "ADDED", name: "c" },
    ]);
    expect(watchQueries()).toEqual(["5", "700"]);
  });

  it("reconnects from the last version after the connection drops mid-stream", async () => {
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] })],
      [
        () => watchStream([{ type: "ADDED", object: dep("a", "2") }], { fail: true }),
        () => watchStream([{ type: "ADDED", object: dep("b", "3") }]),
      ],
    );
    const progress: string[] = [];
    const events = await collect(
      fake.kube.deployments.watch({ onProgress: (p) => progress.push(p.type) }),
      3,
    );
    expect(events.map((e) => e.name ?? e.type)).toEqual(["SYNC", "a", "b"]);
    expect(watchQueries()).toEqual(["1", "2"]);
    expect(progress).toEqual(["reconnect"]);
  });

  it("gives up after repeated failed reconnects", async () => {
    serve([() => HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] })], []);
    fake.server.use(
      http.get(`${fake.server.url}${PATH}`, ({ request }) =>
        new URL(request.url).searchParams.get("watch") === "1"
          ? watchStream([], { fail: true })
          : HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] }),
      ),
    );
    await expect(collect(fake.kube.deployments.watch({ maxReconnects: 2 }), 10)).rejects.toThrow(/watch/);
    expect(watchQueries()).toHaveLength(3);
  });

  it("throws the error of a non-expiry ERROR event", async () => {
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] })],
      [
        () =>
          watchStream([
            {
              type: "ERROR",
              object: { kind: "Status", reason: "Forbidden", code: 403, message: "watch is forbidden" },
            },
          ]),
      ],
    );
    await expect(collect(fake.kube.deployments.watch(), 10)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("refuses an endless line and a line that is not JSON", async () => {
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] })],
      [() => watchStream(["x".repeat(5000)])],
    );
    await expect(collect(fake.kube.deployments.watch({ maxEventBytes: 1024 }), 10)).rejects.toThrow(
      /longer than 1024 bytes/,
    );
    fake.server.resetHandlers();
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] })],
      [() => watchStream(["<html>proxy</html>"])],
    );
    await expect(collect(fake.kube.deployments.watch(), 10)).rejects.toBeInstanceOf(ValidationError);
  });

  it("quotes a line that is not JSON redacted first, then cut, so a token across the cut leaks nothing", async () => {
    // the token runs from character 110 to 146: a cut at 120 before redaction kept "dapi012345"
    const token = `dapi${"0123456789abcdef".repeat(2)}`;
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] })],
      [() => watchStream([`${"<".repeat(109)} ${token} ${">".repeat(50)}`])],
    );
    const err = await collect(fake.kube.deployments.watch(), 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const all = `${(err as Error).message}\n${JSON.stringify(err)}\n${(err as Error).stack}`;
    expect(all).toContain("[REDACTED]");
    expect(all).not.toContain(token.slice(0, 8));
  });

  it("stops with an AbortError when the signal fires while the watch is idle", async () => {
    serve(
      [() => HttpResponse.json({ metadata: { resourceVersion: "1" }, items: [] })],
      [() => watchStream([], { holdMs: 30_000 })],
    );
    const controller = new AbortController();
    const iter = fake.kube.deployments.watch({ signal: controller.signal });
    expect((await iter.next()).value).toMatchObject({ type: "SYNC" });
    setTimeout(() => controller.abort(), 100);
    await expect(iter.next()).rejects.toBeInstanceOf(AbortError);
  });
});
