/**
 * The demo's machine-readable result (`pnpm demo --json`), which `scripts/check-demo-result.mjs`
 * checks in CI: what each step did, what it could not do yet (`gaps`), the two runs with their
 * images, what Kubernetes ran after each deploy and rollback, and the answers to the five questions.
 */

import type { LiveTrace } from "../pipeline/deploy-k8s.ts";
import type { IncidentAnswers } from "../pipeline/incident.ts";

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
  verify:
    "verify() is in @modeltrail/core, but the trace resolvers it walks with (MLflow, registry, Kubernetes) are not in this checkout: the links are not verified",
  tracePage:
    "no TraceReport (trace() needs the same resolvers) and no renderTraceHtml in this checkout: no trace page",
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

/** What Kubernetes runs, as the result records it. */
export interface LiveJson {
  revision: string | undefined;
  gitSha: string | undefined;
  runId: string | undefined;
  imageRef: string | undefined;
  imageDigest: string | undefined;
  modelVersion: string | undefined;
  matches: boolean;
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
  };
  /** What a serving process answered after the rollback (null until something serves). */
  serving: { gitSha: string; runId: string; source: string } | null;
  trace: {
    source: string;
    modelVersion?: string;
    sections: Record<"code" | "infrastructure" | "environment" | "artifacts" | "data", SectionJson>;
  };
  /** verify() of every link (null until core's verify is there). */
  verify: { checks: Array<{ name: string; ok: boolean; detail?: string }> } | null;
  tracePage: string | null;
  steps: StepRecord[];
  gaps: string[];
  timings?: Record<string, number>;
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

/**
 * The five answers of the trace step as JSON: a section is answered when the registry's record
 * holds what the question asks (the commit; the job and its run; the training runtime; the MLflow
 * run, model version and image digest; data sets with a digest).
 */
export function traceJson(a: IncidentAnswers): DemoResult["trace"] {
  const t = a.trace;
  const runtime = Object.entries(t.environment?.runtime ?? {}).filter(([, v]) => v);
  const data = (t.data ?? []).filter((d) => d.digest);
  const image = a.serving.image;
  return {
    source: "registry (findModelVersions, traceOfModelVersion) from the serving annotations",
    modelVersion: a.version,
    sections: {
      code: { answered: Boolean(t.code?.gitSha), answer: `commit ${t.code?.gitSha}` },
      infrastructure: {
        answered: Boolean(t.job?.jobId && t.job.runId),
        answer: `${t.job?.platform} job ${t.job?.jobId}, run ${t.job?.runId}${a.serving.deployment?.name ? `; served by ${a.serving.deployment.platform} deployment ${a.serving.deployment.name}${a.serving.deployment.revision ? ` revision ${a.serving.deployment.revision}` : ""}` : ""}`,
      },
      environment: {
        answered: runtime.length > 0,
        answer: runtime.map(([k, v]) => `${k} ${v}`).join(", "),
      },
      artifacts: {
        answered: Boolean(
          t.model?.mlflowRunId && t.model.version && (image?.digest || image?.ref?.includes("@")),
        ),
        answer: `MLflow run ${t.model?.mlflowRunId}, ${t.model?.name} v${t.model?.version}, image ${image?.ref ?? ""}`,
      },
      data: {
        answered: data.length > 0,
        answer: data.map((d) => `${d.name} ${d.digest}`).join(", "),
      },
    },
  };
}
