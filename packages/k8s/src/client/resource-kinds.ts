import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1";
import type { ConfigMap, Event, Pod, Service } from "kubernetes-types/core/v1";
import type { ObjectMeta } from "kubernetes-types/meta/v1";

/** Any Kubernetes object: `apiVersion`, `kind`, `metadata`, and the rest of its fields. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** Where a resource lives in the API: group, version, plural name, and whether it is namespaced. */
export interface ResourceKind<T extends KubeObject = KubeObject> {
  /** API group, `""` for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The URL segment, e.g. `deployments`. */
  readonly plural: string;
  readonly namespaced: boolean;
  /** Phantom field carrying the object type. */
  readonly _type?: T;
}

/** `apps/v1` or `v1` for a kind. */
export function apiVersionOf(kind: ResourceKind): string {
  return kind.group === "" ? kind.version : `${kind.group}/${kind.version}`;
}

/** `apps/v1` Deployments. */
export const DEPLOYMENT: ResourceKind<Deployment> = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  plural: "deployments",
  namespaced: true,
};
/** `apps/v1` ReplicaSets. */
export const REPLICA_SET: ResourceKind<ReplicaSet> = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  plural: "replicasets",
  namespaced: true,
};
/** `v1` Services. */
export const SERVICE: ResourceKind<Service> = {
  group: "",
  version: "v1",
  kind: "Service",
  plural: "services",
  namespaced: true,
};
/** `v1` ConfigMaps. */
export const CONFIG_MAP: ResourceKind<ConfigMap> = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  namespaced: true,
};
/** `v1` Pods. */
export const POD: ResourceKind<Pod> = {
  group: "",
  version: "v1",
  kind: "Pod",
  plural: "pods",
  namespaced: true,
};
/** `v1` Events (the core events a `kubectl describe` shows). */
export const EVENT: ResourceKind<Event> = {
  group: "",
  version: "v1",
  kind: "Event",
  plural: "events",
  namespaced: true,
};
