import {
  type CodecOptions,
  runIdOf,
  type TraceContext,
  toAnnotations,
  toEnv,
  toK8sLabels,
  ValidationError,
  type ValidationIssue,
} from "@modeltrail/core";
import { sanitizeLabelValue } from "@modeltrail/core/internal";
import type { Deployment, DeploymentStrategy } from "kubernetes-types/apps/v1";
import type {
  Container,
  EnvVar,
  PodSpec,
  Probe,
  ResourceRequirements,
  Service,
} from "kubernetes-types/core/v1";
import { formatImageRef, parseImageRef } from "./image-ref.js";
import {
  annotationIssues,
  dns1035LabelIssues,
  envNameIssues,
  labelIssues,
  namespaceIssues,
} from "./names.js";

/** The annotation `kubectl rollout history` shows as CHANGE-CAUSE. */
export const CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause";

/** Options of {@link renderDeployment}. */
export interface RenderDeploymentOptions extends CodecOptions {
  /** Deployment (and Service, container) name: a DNS-1035 label, at most 63 characters. */
  name: string;
  /** Namespace written into the manifests (default: none, the client's namespace applies). */
  namespace?: string | undefined;
  /**
   * The image. When the context (or `digest`) knows the digest, the rendered reference pins it
   * (`repo:tag@sha256:...`), so every pod runs exactly that image.
   */
  image: string;
  /** The image's manifest digest, when the context does not carry it. */
  digest?: string | undefined;
  /** Container port (named `http`); also the Service's port. */
  port?: number | undefined;
  /** Replicas (default 1). */
  replicas?: number | undefined;
  resources?: ResourceRequirements | undefined;
  probes?: { readiness?: Probe; liveness?: Probe; startup?: Probe } | undefined;
  /** Extra container env; a name the trace already sets (GIT_SHA, RUN_ID, ...) is refused. */
  env?: Readonly<Record<string, string>> | ReadonlyArray<EnvVar> | undefined;
  /** Extra labels on the Deployment and its pods (not in the selector). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** Extra annotations on the Deployment and its pods. */
  annotations?: Readonly<Record<string, string>> | undefined;
  /** `kubernetes.io/change-cause` (default: the image and the run id). */
  changeCause?: string | undefined;
  /** Also render a Service for the port: true for ClusterIP, or its type and port. */
  service?: boolean | { type?: "ClusterIP" | "NodePort" | "LoadBalancer"; port?: number } | undefined;
  /** Rolling update settings (default maxSurge 25%, maxUnavailable 25%, as Kubernetes). */
  strategy?: DeploymentStrategy | undefined;
  /** Seconds without progress before the rollout is failed (default 600). */
  progressDeadlineSeconds?: number | undefined;
  /** Old ReplicaSets kept for history and rollback (default 10). */
  revisionHistoryLimit?: number | undefined;
  /** Extra pod spec fields (service account, node selector, tolerations, image pull secrets, ...). */
  podSpec?: Omit<PodSpec, "containers"> | undefined;
  /** The `app.kubernetes.io/component` label (default `model-server`). */
  component?: string | undefined;
}

/** What {@link renderDeployment} returns. */
export interface RenderedManifests {
  deployment: Deployment;
  service: Service | undefined;
  /** The trace the manifests carry: the given context plus image and deployment sections. */
  context: TraceContext;
}

/** The labels that select a Deployment's pods: stable across deploys (a selector cannot change). */
export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name };
}

/**
 * Renders a traceable Deployment (and optionally a Service) for a model image:
 * - the container env carries the trace (`GIT_SHA`, `RUN_ID`, `JOB_ID` and the namespaced
 *   `MODELTRAIL_*` set of the env codec), so the serving app can stamp every log line;
 * - labels: the recommended `app.kubernetes.io/*` set (name, instance, version, component,
 *   managed-by) plus the sanitised trace labels; the selector uses only name and instance;
 * - annotations: the full trace and `kubernetes.io/change-cause`;
 * - the pod template carries the same labels and trace annotations, so every ReplicaSet records
 *   what it ran;
 * - the image is pinned by digest when the digest is known.
 * Throws ValidationError listing every invalid name, label, annotation, env var, image or number.
 */
export function renderDeployment(ctx: TraceContext, options: RenderDeploymentOptions): RenderedManifests {
  const issues: ValidationIssue[] = [];
  const { name } = options;
  issues.push(...dns1035LabelIssues("name", name));
  if (options.namespace !== undefined) issues.push(...namespaceIssues("namespace", options.namespace));
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 0)
    issues.push({ path: "replicas", message: "must be a whole number >= 0" });
  if (
    options.port !== undefined &&
    (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
  ) {
    issues.push({ path: "port", message: "must be a port number (1-65535)" });
  }
  if (options.service && options.port === undefined)
    issues.push({ path: "service", message: "needs a port" });
  issues.push(...labelIssues("labels", options.labels ?? {}));
  issues.push(...annotationIssues("annotations", options.annotations ?? {}));

  // The image, pinned by digest when known.
  let image = options.image;
  let digest = options.digest ?? ctx.image?.digest;
  try {
    const ref = parseImageRef(options.image);
    if (ref.digest && digest && ref.digest !== digest) {
      issues.push({ path: "image", message: `carries digest ${ref.digest}, but the context says ${digest}` });
    }
    digest = ref.digest ?? digest;
    image = formatImageRef({ ...ref, digest });
  } catch (err) {
    issues.push({ path: "image", message: (err as Error).message });
  }
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    issues.push({ path: "digest", message: 'must be "sha256:" and 64 lowercase hex digits' });
  }
  if (issues.length > 0) throw new ValidationError(`Cannot render Deployment "${name}"`, { issues });

  let deployed: TraceContext;
  try {
    deployed = ctx.with({
      image: { ref: image, digest },
      deployment: { platform: "kubernetes", name, namespace: options.namespace },
    });
  } catch (err) {
    throw new ValidationError(`Cannot render Deployment "${name}": the trace does not take the image`, {
      cause: err,
    });
  }
  const codec: CodecOptions = options.conventions ? { conventions: options.conventions } : {};
  const traceEnv = toEnv(deployed, codec);
  const env: EnvVar[] = Object.entries(traceEnv)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => ({ name: k, value: v }));
  const extraEnv: EnvVar[] = Array.isArray(options.env)
    ? [...(options.env as EnvVar[])]
    : Object.entries((options.env ?? {}) as Record<string, string>).map(([k, v]) => ({ name: k, value: v }));
  extraEnv.forEach((e, i) => {
    issues.push(...envNameIssues(`env[${i}]`, e.name));
    if (e.name in traceEnv)
      issues.push({ path: `env.${e.name}`, message: "is set from the trace; do not set it by hand" });
  });
  if (issues.length > 0) throw new ValidationError(`Cannot render Deployment "${name}"`, { issues });
  env.push(...extraEnv);

  const run = runIdOf(deployed);
  const version = ctx.model?.version ?? run?.runId ?? ctx.code?.gitSha?.slice(0, 12);
  const labels: Record<string, string> = {
    ...selectorLabels(name),
    ...(version ? { "app.kubernetes.io/version": sanitizeLabelValue(version) } : {}),
    "app.kubernetes.io/component": sanitizeLabelValue(options.component ?? "model-server"),
    "app.kubernetes.io/managed-by": "modeltrail",
    ...toK8sLabels(deployed, codec),
    ...options.labels,
  };
  const traceAnnotations = toAnnotations(deployed, codec);
  const changeCause =
    options.changeCause ??
    [
      `deploy ${image}`,
      run ? `${run.kind === "job-run" ? "run" : "mlflow run"} ${run.runId}` : undefined,
      ctx.code?.gitSha ? `git ${ctx.code.gitSha.slice(0, 12)}` : undefined,
    ]
      .filter(Boolean)
      .join(", ");
  const metadata = {
    name,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels,
    annotations: { ...traceAnnotations, ...options.annotations, [CHANGE_CAUSE_ANNOTATION]: changeCause },
  };

  const container: Container = {
    name,
    image,
    ...(options.port !== undefined
      ? { ports: [{ name: "http", containerPort: options.port, protocol: "TCP" }] }
      : {}),
    env,
    ...(options.resources ? { resources: options.resources } : {}),
    ...(options.probes?.readiness ? { readinessProbe: options.probes.readiness } : {}),
    ...(options.probes?.liveness ? { livenessProbe: options.probes.liveness } : {}),
    ...(options.probes?.startup ? { startupProbe: options.probes.startup } : {}),
  };
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas,
      selector: { matchLabels: selectorLabels(name) },
      ...(options.strategy ? { strategy: options.strategy } : {}),
      progressDeadlineSeconds: options.progressDeadlineSeconds ?? 600,
      revisionHistoryLimit: options.revisionHistoryLimit ?? 10,
      template: {
        metadata: { labels, annotations: { ...traceAnnotations, ...options.annotations } },
        spec: { ...options.podSpec, containers: [container] },
      },
    },
  };

  let service: Service | undefined;
  if (options.service && options.port !== undefined) {
    const svc = typeof options.service === "object" ? options.service : {};
    service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name,
        ...(options.namespace ? { namespace: options.namespace } : {}),
        labels,
        annotations: traceAnnotations,
      },
      spec: {
        type: svc.type ?? "ClusterIP",
        selector: selectorLabels(name),
        ports: [{ name: "http", port: svc.port ?? options.port, targetPort: "http", protocol: "TCP" }],
      },
    };
  }
  return { deployment, service, context: deployed };
}
