import { setTimeout as sleep } from "node:timers/promises";
import {
  AbortError,
  ApiError,
  isModelTrailError,
  NetworkError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "@modeltrail/core";
import {
  createApiError,
  type HttpClient,
  type HttpResponse,
  redactedExcerpt,
} from "@modeltrail/core/internal";
import { jsonLines } from "./json-lines.js";
import { isKubeStatus } from "./kube-errors.js";
import type { KubeObject } from "./resource-kinds.js";
import type { KubeList, ListOptions } from "./resource-options.js";
import { selectorString } from "./selectors.js";

/** One event of a watch. */
export type WatchEvent<T> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  /** The server's progress marker: nothing to do but remember the version (done for you). */
  | { type: "BOOKMARK"; resourceVersion: string }
  /** The complete current list: at the start, and after the watched version expired (410). */
  | { type: "SYNC"; items: T[]; resourceVersion: string };

/** Options of `watch`. */
export interface WatchOptions extends Omit<ListOptions, "limit"> {
  /** Start after this resource version instead of listing first. */
  resourceVersion?: string | undefined;
  /** How long the server keeps one watch request open, in seconds, before it is resumed (default 290). */
  timeoutSeconds?: number | undefined;
  /** Consecutive failed reconnects before giving up (default 5). `retry` applies to the lists only. */
  maxReconnects?: number | undefined;
  /** Ask for BOOKMARK events (default true). */
  allowBookmarks?: boolean | undefined;
  /** Largest accepted event, in bytes (default 16 MiB); a longer line is refused with ValidationError. */
  maxEventBytes?: number | undefined;
  /** Receives the watch's own progress: reconnects and relists (for logging). */
  onProgress?: ((event: { type: "reconnect" | "relist"; reason: string }) => void) | undefined;
}

/** Largest accepted watch event (objects are at most ~1.5 MiB in etcd). */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

interface WatchSource<T> {
  http: HttpClient;
  path: string;
  list: (options: { resourceVersion?: string }) => Promise<KubeList<T>>;
  options: WatchOptions;
}

class Expired extends Error {}

/** The watch loop behind `ResourceApi.watch`; see there. */
export async function* watchResource<T extends KubeObject>(
  source: WatchSource<T>,
): AsyncGenerator<WatchEvent<T>> {
  const { http, path, options } = source;
  const signal = options.signal;
  const timeoutSeconds = options.timeoutSeconds ?? 290;
  const maxReconnects = options.maxReconnects ?? 5;
  let resourceVersion = options.resourceVersion;
  let failures = 0;

  const relist = async (): Promise<WatchEvent<T>> => {
    const list = await source.list({});
    resourceVersion = list.resourceVersion;
    return { type: "SYNC", items: list.items, resourceVersion: list.resourceVersion };
  };
  if (resourceVersion === undefined) yield await relist();

  while (true) {
    if (signal?.aborted)
      throw new AbortError(`Kubernetes watch of ${path} was aborted`, { cause: signal.reason });
    let res: HttpResponse | undefined;
    try {
      res = await http.request({
        path,
        signal,
        timeoutMs: options.timeoutMs,
        deadlineMs: options.deadlineMs,
        // This loop reconnects (maxReconnects) from the last version; the transport must not retry as well.
        retry: { ...options.retry, maxRetries: 0 },
        headers: { accept: "application/json", ...options.headers },
        query: {
          watch: 1,
          resourceVersion,
          allowWatchBookmarks: options.allowBookmarks === false ? undefined : true,
          timeoutSeconds,
          labelSelector: selectorString(options.labelSelector),
          fieldSelector: selectorString(options.fieldSelector),
        },
        // The server ends the request after timeoutSeconds; silence much longer than that is a dead connection.
        bodyTimeoutMs: (timeoutSeconds + 60) * 1000,
      });
      for await (const line of jsonLines(res.body, options.maxEventBytes ?? MAX_EVENT_BYTES)) {
        const event = parseEvent<T>(line, path);
        if (event.type === "ERROR") {
          const status = event.object;
          if (
            isKubeStatus(status) &&
            (status.code === 410 || status.reason === "Expired" || status.reason === "Gone")
          ) {
            throw new Expired(status.message ?? "expired");
          }
          throw statusError(status, path);
        }
        failures = 0;
        if (event.type === "BOOKMARK") {
          const rv = event.object.metadata?.resourceVersion;
          if (rv) {
            resourceVersion = rv;
            yield { type: "BOOKMARK", resourceVersion: rv };
          }
          continue;
        }
        const rv = event.object.metadata?.resourceVersion;
        if (rv) resourceVersion = rv;
        yield { type: event.type, object: event.object };
      }
      // The server closed the watch (timeoutSeconds): resume from the last version.
    } catch (err) {
      if (signal?.aborted) throw new AbortError(`Kubernetes watch of ${path} was aborted`, { cause: err });
      if (err instanceof Expired || (err instanceof ApiError && err.status === 410)) {
        options.onProgress?.({ type: "relist", reason: `resource version ${resourceVersion} expired` });
        yield await relist();
        continue;
      }
      if (!reconnectable(err) || ++failures > maxReconnects) {
        if (isModelTrailError(err)) throw err;
        throw new NetworkError(`Kubernetes watch of ${path} failed: ${(err as Error).message}`, undefined, {
          cause: err,
          hint: "Check that the API server is reachable",
        });
      }
      options.onProgress?.({ type: "reconnect", reason: (err as Error).message });
      try {
        await sleep(Math.min(5_000, 250 * 2 ** (failures - 1)), undefined, { signal });
      } catch (e) {
        throw new AbortError(`Kubernetes watch of ${path} was aborted`, { cause: e });
      }
    } finally {
      res?.body.destroy();
    }
  }
}

/** Dropped connections, timeouts and server errors are worth a resumed watch; the rest is not. */
function reconnectable(err: unknown): boolean {
  if (err instanceof NetworkError || err instanceof TimeoutError || err instanceof ServerError) return true;
  if (err instanceof ApiError) return err.status === 429;
  if (isModelTrailError(err)) return false;
  return true; // a raw stream error (socket reset mid-body)
}

type RawEvent<T> =
  | { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"; object: T }
  | { type: "ERROR"; object: unknown };

function parseEvent<T>(line: string, path: string): RawEvent<T> {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new ValidationError(
      `The Kubernetes watch of ${path} sent an event that is not JSON: ${redactedExcerpt(line, 120)}`,
      {
        hint: "Check that the API server URL does not go through a proxy that rewrites responses",
      },
    );
  }
  const type = (doc as { type?: unknown })?.type;
  const object = (doc as { object?: unknown })?.object;
  if (
    (type !== "ADDED" &&
      type !== "MODIFIED" &&
      type !== "DELETED" &&
      type !== "BOOKMARK" &&
      type !== "ERROR") ||
    typeof object !== "object" ||
    object === null
  ) {
    throw new ValidationError(
      `The Kubernetes watch of ${path} sent an unexpected event: ${redactedExcerpt(line, 120)}`,
    );
  }
  return { type, object } as RawEvent<T>;
}

function statusError(status: unknown, path: string): ApiError {
  const s = isKubeStatus(status) ? status : { kind: "Status" as const };
  return createApiError({
    service: "kubernetes",
    status: typeof s.code === "number" ? s.code : 500,
    method: "GET",
    url: path,
    serviceCode: s.reason,
    serviceMessage: s.message ?? "the watch stream reported an error",
  });
}
