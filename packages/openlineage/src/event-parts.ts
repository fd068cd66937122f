import type { TraceContext } from "@modeltrail/core";
import { ValidationError } from "@modeltrail/core";
import { redactText } from "@modeltrail/core/internal";
import { datasetNameOfImage, datasetNameOfUri } from "./dataset-names.js";
import type { RunEventOptions } from "./event-options.js";
import { facet, type ModeltrailTraceFields } from "./facets.js";
import type { BaseFacet, Facets, InputDataset, OutputDataset, RunEvent } from "./run-event.js";
import { RUN_EVENT_TYPES } from "./run-event.js";
import { openLineageRunId } from "./run-uuid.js";
import { DEFAULT_PRODUCER, RUN_EVENT_SCHEMA_URL } from "./spec-urls.js";
import { VERSION } from "./version.js";

/** The event time as ISO 8601 in UTC. Throws ValidationError for an invalid or zone-less time. */
export function eventTimeOf(value: RunEventOptions["eventTime"]): string {
  if (value === undefined) return new Date().toISOString();
  if (typeof value === "string") {
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.trim());
    const time = Date.parse(value);
    if (!/T/i.test(value) || !hasZone || Number.isNaN(time))
      throw new ValidationError("Invalid OpenLineage event time", {
        issues: [{ path: "eventTime", message: `"${value}" is not an ISO 8601 date-time with a time zone` }],
        hint: "Pass a Date, epoch milliseconds, or e.g. 2026-11-27T18:00:00Z",
      });
    return new Date(time).toISOString();
  }
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new ValidationError("Invalid OpenLineage event time", {
      issues: [{ path: "eventTime", message: `${String(value)} is not a valid time` }],
    });
  return date.toISOString();
}

/** Checks the options every builder shares; returns the producer. Throws ValidationError. */
export function checkOptions(options: RunEventOptions): string {
  const issues: { path: string; message: string }[] = [];
  if (!RUN_EVENT_TYPES.includes(options.eventType))
    issues.push({ path: "eventType", message: `must be one of ${RUN_EVENT_TYPES.join(", ")}` });
  const producer = options.producer ?? DEFAULT_PRODUCER;
  if (!isAbsoluteUri(producer)) issues.push({ path: "producer", message: "must be an absolute URI" });
  for (const key of ["jobNamespace", "jobName", "datasetNamespace", "mlflowNamespace"] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== "string" || v.trim() === ""))
      issues.push({ path: key, message: "must be a non-empty string" });
  }
  if (options.processingEngine && (!options.processingEngine.name || !options.processingEngine.version))
    issues.push({ path: "processingEngine", message: "needs a name and a version" });
  if (issues.length > 0) throw new ValidationError("Invalid OpenLineage event options", { issues });
  return producer;
}

function isAbsoluteUri(s: string): boolean {
  return absoluteUri(s) !== undefined;
}

/** `s` as an absolute URI in its normalized form (spaces and other characters percent-encoded), or undefined. */
export function absoluteUri(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    return new URL(s).href;
  } catch {
    return undefined;
  }
}

/** The `modeltrail_trace` run facet of a context. */
export function traceFacet(
  ctx: TraceContext,
  kind: ModeltrailTraceFields["kind"],
  producer: string,
): BaseFacet {
  return facet("modeltrail_trace", producer, { ...traceFields(ctx, kind) });
}

/** Runtimes that name the engine of a run, most specific first (keys of `environment.runtime`). */
const ENGINE_RUNTIMES = ["spark", "databricks", "python", "node"] as const;

/**
 * The `processing_engine` run facet: the engine given in the options, else the most specific
 * runtime the context records (`spark`, `databricks`, `python`, `node`); none when neither.
 */
export function processingEngineFacet(
  ctx: TraceContext,
  producer: string,
  options: RunEventOptions,
): BaseFacet | undefined {
  const runtime = ctx.environment?.runtime ?? {};
  const known = ENGINE_RUNTIMES.find((name) => runtime[name]);
  const engine = options.processingEngine ?? (known ? { name: known, version: runtime[known] } : undefined);
  if (!engine?.version) return undefined;
  return facet("processing_engine", producer, {
    version: engine.version,
    name: engine.name,
    openlineageAdapterVersion: VERSION,
  });
}

/** The `modeltrail_trace` facet's fields from a context. */
export function traceFields(ctx: TraceContext, kind: ModeltrailTraceFields["kind"]): ModeltrailTraceFields {
  return {
    kind,
    gitSha: ctx.code?.gitSha,
    repoUrl: ctx.code?.repoUrl,
    ciProvider: ctx.ci?.provider,
    ciRunId: ctx.ci?.runId,
    ciRunAttempt: ctx.ci?.runAttempt,
    jobPlatform: ctx.job?.platform,
    jobId: ctx.job?.jobId,
    jobRunId: ctx.job?.runId,
    taskRunId: ctx.job?.taskRunId,
    taskKey: ctx.job?.taskKey,
    workspaceUrl: ctx.job?.workspaceUrl,
    mlflowRunId: ctx.model?.mlflowRunId,
    modelName: ctx.model?.name,
    modelVersion: ctx.model?.version,
    modelUri: ctx.model?.uri,
    imageRef: ctx.image?.ref,
    imageDigest: ctx.image?.digest,
    environment: ctx.environment?.name,
    deploymentPlatform: ctx.deployment?.platform,
    deploymentCluster: ctx.deployment?.cluster,
    deploymentNamespace: ctx.deployment?.namespace,
    deploymentName: ctx.deployment?.name,
    deploymentRevision: ctx.deployment?.revision,
  };
}

/**
 * A browsable URL of the repository at the commit: `<repo>/tree/<sha>` for GitHub and GitLab,
 * `<repo>/commit/<sha>` for Azure DevOps... kept simple: the repository URL itself (without `.git`)
 * when its host is unknown. SSH URLs (`git@host:org/repo.git`) become `https://host/org/repo`.
 */
export function commitUrl(repoUrl: string, sha: string | undefined): string | undefined {
  let https = repoUrl.trim().replace(/\.git$/, "");
  const ssh = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+)$/.exec(https);
  if (ssh) https = `https://${ssh[1]}/${ssh[2]}`;
  let url: URL;
  try {
    url = new URL(https);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  url.username = "";
  url.password = "";
  const base = url.toString().replace(/\/$/, "");
  if (!sha) return base;
  if (/(^|\.)github\.com$|(^|\.)gitlab\.com$/.test(url.hostname)) return `${base}/tree/${sha}`;
  if (/dev\.azure\.com$|visualstudio\.com$/.test(url.hostname)) return `${base}/commit/${sha}`;
  if (/bitbucket\.org$/.test(url.hostname)) return `${base}/src/${sha}`;
  return base;
}

/** Job facets shared by every kind: `sourceCodeLocation` (commit and repository) and `jobType`. */
export function jobFacets(ctx: TraceContext, producer: string, jobType: string, path?: string): Facets {
  const facets: Facets = {};
  const repo = ctx.code?.repoUrl;
  const sha = ctx.code?.gitSha;
  const url = repo ? commitUrl(repo, sha) : undefined;
  if (repo && url) {
    facets.sourceCodeLocation = facet("sourceCodeLocation", producer, {
      type: "git",
      url,
      repoUrl: repo,
      path,
      version: sha,
      branch: ctx.code?.branch,
    });
  }
  facets.jobType = facet("jobType", producer, {
    processingType: "BATCH",
    integration: "MODELTRAIL",
    jobType,
  });
  return facets;
}

/** The CI run as the parent of a run, when the context names one. */
export function parentFacet(ctx: TraceContext, producer: string): BaseFacet | undefined {
  const ci = ctx.ci;
  if (!ci?.runId) return undefined;
  const namespace = ciNamespace(ctx);
  const name = ci.workflow ?? "ci";
  return facet("parent", producer, {
    run: { runId: openLineageRunId(namespace, "ci-run", ci.runId, ci.runAttempt ?? "1") },
    job: { namespace, name },
  });
}

/** The OpenLineage job namespace of the CI system: `ci://<provider>`. */
export function ciNamespace(ctx: TraceContext): string {
  return `ci://${ctx.ci?.provider ?? "unknown"}`;
}

/** The `errorMessage` facet of a FAIL event (message and stack trace redacted). */
export function errorFacet(
  failure: RunEventOptions["failure"],
  producer: string,
  defaultLanguage: string,
): BaseFacet | undefined {
  if (failure === undefined) return undefined;
  const f =
    typeof failure === "string"
      ? { message: failure }
      : failure instanceof Error
        ? { message: `${failure.name}: ${failure.message}`, stackTrace: failure.stack }
        : failure;
  return facet("errorMessage", producer, {
    message: redactText(String(f.message)),
    programmingLanguage: ("programmingLanguage" in f && f.programmingLanguage) || defaultLanguage,
    stackTrace: f.stackTrace === undefined ? undefined : redactText(f.stackTrace),
  });
}

/** Digest fields of the `modeltrail_digest` facet. */
function digestFacet(digest: string, producer: string, source: string): BaseFacet {
  const m = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(digest);
  return facet("modeltrail_digest", producer, {
    digest,
    algorithm: m?.[1],
    value: m?.[2] ?? digest,
    source,
  });
}

/** One training data set of the context as an input dataset. */
export function inputDatasets(
  ctx: TraceContext,
  producer: string,
  fallbackNamespace: string,
): InputDataset[] {
  return (ctx.data ?? []).map((d) => {
    const id = d.uri
      ? datasetNameOfUri(d.uri, fallbackNamespace)
      : { namespace: fallbackNamespace, name: d.name };
    const facets: Facets = {};
    const version = d.version ?? d.digest;
    if (version) facets.version = facet("version", producer, { datasetVersion: version });
    if (d.digest) facets.modeltrail_digest = digestFacet(d.digest, producer, "trace context data");
    facets.dataSource = facet("dataSource", producer, {
      name: d.name,
      uri: absoluteUri(d.uri),
    });
    return { ...id, facets };
  });
}

/** The registered model version (or the run's model URI) as a dataset, when the context has one. */
export function modelDataset(
  ctx: TraceContext,
  producer: string,
  namespace: string,
): OutputDataset | undefined {
  const m = ctx.model;
  if (m?.name) {
    const facets: Facets = {};
    if (m.version) facets.version = facet("version", producer, { datasetVersion: m.version });
    if (m.uri) facets.dataSource = facet("dataSource", producer, { name: "mlflow", uri: absoluteUri(m.uri) });
    return { namespace, name: `models/${m.name}`, facets };
  }
  if (m?.mlflowRunId) return { namespace, name: `runs/${m.mlflowRunId}/model`, facets: {} };
  return undefined;
}

/** The image of the context as a dataset: repository as the name, digest as its version. */
export function imageDataset(ctx: TraceContext, producer: string): OutputDataset | undefined {
  const ref = ctx.image?.ref;
  const digest = ctx.image?.digest ?? (ref ? /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1] : undefined);
  if (!ref) return undefined;
  const facets: Facets = {};
  if (digest) {
    facets.version = facet("version", producer, { datasetVersion: digest });
    facets.modeltrail_digest = digestFacet(digest, producer, "image manifest");
  }
  return { ...datasetNameOfImage(ref), facets };
}

/** Assembles the event. */
export function runEvent(parts: {
  options: RunEventOptions;
  producer: string;
  runId: string;
  runFacets: Facets;
  jobNamespace: string;
  jobName: string;
  jobFacets: Facets;
  inputs: InputDataset[];
  outputs: OutputDataset[];
}): RunEvent {
  return {
    eventType: parts.options.eventType,
    eventTime: eventTimeOf(parts.options.eventTime),
    producer: parts.producer,
    schemaURL: RUN_EVENT_SCHEMA_URL,
    run: { runId: parts.runId, facets: parts.runFacets },
    job: { namespace: parts.jobNamespace, name: parts.jobName, facets: parts.jobFacets },
    inputs: parts.inputs,
    outputs: parts.outputs,
  };
}

/** Adds the facets present (skips undefined). */
export function withFacets(entries: Record<string, BaseFacet | undefined>): Facets {
  const out: Facets = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}
