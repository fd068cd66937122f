/**
 * @modeltrail/k8s: kubeconfig loading as kubectl does it, a typed Kubernetes API client (get, list,
 * watch, server-side apply, patch, delete), traceable Deployments, rollout waiting like kubectl,
 * revision history with run ids, rollback by run id, and the live trace of a Deployment.
 * @packageDocumentation
 */
export { type ExecCredentialsOptions, ExecPluginError, execCredentials } from "./auth/exec-credentials.js";
export { impersonationHeaders, kubeCredentials } from "./auth/kube-credentials.js";
export { tokenFileCredentials } from "./auth/token-file-credentials.js";
export { KubeClient, type KubeClientOptions } from "./client/kube-client.js";
export {
  type ApplyConflict,
  ApplyConflictError,
  isKubeStatus,
  KUBE_REASON_KINDS,
  type KubeStatus,
  type KubeStatusCause,
  mapKubeError,
  statusCauses,
} from "./client/kube-errors.js";
export {
  type ApplyConfiguration,
  type ApplyOptions,
  type DeleteOptions,
  type KubeList,
  type ListOptions,
  type NamespacedOptions,
  type PatchOptions,
  type PatchType,
  ResourceApi,
} from "./client/resource-api.js";
export {
  apiVersionOf,
  CONFIG_MAP,
  DEPLOYMENT,
  EVENT,
  type KubeObject,
  POD,
  REPLICA_SET,
  type ResourceKind,
  SERVICE,
} from "./client/resource-kinds.js";
export { type FieldSelector, type LabelSelector, selectorString } from "./client/selectors.js";
export type { WatchEvent, WatchOptions } from "./client/watch.js";
export {
  type InClusterOptions,
  inClusterConfig,
  isInCluster,
  SERVICE_ACCOUNT_DIR,
} from "./config/in-cluster-config.js";
export type {
  KubeAuth,
  KubeCluster,
  KubeConfig,
  KubeExecConfig,
  KubeImpersonation,
  KubeUser,
} from "./config/kube-config.js";
export {
  type KubeconfigFile,
  kubeconfigPaths,
  readKubeconfigFile,
  type Sourced,
} from "./config/kubeconfig-files.js";
export { type MergedKubeconfig, mergeKubeconfigs } from "./config/kubeconfig-merge.js";
export { type LoadKubeConfigOptions, loadKubeConfig } from "./config/load-kube-config.js";
export { formatImageRef, type ImageRef, parseImageRef } from "./manifests/image-ref.js";
export { toYaml } from "./manifests/manifest-yaml.js";
export {
  CHANGE_CAUSE_ANNOTATION,
  type RenderDeploymentOptions,
  type RenderedManifests,
  renderDeployment,
  selectorLabels,
} from "./manifests/render-deployment.js";
export { DEFAULT_FIELD_MANAGER, type DeployOptions, type DeployResult, deploy } from "./rollout/deploy.js";
export { diagnoseRollout, type PodDiagnosis, type RolloutDiagnosis } from "./rollout/diagnose-rollout.js";
export { type HistoryOptions, history, type Revision } from "./rollout/history.js";
export {
  currentReplicaSet,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  replicaSetsOf,
  revisionOf,
} from "./rollout/replica-sets.js";
export { type RollbackOptions, type RollbackResult, rollback } from "./rollout/rollback.js";
export { deploymentCondition, type RolloutStatus, rolloutStatus } from "./rollout/rollout-status.js";
export { type TraceOfOptions, traceOf, traceOfReplicaSet } from "./rollout/trace-of.js";
export {
  RolloutFailedError,
  type RolloutFailure,
  type RolloutProgress,
  type RolloutResult,
  rolloutFailedError,
  type WaitForRolloutOptions,
  waitForRollout,
} from "./rollout/wait-for-rollout.js";
export { ranRun } from "./trace/run-id.js";
export { type KubernetesTraceResolverOptions, kubernetesTraceResolver } from "./trace/trace-resolver.js";
