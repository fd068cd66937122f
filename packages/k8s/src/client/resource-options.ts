import type { CallOptions } from "@modeltrail/core";
import type { FieldSelector, LabelSelector } from "./selectors.js";

/** An object with every field optional, as server-side apply takes it (only the fields you manage). */
export type ApplyConfiguration<T> =
  T extends ReadonlyArray<infer U>
    ? ReadonlyArray<ApplyConfiguration<U>>
    : T extends object
      ? { [K in keyof T]?: ApplyConfiguration<T[K]> }
      : T;

/** Per-call options of a namespaced operation: the namespace (default: the client's) plus CallOptions. */
export interface NamespacedOptions extends CallOptions {
  /** Namespace (default: the context's namespace). */
  namespace?: string | undefined;
}

/** Options of `list`. */
export interface ListOptions extends NamespacedOptions {
  labelSelector?: LabelSelector | undefined;
  fieldSelector?: FieldSelector | undefined;
  /** Page size; every page is fetched (default 500). */
  limit?: number | undefined;
}

/** A complete list and the resource version it was read at (where a watch can start). */
export interface KubeList<T> {
  items: T[];
  resourceVersion: string;
}

/** Options of `apply` (server-side apply). */
export interface ApplyOptions extends NamespacedOptions {
  /** The field manager that owns what this apply sets (required by server-side apply). */
  fieldManager: string;
  /** Take ownership of fields other managers own instead of failing with ApplyConflictError. */
  force?: boolean | undefined;
  /** Validate and compute the result without persisting it (`dryRun=All`). */
  dryRun?: boolean | undefined;
}

/** Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), Kubernetes strategic merge patch. */
export type PatchType = "merge" | "json" | "strategic";

/** Options of `patch`. */
export interface PatchOptions extends NamespacedOptions {
  /** Patch format (default `merge`). */
  type?: PatchType | undefined;
  fieldManager?: string | undefined;
  dryRun?: boolean | undefined;
}

/** Options of `delete`. */
export interface DeleteOptions extends NamespacedOptions {
  /** What happens to dependents: `Foreground`, `Background` (the API default for most kinds) or `Orphan`. */
  propagationPolicy?: "Foreground" | "Background" | "Orphan" | undefined;
  gracePeriodSeconds?: number | undefined;
  dryRun?: boolean | undefined;
  /** Delete only if the object still has this uid / resource version. */
  preconditions?: { uid?: string; resourceVersion?: string } | undefined;
}
