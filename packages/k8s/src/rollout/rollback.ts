import {
  classifyRunId,
  createTraceContext,
  DEFAULT_CONVENTIONS,
  type RunImageResolver,
  runIdOf,
  type TraceContext,
  type TraceConventions,
  toAnnotations,
  toEnv,
  toK8sLabels,
  ValidationError,
} from "@modeltrail/core";
import { sanitizeLabelValue } from "@modeltrail/core/internal";
import type { Deployment } from "kubernetes-types/apps/v1";
import type { PodTemplateSpec } from "kubernetes-types/core/v1";
import type { KubeClient } from "../client/kube-client.js";
import type { ApplyConfiguration } from "../client/resource-api.js";
import { CHANGE_CAUSE_ANNOTATION } from "../manifests/render-deployment.js";
import { ranRun } from "../trace/run-id.js";
import { DEFAULT_FIELD_MANAGER, type DeployOptions } from "./deploy.js";
import { history, type Revision } from "./history.js";
import { templateWithoutHash } from "./replica-sets.js";
import { traceOf } from "./trace-of.js";
import { waitForRollout } from "./wait-for-rollout.js";

/** Options of {@link rollback}. */
export interface RollbackOptions extends Omit<DeployOptions, "noWait" | "force"> {
  /** Go back to the revision that ran this run id (a Databricks job run id or an MLflow run id). */
  toRunId?: string | undefined;
  /** Go back to this revision number (as `kubectl rollout undo --to-revision`). */
  toRevision?: number | undefined;
  /**
   * Finds the image of a run id that no retained revision ran; the current template is then deployed
   * with that image (the registry package provides one; any RunImageResolver works).
   */
  resolver?: RunImageResolver | undefined;
  /** The container that gets a resolved image (default: the one named like the Deployment, else the only one). */
  containerName?: string | undefined;
}

/** What {@link rollback} did. */
export interface RollbackResult {
  /**
   * `revision`: an earlier revision's template was restored; `resolver`: the current template with the
   * resolved image; `none`: the requested run already runs, nothing was changed.
   */
  method: "revision" | "resolver" | "none";
  /** The revision that ran before. */
  from: Revision | undefined;
  /** The revision restored (method `revision`). */
  to: Revision | undefined;
  /** The Deployment after the rollout. */
  deployment: Deployment;
  /** The trace of what runs now. */
  context: TraceContext;
}

/**
 * Rolls a Deployment back and waits for the rollout:
 * - `toRunId`: to the latest retained revision that ran that run id (either kind of run id), or,
 *   when none did, to the current template with the image `resolver` returns for it;
 * - `toRevision`: to that revision;
 * - neither: to the previous revision, as `kubectl rollout undo` does.
 * It applies the restored template server-side with the deploy's field manager (forcing ownership,
 * so a template another tool changed is taken back, and the next deploy does not conflict), keeping
 * the other fields that manager applied. Returns the live trace. Throws ValidationError when there
 * is no previous revision, no such revision, or no image for the run id; RolloutFailedError when the
 * rollout fails; AbortError on abort; the resolver's and the client's errors.
 */
export async function rollback(
  kube: KubeClient,
  deployment: string,
  options: RollbackOptions = {},
): Promise<RollbackResult> {
  const call = {
    namespace: options.namespace,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    headers: options.headers,
  };
  const dep = await kube.deployments.get(deployment, call);
  const revisions = await history(kube, dep, {
    ...call,
    ...(options.conventions ? { conventions: options.conventions } : {}),
  });
  const current = revisions.find((r) => r.current);
  const where = `deployment "${deployment}"`;

  let target: Revision | undefined;
  let template: PodTemplateSpec;
  let context: TraceContext | undefined;
  let method: RollbackResult["method"] = "revision";
  let cause: string;
  if (options.toRunId !== undefined) {
    const runId = options.toRunId.trim();
    if (runId === "") throw new ValidationError("rollback: toRunId is empty");
    target = revisions.filter((r) => ranRun(r.context, runId)).at(-1);
    if (target?.current) {
      return {
        method: "none",
        from: current,
        to: target,
        deployment: dep,
        context: await traceOf(kube, dep, call),
      };
    }
    if (target) {
      template = templateWithoutHash(target.replicaSetObject.spec?.template);
      context = target.context;
      cause = `rollback to revision ${target.revision} (run ${runId})`;
    } else {
      if (!options.resolver) {
        throw new ValidationError(
          `No retained revision of ${where} ran run ${runId}, and no image resolver was given`,
          {
            hint: `Pass resolver (e.g. the registry package's) to deploy the run's image; retained runs: ${describeRuns(revisions)}`,
          },
        );
      }
      const image = await options.resolver.imageForRun(runId, { signal: options.signal });
      if (!image) {
        throw new ValidationError(
          `No retained revision of ${where} ran run ${runId}, and the resolver found no image for it`,
          {
            hint: "Check the run id, and that the image of that run was built and pushed",
          },
        );
      }
      method = "resolver";
      context = (image.context ?? contextOfRun(runId)).with({
        image: { ref: image.ref, digest: image.digest ?? image.context?.image?.digest },
        deployment: { platform: "kubernetes", name: deployment, namespace: dep.metadata?.namespace },
      });
      template = withTrace(
        templateWithoutHash(dep.spec?.template),
        context,
        image.ref,
        options.containerName ?? deployment,
        options.conventions ?? DEFAULT_CONVENTIONS,
      );
      cause = `rollback to run ${runId}: ${image.ref}`;
    }
  } else {
    if (options.toRevision !== undefined) {
      target = revisions.find((r) => r.revision === options.toRevision);
      if (!target) {
        throw new ValidationError(`${where} has no revision ${options.toRevision}`, {
          hint: `Retained revisions: ${revisions.map((r) => r.revision).join(", ") || "none"}`,
        });
      }
    } else {
      const currentRevision = current?.revision ?? Number.POSITIVE_INFINITY;
      target = revisions.filter((r) => r.revision < currentRevision).at(-1);
      if (!target) {
        throw new ValidationError(`${where} has no previous revision to roll back to`, {
          hint: "Only the current revision is retained (revisionHistoryLimit), or it was never updated",
        });
      }
    }
    if (target.current) {
      return {
        method: "none",
        from: current,
        to: target,
        deployment: dep,
        context: await traceOf(kube, dep, call),
      };
    }
    template = templateWithoutHash(target.replicaSetObject.spec?.template);
    context = target.context;
    const run = target.context ? runIdOf(target.context) : undefined;
    cause = `rollback to revision ${target.revision}${run ? ` (run ${run.runId})` : ""}`;
  }

  const fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
  const body = applyBody(
    dep,
    fieldManager,
    template,
    context,
    cause,
    options.conventions ?? DEFAULT_CONVENTIONS,
  );
  const applied = await kube.deployments.apply(body, { ...call, fieldManager, force: true });
  const { deployment: rolled } = await waitForRollout(kube, deployment, { ...options, from: applied });
  return {
    method,
    from: current,
    to: target,
    deployment: rolled,
    context: await traceOf(kube, rolled, call),
  };
}

function describeRuns(revisions: readonly Revision[]): string {
  const runs = revisions
    .map((r) => (r.runId ? `${r.revision}: ${r.runId.runId}` : undefined))
    .filter(Boolean);
  return runs.length > 0 ? runs.join(", ") : "none";
}

/** A minimal context for a run id: a decimal Databricks job run id, or a 32-hex MLflow run id. */
function contextOfRun(runId: string): TraceContext {
  if (classifyRunId(runId) === "mlflow-run") return createTraceContext({ model: { mlflowRunId: runId } });
  return createTraceContext({ job: { runId } });
}

/** Every name a codec's conventions use for the trace, so an old trace can be removed whole. */
function traceNames(
  c: TraceConventions["env"] | TraceConventions["annotations"] | TraceConventions["labels"],
): Set<string> {
  const names = new Set<string>(Object.values(c.fields).flat());
  for (const [key, value] of Object.entries(c))
    if (key !== "fields" && typeof value === "string") names.add(value);
  return names;
}

/** The template with the image of one container replaced and the trace (env, labels, annotations) rewritten. */
function withTrace(
  template: PodTemplateSpec,
  ctx: TraceContext,
  image: string,
  containerName: string,
  conventions: TraceConventions,
): PodTemplateSpec {
  const containers = template.spec?.containers ?? [];
  const container =
    containers.find((c) => c.name === containerName) ?? (containers.length === 1 ? containers[0] : undefined);
  if (!container) {
    throw new ValidationError(
      `The pod template has no container "${containerName}" to give the run's image`,
      {
        hint: `Pass containerName (containers: ${containers.map((c) => c.name).join(", ")})`,
      },
    );
  }
  container.image = image;
  const envNames = traceNames(conventions.env);
  const env = toEnv(ctx, { conventions });
  container.env = [
    ...Object.entries(env)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => ({ name, value })),
    ...(container.env ?? []).filter((e) => !envNames.has(e.name)),
  ];
  template.metadata ??= {};
  const meta = template.metadata;
  meta.labels = replaceKeys(meta.labels, traceNames(conventions.labels), toK8sLabels(ctx, { conventions }));
  const version = ctx.model?.version ?? runIdOf(ctx)?.runId;
  if (version && meta.labels["app.kubernetes.io/version"] !== undefined)
    meta.labels["app.kubernetes.io/version"] = sanitizeLabelValue(version);
  meta.annotations = replaceKeys(
    meta.annotations,
    traceNames(conventions.annotations),
    toAnnotations(ctx, { conventions }),
  );
  return template;
}

function replaceKeys(
  current: Record<string, string> | undefined,
  drop: Set<string>,
  add: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(current ?? {})) if (!drop.has(k)) out[k] = v;
  return { ...out, ...add };
}

/** The keys under `f:<path...>` of the fields `manager` owns through Apply. */
function ownedKeys(dep: Deployment, manager: string, path: string[]): string[] | undefined {
  const entry = dep.metadata?.managedFields?.find(
    (m) => m.manager === manager && m.operation === "Apply" && !m.subresource,
  );
  let node = entry?.fieldsV1 as Record<string, unknown> | undefined;
  for (const p of path) node = node?.[`f:${p}`] as Record<string, unknown> | undefined;
  if (!node) return undefined;
  return Object.keys(node)
    .filter((k) => k.startsWith("f:"))
    .map((k) => k.slice(2));
}

/**
 * The apply configuration of a rollback: the fields the field manager applied before (from the
 * live object's managedFields, so server-side apply removes nothing it owns), with the restored
 * template, and the Deployment's trace labels, annotations and change-cause taken from the template.
 */
function applyBody(
  dep: Deployment,
  manager: string,
  template: PodTemplateSpec,
  ctx: TraceContext | undefined,
  cause: string,
  conventions: TraceConventions,
): ApplyConfiguration<Deployment> {
  const pick = (source: Record<string, string> | undefined, keys: string[] | undefined) =>
    Object.fromEntries(Object.entries(source ?? {}).filter(([k]) => keys?.includes(k)));
  const ownedLabels = pick(dep.metadata?.labels, ownedKeys(dep, manager, ["metadata", "labels"]));
  const ownedAnnotations = pick(
    dep.metadata?.annotations,
    ownedKeys(dep, manager, ["metadata", "annotations"]),
  );
  const labels = ctx
    ? replaceKeys(ownedLabels, traceNames(conventions.labels), toK8sLabels(ctx, { conventions }))
    : ownedLabels;
  if (
    labels["app.kubernetes.io/version"] !== undefined &&
    template.metadata?.labels?.["app.kubernetes.io/version"]
  ) {
    labels["app.kubernetes.io/version"] = template.metadata.labels["app.kubernetes.io/version"];
  }
  const annotations = {
    ...(ctx
      ? replaceKeys(
          ownedAnnotations,
          traceNames(conventions.annotations),
          toAnnotations(ctx, { conventions }),
        )
      : ownedAnnotations),
    [CHANGE_CAUSE_ANNOTATION]: cause,
  };
  const spec: Record<string, unknown> = {};
  for (const key of ownedKeys(dep, manager, ["spec"]) ?? []) {
    if (key !== "template") spec[key] = (dep.spec as Record<string, unknown> | undefined)?.[key];
  }
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: dep.metadata?.name, namespace: dep.metadata?.namespace, labels, annotations },
    spec: { ...spec, template },
  } as ApplyConfiguration<Deployment>;
}
