/**
 * The demo's machine-readable result (`pnpm demo --json`), which `scripts/check-demo-result.mjs`
 * checks in CI: what each step did, what it could not do yet (`gaps`), the two runs with their
 * images, what Kubernetes ran after each deploy and rollback, and the answers to the five questions.
 */

import type { TraceReport, VerifyCheck, VerifyResult, VerifySummary } from "@modeltrail/core";
import type { Prediction } from "../pipeline/deploy-local.ts";
import type { LiveFields, LiveTrace } from "../pipeline/live-trace.ts";

/** The result's schema name; bump the version on an incompatible change. */
export const RESULT_SCHEMA = "modeltrail.demo.result/v1";

/** What a step could not do (yet), by name: the same words in the output and in the JSON. */
export const GAPS = {
  servingApp:
    "the serving app (examples/serving) is not in this checkout, so the images hold no app and no command",
  localTarget:
    "the local deploy target (serving engineer's module) is not in this checkout: without --k8s nothing is deployed",
  predict:
    "no prediction: no local deploy target runs the image in this checkout, so no response or log line is traced",
  servingAfterRollback:
    "no serving process answers, so GIT_SHA and RUN_ID after the rollback are not read from a response (with --k8s they are read from the pods' template)",
} as const;

/** One step of the demo. */
export interface StepRecord {
  n: number;
  title: string;
  /** `passed`: everything the step is meant to do was done; `partial`: what ran passed, `gaps` did not run. */
  status: "passed" | "partial";
  gaps: string[];
}

/** What a deploy target (Kubernetes, the local target) serves, as the result records it. */
export interface LiveJson extends LiveFields {
  method?: string | undefined;
}

/** One of the five questions: answered or not, and the answer. */
export interface SectionJson {
  answered: boolean;
  answer: string;
}

/** The demo's result. */
export interface DemoResult {
  schema: typeof RESULT_SCHEMA;
  ok: boolean;
  error?: string;
  options: { k8s: boolean; registry: string | undefined };
  mlflow?: { url: string; started: boolean };
  commit?: { gitSha: string | undefined; branch: string | undefined; dirty: boolean | undefined };
  baseImage?: { ref: string; digest: string; python: string; packages: number };
  runs: Array<{
    seed: number;
    gitSha: string | undefined;
    jobId: string | undefined;
    jobRunId: string | undefined;
    mlflowRunId: string | undefined;
    model: { name: string; version: string };
    image: {
      tag: string;
      digest: string;
      layoutRef: string;
      pushedRef: string | undefined;
      withApp: boolean;
      env: { GIT_SHA: string | undefined; RUN_ID: string | undefined };
      provenance: { attestation: string; where: string; verified: boolean; builder: string };
    };
  }>;
  deploy: {
    target: "kubernetes" | "local" | null;
    deployments: LiveJson[];
    rollbacks: LiveJson[];
    final?: LiveJson;
    /** The local deploy target (always deployed to): where it serves, its deploys and rollbacks. */
    local?: {
      url: string;
      stateDir: string;
      deployments: LiveJson[];
      rollbacks: LiveJson[];
      final?: LiveJson;
    };
  };
  /**
   * The prediction of step 6, from the local target's serving process: the response's status, trace
   * headers and body, and the JSON log line the app wrote for it (what step 6 traces from).
   */
  prediction?: Prediction | null;
  /** What a serving process answered after the rollback (null until something serves). */
  serving: { gitSha: string; runId: string; source: string } | null;
  /**
   * Step 6's trace from the prediction's log line (what an incident starts from; an image when no
   * log line was found): the five answers, the request count, verify()'s report.
   */
  trace: TraceJson;
  /** verify() of every link, from the same handle as `trace` (null until step 6 ran). */
  verify: VerifyJson | null;
  /**
   * With --k8s: step 6's second trace, from the Kubernetes Deployment (`deployment/<ns>/<name>`),
   * and its verify(): that the cluster runs the same image and run as the process that answered.
   * Null without --k8s (and until step 6 ran).
   */
  deploymentTrace?: (TraceJson & { verify: VerifyJson }) | null;
  tracePage: string | null;
  steps: StepRecord[];
  gaps: string[];
  timings?: Record<string, number>;
}

/** One trace of step 6 as the result records it. */
export interface TraceJson {
  /** What the trace started from: `deployment/<ns>/<name>`, an image, a log line. */
  handle: string;
  source: string;
  modelVersion?: string;
  /** What the handle's lineage names: the commit, the job run id, the image digest (for comparisons). */
  gitSha?: string;
  jobRunId?: string;
  imageDigest?: string;
  sections: Record<"code" | "infrastructure" | "environment" | "artifacts" | "data", SectionJson>;
  /** HTTP requests the trace sent (trace() alone), by system. */
  requests?: { total: number; bySystem: Record<string, number> };
  /** verify()'s report: the five answers with their sources, the graph, the checks (TraceReport). */
  report?: TraceReport;
}

/** verify()'s outcome as the result records it. */
export interface VerifyJson {
  ok: boolean;
  summary: VerifySummary;
  checks: Array<{
    name: string;
    status: VerifyCheck["status"];
    ok: boolean;
    lineage: string;
    detail: string;
  }>;
}

const unanswered = (): SectionJson => ({ answered: false, answer: "" });

/** A result with nothing done yet. */
export function emptyResult(options: { k8s: boolean; registry: string | undefined }): DemoResult {
  return {
    schema: RESULT_SCHEMA,
    ok: false,
    options,
    runs: [],
    deploy: { target: null, deployments: [], rollbacks: [] },
    serving: null,
    trace: {
      handle: "none",
      source: "none",
      sections: {
        code: unanswered(),
        infrastructure: unanswered(),
        environment: unanswered(),
        artifacts: unanswered(),
        data: unanswered(),
      },
    },
    verify: null,
    deploymentTrace: null,
    tracePage: null,
    steps: [],
    gaps: [],
  };
}

/** A live trace (after a deploy or rollback) as JSON. */
export function liveJson(live: LiveTrace & { method?: string }): LiveJson {
  return {
    revision: live.revision,
    gitSha: live.gitSha,
    runId: live.runId,
    imageRef: live.imageRef,
    imageDigest: live.imageDigest,
    modelVersion: live.modelVersion,
    matches: live.matches,
    ...(live.method ? { method: live.method } : {}),
  };
}

const str = (v: { value: unknown } | undefined): string | undefined =>
  v === undefined ? undefined : String(v.value);

/**
 * The five answers of step 6 as JSON, from verify()'s report (the first lineage: what the handle
 * names). A section is answered when the report holds what the question asks: the commit; the
 * training job run (and, when something is deployed, where it serves); the training runtime and the
 * serving image; the MLflow run, model version and image digest; data sets with a digest.
 */
export function traceJson(traced: TraceReport, verified: VerifyResult): TraceJson {
  const report = verified.report;
  const l = report.lineages[0];
  const h = report.handle;
  const handle =
    h.kind === "deployment" || h.kind === "pod"
      ? `${h.kind}/${h.namespace}/${h.name}`
      : h.kind === "image"
        ? h.ref
        : h.kind === "model-version"
          ? `models:/${h.name}/${h.version}`
          : h.kind === "run"
            ? h.runId
            : h.kind === "commit"
              ? h.gitSha
              : `log line ${JSON.stringify(h.fields)}`;
  const t = l?.infrastructure.training;
  const sv = l?.infrastructure.serving;
  const te = l?.environment.training;
  const se = l?.environment.serving;
  const a = l?.artifacts;
  const runtime = Object.entries(te?.runtime ?? {}).map(([k, v]) => `${k} ${v.value}`);
  const data = (l?.data.datasets ?? []).filter((d) => d.digest);
  return {
    handle,
    source: `trace() and verify() through ${Object.keys(traced.requests.bySystem).join(", ") || "no HTTP system"}`,
    ...(a?.modelVersion ? { modelVersion: str(a.modelVersion) } : {}),
    ...(l?.code.gitSha ? { gitSha: str(l.code.gitSha) } : {}),
    ...(t?.jobRunId ? { jobRunId: str(t.jobRunId) } : {}),
    ...(a?.imageDigest ? { imageDigest: str(a.imageDigest) } : {}),
    sections: {
      code: { answered: Boolean(l?.code.gitSha), answer: `commit ${str(l?.code.gitSha)}` },
      infrastructure: {
        answered: Boolean(t?.jobRunId),
        answer: `${str(t?.platform)} job ${str(t?.jobId)}, run ${str(t?.jobRunId)}${sv?.deployment ? `; served by ${str(sv.platform)} deployment ${str(sv.namespace)}/${str(sv.deployment)} revision ${str(sv.revision)}` : ""}`,
      },
      environment: {
        answered: runtime.length > 0 || Boolean(te?.runtimeVersion),
        answer: `training: ${[str(te?.runtimeVersion), ...runtime].filter(Boolean).join(", ")}; serving: image ${str(se?.imageRef)}${se?.baseImage ? ` on ${str(se.baseImage)}` : ""}`,
      },
      artifacts: {
        answered: Boolean(a?.mlflowRunId && a.modelVersion && a.imageDigest),
        answer: `MLflow run ${str(a?.mlflowRunId)}, ${str(a?.modelName)} v${str(a?.modelVersion)}, image ${str(a?.imageDigest)}`,
      },
      data: {
        answered: data.length > 0,
        answer: data.map((d) => `${d.name} ${d.digest}`).join(", "),
      },
    },
    requests: { total: traced.requests.total, bySystem: { ...traced.requests.bySystem } },
    report,
  };
}

/** verify()'s checks as JSON: each with its outcome and what was found (or why it is unknown). */
export function verifyJson(verified: VerifyResult): VerifyJson {
  return {
    ok: verified.ok,
    summary: { ...verified.summary },
    checks: verified.checks.map((c) => ({
      name: c.id,
      status: c.status,
      ok: c.status === "pass",
      lineage: c.lineage,
      detail: c.status === "unknown" ? c.reason : c.message,
    })),
  };
}
