export type { RunImage, RunImageResolver } from "./run-image-resolver.js";
export type {
  ArtifactFileRecord,
  ClusterRecord,
  ContainerRecord,
  DatasetRecord,
  DeploymentRecord,
  ImageRecord,
  JobRunRecord,
  LayerRecord,
  MlflowRunRecord,
  ModelVersionRecord,
  NodeRecord,
  PodContainerRecord,
  PodRecord,
  ProvenanceRecord,
  ReplicaSetRecord,
  TaskRunRecord,
} from "./trace-records.js";
export type {
  PodLookup,
  TraceLookupName,
  TraceLookupOptions,
  TraceQuery,
  TraceResolver,
} from "./trace-resolver.js";
