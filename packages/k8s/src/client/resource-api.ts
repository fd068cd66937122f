import type { CallOptions } from "@modeltrail/core";
import { ValidationError } from "@modeltrail/core";
import { type HttpClient, pickCallOptions, type QueryValue } from "@modeltrail/core/internal";
import { apiVersionOf, type KubeObject, type ResourceKind } from "./resource-kinds.js";
import type {
  ApplyConfiguration,
  ApplyOptions,
  DeleteOptions,
  KubeList,
  ListOptions,
  NamespacedOptions,
  PatchOptions,
  PatchType,
} from "./resource-options.js";
import { selectorString } from "./selectors.js";
import { type WatchEvent, type WatchOptions, watchResource } from "./watch.js";

export type {
  ApplyConfiguration,
  ApplyOptions,
  DeleteOptions,
  KubeList,
  ListOptions,
  NamespacedOptions,
  PatchOptions,
  PatchType,
};

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** DNS-1123 subdomain (most object names) or label (namespaces): what may stand in a URL path. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function call(options: CallOptions): CallOptions {
  return pickCallOptions(options);
}

/**
 * Typed operations on one kind of resource (get, list, watch, server-side apply, patch, delete),
 * over the client's transport. Every method takes core's CallOptions (signal, timeoutMs,
 * deadlineMs, retry, headers), plus the namespace when the kind is namespaced. Errors are the
 * API server's `kind: Status` mapped onto modeltrail's hierarchy (see `mapKubeError`).
 */
export class ResourceApi<T extends KubeObject> {
  constructor(
    private readonly http: HttpClient,
    /** The kind this API operates on. */
    readonly kind: ResourceKind<T>,
    private readonly defaultNamespace: string,
  ) {}

  /** The URL path of the collection or of one object. Throws ValidationError for an invalid name or namespace. */
  path(namespace: string | undefined, name?: string): string {
    const base =
      this.kind.group === "" ? `/api/${this.kind.version}` : `/apis/${this.kind.group}/${this.kind.version}`;
    let path = base;
    if (this.kind.namespaced) {
      const ns = namespace ?? this.defaultNamespace;
      if (!NAMESPACE.test(ns) || ns.length > 63) {
        throw new ValidationError(`Invalid Kubernetes namespace "${ns}"`, {
          hint: "A namespace is a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
        });
      }
      path += `/namespaces/${ns}`;
    }
    path += `/${this.kind.plural}`;
    if (name !== undefined) {
      if (!OBJECT_NAME.test(name) || name.length > 253) {
        throw new ValidationError(`Invalid ${this.kind.kind} name "${name}"`, {
          hint: "A name is a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', at most 253 characters",
        });
      }
      path += `/${name}`;
    }
    return path;
  }

  /** Reads one object. Throws NotFoundError when it does not exist. */
  get(name: string, options: NamespacedOptions = {}): Promise<T> {
    return this.http.json<T>({ ...call(options), path: this.path(options.namespace, name) });
  }

  /** Reads one object, or undefined when it does not exist. */
  async find(name: string, options: NamespacedOptions = {}): Promise<T | undefined> {
    const res = await this.http.request({
      ...call(options),
      path: this.path(options.namespace, name),
      headers: { accept: "application/json", ...options.headers },
      okStatuses: [404],
    });
    if (res.status === 404) {
      await res.dump();
      return undefined;
    }
    return (await res.json()) as T;
  }

  /**
   * Lists the objects matching the selectors, following `continue` tokens until the list is complete.
   * Throws ApiError subclasses (e.g. BadRequestError for a malformed selector).
   */
  async list(options: ListOptions = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = "";
    for (let page = 0; page < 100_000; page++) {
      const query: Record<string, QueryValue> = {
        labelSelector: selectorString(options.labelSelector),
        fieldSelector: selectorString(options.fieldSelector),
        limit: options.limit ?? 500,
        continue: cont,
      };
      const body = await this.http.json<{
        items?: T[] | null;
        metadata?: { resourceVersion?: string; continue?: string };
      }>({
        ...call(options),
        path: this.path(options.namespace),
        query,
      });
      for (const item of body.items ?? []) items.push(this.withKind(item));
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
      cont = body.metadata?.continue || undefined;
      if (cont === undefined) break;
    }
    return { items, resourceVersion };
  }

  /**
   * Watches the objects matching the selectors. Without `resourceVersion` it first lists them and
   * yields one `SYNC` event with the complete list; then `ADDED`/`MODIFIED`/`DELETED` events and
   * `BOOKMARK`s. It resumes from the last resource version when the server ends a watch or the
   * connection drops, and when that version has expired (HTTP 410, or an `ERROR` event with code
   * 410) it lists again and yields a new `SYNC`: treat its items as a replacement of what you know.
   * End it with `break` or the signal. Throws AbortError on abort, ApiError subclasses for other
   * errors, NetworkError after repeated failed reconnects.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    return watchResource<T>({
      http: this.http,
      path: this.path(options.namespace),
      list: (listOptions) => this.list({ ...options, ...listOptions }),
      options,
    });
  }

  /**
   * Server-side apply (`application/apply-patch+yaml`) of a complete object as `fieldManager`: creates
   * it or updates the fields this manager sets. Throws ApplyConflictError listing each field owned
   * by another manager (unless `force`), BadRequestError for an invalid object, ValidationError when
   * the object has no name or the wrong kind.
   */
  apply(object: ApplyConfiguration<T>, options: ApplyOptions): Promise<T> {
    const name = object.metadata?.name;
    if (!name) throw new ValidationError(`Cannot apply a ${this.kind.kind} without metadata.name`);
    if (object.kind !== undefined && object.kind !== this.kind.kind) {
      throw new ValidationError(`Cannot apply a ${object.kind} with the ${this.kind.kind} API`);
    }
    if (!options.fieldManager) {
      throw new ValidationError("Server-side apply needs a fieldManager", {
        hint: 'Pass fieldManager, e.g. "modeltrail"',
      });
    }
    const namespace = options.namespace ?? object.metadata?.namespace;
    const body = { ...object, apiVersion: apiVersionOf(this.kind), kind: this.kind.kind };
    return this.http.json<T>({
      ...call(options),
      method: "PATCH",
      path: this.path(namespace, name),
      query: {
        fieldManager: options.fieldManager,
        force: options.force ? true : undefined,
        dryRun: options.dryRun ? "All" : undefined,
      },
      body: JSON.stringify(body),
      headers: { "content-type": "application/apply-patch+yaml", ...options.headers },
      // The same apply twice gives the same object: safe to retry.
      retrySafe: true,
    });
  }

  /**
   * Patches an object: JSON merge patch (default), JSON patch (an array of operations) or strategic
   * merge patch. A merge or strategic patch is retried like an idempotent request; a JSON patch is
   * not (an `add` to a list would apply twice). Throws NotFoundError, BadRequestError, ConflictError.
   */
  patch(name: string, patch: unknown, options: PatchOptions = {}): Promise<T> {
    const type = options.type ?? "merge";
    if (type === "json" && !Array.isArray(patch)) {
      throw new ValidationError("A JSON patch must be an array of operations", {
        hint: 'Pass [{ "op": "replace", "path": "/spec/replicas", "value": 3 }], or use type "merge"',
      });
    }
    return this.http.json<T>({
      ...call(options),
      method: "PATCH",
      path: this.path(options.namespace, name),
      query: { fieldManager: options.fieldManager, dryRun: options.dryRun ? "All" : undefined },
      body: JSON.stringify(patch),
      headers: { "content-type": PATCH_CONTENT_TYPES[type], ...options.headers },
      retrySafe: type !== "json",
    });
  }

  /**
   * Deletes an object with the given propagation policy. Returns what the server answered (the
   * object while it is being finalized, or a Status). Throws NotFoundError when it does not exist.
   */
  delete(name: string, options: DeleteOptions = {}): Promise<unknown> {
    const body = {
      apiVersion: "v1",
      kind: "DeleteOptions",
      ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
      ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
      ...(options.preconditions ? { preconditions: options.preconditions } : {}),
    };
    return this.http.json({
      ...call(options),
      method: "DELETE",
      path: this.path(options.namespace, name),
      query: { dryRun: options.dryRun ? "All" : undefined },
      json: body,
    });
  }

  /** List items come without apiVersion and kind; put them back so each object stands alone. */
  private withKind(item: T): T {
    return { apiVersion: apiVersionOf(this.kind), kind: this.kind.kind, ...item };
  }
}
