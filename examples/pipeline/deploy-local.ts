import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalDeployTarget, type LocalRevision } from "@modeltrail/cli";
import type { TraceContext } from "@modeltrail/core";
import type { RegistryClient } from "@modeltrail/registry";
import { MODELTRAIL_HOME, VENV_PYTHON } from "../lib/paths.ts";
import { dim, green, heading, red, say, short, table } from "../lib/print.ts";
import { DEPLOYMENT_NAME } from "./deploy-k8s.ts";
import { checkLive, type DeployableImage, type LiveTrace } from "./live-trace.ts";

/** Where the local target keeps its state: under modeltrail's home, so `modeltrail clean` stops and removes it. */
export const LOCAL_STATE_DIR = join(MODELTRAIL_HOME, "local-target");

/** The longest wait for the serving app's readiness (MLflow's import on a loaded machine). */
const READY_MS = 300_000;

/** The longest wait for a prediction's response. */
const PREDICT_MS = 60_000;

/**
 * The local deploy target of the demo: the serving app runs from the image as a local process, with
 * the demo's virtualenv (`.tools/mlflow-venv`, whose packages the demo's base image records) standing
 * in for the base image's Python. The same state `modeltrail history --target local` reads (default
 * {@link LOCAL_STATE_DIR}); `registry` reads images that are not in an OCI layout.
 */
export function localTarget(
  options: { stateDir?: string | undefined; registry?: RegistryClient | undefined } = {},
): LocalDeployTarget {
  return new LocalDeployTarget({
    stateDir: options.stateDir ?? LOCAL_STATE_DIR,
    interpreters: { python: VENV_PYTHON },
    ...(options.registry ? { registry: options.registry } : {}),
  });
}

/** What serves after a local deploy or rollback: the live trace, where it answers, and the process. */
export interface LocalLive extends LiveTrace {
  url: string;
  pid: number | undefined;
  method?: string | undefined;
}

function liveOf(
  ctx: TraceContext,
  revision: LocalRevision,
  url: string,
  expected: DeployableImage,
): LocalLive {
  const live = checkLive(ctx, expected, { revisionNote: `(pid ${revision.pid}, ${url})` });
  return { ...live, url, pid: revision.pid };
}

/**
 * Step 5 on the local target: deploys the image from the OCI layout `from` names (by digest,
 * `oci:<layout>@<digest>`), or with `{ ref }` from a registry (`<registry>/churn-model:<run
 * id>@<digest>`; the target's registry client pulls it): its layers unpacked into a revision
 * directory, its command (`python -m modeltrail_serving`) run in `/opt/app` of that tree with its env
 * (the trace: GIT_SHA, RUN_ID, ...) on a loopback port, and waits for `/readyz`; the previous
 * revision's process is stopped. Checks what serves is this run's (`matches`). Throws what
 * `LocalDeployTarget.deploy` throws (ServingNotReadyError with the log's last lines, ...).
 */
export async function deployLocal(
  target: LocalDeployTarget,
  image: DeployableImage,
  from: string | { ref: string },
  options: { signal?: AbortSignal | undefined } = {},
): Promise<LocalLive> {
  const ref = typeof from === "string" ? `oci:${from}@${image.digest}` : from.ref;
  heading(
    typeof from === "string"
      ? `target.deploy("oci:<layout>@${short(image.digest.slice(7))}...", { name: "${DEPLOYMENT_NAME}" })`
      : `target.deploy("${from.ref.split("@")[0]}@${short(image.digest.slice(7))}...", { name: "${DEPLOYMENT_NAME}" })`,
  );
  const result = await target.deploy(ref, {
    name: DEPLOYMENT_NAME,
    environment: "dev",
    readinessTimeoutMs: READY_MS,
    changeCause: `modeltrail demo: run ${image.runId}, model v${image.ctx.model?.version}`,
    signal: options.signal,
  });
  say(dim(`unpacked into ${result.revision.rootfs}; log ${result.revision.logFile}`), 4);
  return liveOf(result.context, result.revision, result.url, image);
}

/**
 * Step 7 on the local target: rolls back (to the previous revision, or with `toRunId` to the latest
 * revision that ran it), waits for readiness, checks that what serves is `expected`'s.
 */
export async function rollbackLocal(
  target: LocalDeployTarget,
  expected: DeployableImage,
  options: { toRunId?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<LocalLive> {
  heading(
    options.toRunId
      ? `target.rollback("${DEPLOYMENT_NAME}", { toRunId: "${options.toRunId}" })`
      : `target.rollback("${DEPLOYMENT_NAME}")  ${dim("(no run id: the previous revision)")}`,
  );
  const result = await target.rollback(DEPLOYMENT_NAME, {
    ...(options.toRunId ? { toRunId: options.toRunId } : {}),
    readinessTimeoutMs: READY_MS,
    signal: options.signal,
  });
  say(
    dim(
      `method ${result.method}: from revision ${result.from?.revision} (run ${result.from?.runId?.runId}) to revision ${result.to.revision} (run ${result.to.runId?.runId})`,
    ),
    4,
  );
  return { ...liveOf(result.context, result.to, result.url, expected), method: result.method };
}

/** Prints the local deployment's revisions, as `modeltrail history churn-model --target local`. */
export async function printLocalHistory(target: LocalDeployTarget): Promise<LocalRevision[]> {
  heading(
    `target.history("${DEPLOYMENT_NAME}")  ${dim(`(modeltrail history ${DEPLOYMENT_NAME} --target local)`)}`,
  );
  const revisions = await target.history(DEPLOYMENT_NAME);
  for (const r of revisions)
    say(
      `revision ${r.revision}  run ${r.runId?.runId} (${r.runId?.kind})  ${r.changeCause}${r.current ? `  ${green(`<- serving, pid ${r.pid}`)}` : ""}`,
      4,
    );
  return revisions;
}

/** A prediction from what serves, as the demo's result records it. */
export interface Prediction {
  url: string;
  status: number;
  /** The trace headers of the response (`x-modeltrail-*`) and its request id. */
  headers: Record<string, string>;
  body: { predictions?: unknown[]; trace?: Record<string, string> };
  /** The request's JSON log line, as the app wrote it. */
  logLine: Record<string, unknown> | undefined;
}

/**
 * POSTs two customers to `/invocations` (MLflow's scoring protocol) and reads back the response's
 * trace headers and body, and the JSON line the app logged for the request (by its request id).
 * Throws when the app does not answer 200.
 */
export async function predict(
  target: LocalDeployTarget,
  requestId: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<Prediction> {
  const status = await target.status(DEPLOYMENT_NAME);
  const current = status.current;
  // two customers with the training data's features (examples/pipeline/prepare.py)
  const rows = [
    { tenure_months: 2.0, monthly_charges: 98.5, support_calls: 4.0, contract_years: 0.0 },
    { tenure_months: 64.0, monthly_charges: 35.2, support_calls: 0.0, contract_years: 2.0 },
  ];
  heading(
    `POST ${status.url}/invocations  ${dim(`{"dataframe_records": [...2 customers]}, x-request-id: ${requestId}`)}`,
  );
  const response = await fetch(`${status.url}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": requestId },
    body: JSON.stringify({ dataframe_records: rows }),
    // a serving process that hangs must not hang the caller: 60 s at most, and the caller's abort
    signal: options.signal
      ? AbortSignal.any([options.signal, AbortSignal.timeout(PREDICT_MS)])
      : AbortSignal.timeout(PREDICT_MS),
  });
  const body = (await response.json()) as Prediction["body"];
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    if (k.startsWith("x-modeltrail-") || k === "x-request-id") headers[k] = v;
  });
  let logLine: Record<string, unknown> | undefined;
  if (current) {
    for (let i = 0; i < 50 && !logLine; i++) {
      logLine = (await readFile(current.logFile, "utf8"))
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.request_id === requestId);
      if (!logLine) await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (response.status !== 200)
    throw new Error(`The serving app answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  table([
    ["status", String(response.status)],
    ["predictions", JSON.stringify(body.predictions)],
    [
      "headers",
      `x-modeltrail-git-sha: ${short(headers["x-modeltrail-git-sha"])}...  x-modeltrail-run-id: ${headers["x-modeltrail-run-id"]}`,
    ],
    [
      "log line",
      logLine
        ? JSON.stringify(
            Object.fromEntries(
              Object.entries(logLine).filter(([k]) =>
                ["msg", "status", "git_sha", "run_id", "model_version", "deployment_name"].includes(k),
              ),
            ),
          )
        : red("not found"),
    ],
  ]);
  return { url: status.url, status: response.status, headers, body, logLine };
}

/** Whether a prediction was answered by the expected run: what {@link answeredBy} found. */
export interface AnsweredBy {
  /** The commit and run id of the response's trace headers. */
  gitSha: string | undefined;
  runId: string | undefined;
  /** True when the headers, the body's `trace` and the request's log line all carry the expected commit and run id. */
  ok: boolean;
  /** What disagreed, one phrase each (empty when `ok`). */
  problems: string[];
}

/**
 * Checks that what ANSWERED a prediction is `expected`'s run: its `GIT_SHA` and `RUN_ID` in the
 * response's `x-modeltrail-git-sha` / `x-modeltrail-run-id` headers, in the body's `trace`, and in
 * the JSON line the app logged for the request. Never throws; `problems` says what disagreed.
 */
export function answeredBy(prediction: Prediction, expected: DeployableImage): AnsweredBy {
  const want = { gitSha: expected.ctx.code?.gitSha, runId: expected.runId };
  const seen: Array<[string, unknown, unknown]> = [
    ["header x-modeltrail-git-sha", prediction.headers["x-modeltrail-git-sha"], want.gitSha],
    ["header x-modeltrail-run-id", prediction.headers["x-modeltrail-run-id"], want.runId],
    ["body trace.git_sha", prediction.body.trace?.git_sha, want.gitSha],
    ["body trace.run_id", prediction.body.trace?.run_id, want.runId],
    ["log line git_sha", prediction.logLine?.git_sha, want.gitSha],
    ["log line run_id", prediction.logLine?.run_id, want.runId],
  ];
  const problems = seen
    .filter(([, got, wanted]) => got !== wanted)
    .map(([where, got]) => `${where} is ${got === undefined ? "missing" : String(got)}`);
  return {
    gitSha: prediction.headers["x-modeltrail-git-sha"],
    runId: prediction.headers["x-modeltrail-run-id"],
    ok: problems.length === 0,
    problems,
  };
}
