import { join } from "node:path";
import { LocalDeployTarget, type LocalRevision } from "@modeltrail/cli";
import { runIdOf, type TraceContext } from "@modeltrail/core";
import { MODELTRAIL_HOME, VENV_PYTHON } from "../lib/paths.ts";
import { dim, green, heading, red, say, short, table } from "../lib/print.ts";
import type { RunImage } from "./build-image.ts";
import { DEPLOYMENT_NAME } from "./deploy-k8s.ts";

/** Where the local target keeps its state: under modeltrail's home, so `modeltrail clean` stops and removes it. */
export const LOCAL_STATE_DIR = join(MODELTRAIL_HOME, "local-target");

/** The longest wait for the serving app's readiness (MLflow's import on a loaded machine). */
const READY_MS = 300_000;

/**
 * The local deploy target of the demo: the serving app runs from the image as a local process, with
 * the demo's virtualenv (`.tools/mlflow-venv`, whose packages the demo's base image records) standing
 * in for the base image's Python. The same state `modeltrail history --target local` reads.
 */
export function localTarget(): LocalDeployTarget {
  return new LocalDeployTarget({ stateDir: LOCAL_STATE_DIR, interpreters: { python: VENV_PYTHON } });
}

/** What serves after a local deploy or rollback. */
export interface LocalLive {
  revision: string | undefined;
  gitSha: string | undefined;
  runId: string | undefined;
  imageRef: string | undefined;
  imageDigest: string | undefined;
  modelVersion: string | undefined;
  ctx: TraceContext;
  /** True when what serves is the expected run's: commit, run id and image digest. */
  matches: boolean;
  /** Where it answers, and the process. */
  url: string;
  pid: number | undefined;
  method?: string | undefined;
}

function liveOf(ctx: TraceContext, revision: LocalRevision, url: string, expected: RunImage): LocalLive {
  const live: LocalLive = {
    revision: ctx.deployment?.revision,
    gitSha: ctx.code?.gitSha,
    runId: runIdOf(ctx)?.runId,
    imageRef: ctx.image?.ref,
    imageDigest: ctx.image?.digest,
    modelVersion: ctx.model?.version,
    ctx,
    matches: false,
    url,
    pid: revision.pid,
  };
  live.matches =
    live.gitSha === expected.ctx.code?.gitSha &&
    live.runId === expected.runId &&
    live.imageDigest === expected.digest;
  table([
    ["revision", `${live.revision}  ${dim(`(pid ${live.pid}, ${url})`)}`],
    ["GIT_SHA", live.gitSha],
    ["RUN_ID", `${live.runId}  ${dim(`(model v${live.modelVersion})`)}`],
    ["image", live.imageRef],
    [
      "matches the run",
      live.matches
        ? green(`yes: commit, run id and image digest are run ${expected.runId}'s`)
        : red(`NO: expected run ${expected.runId}, image ${expected.digest}`),
    ],
  ]);
  return live;
}

/**
 * Step 5 on the local target: deploys the image from the OCI layout (`oci:<layout>@<digest>`): its
 * layers unpacked into a revision directory, its command (`python -m modeltrail_serving`) run in
 * `/opt/app` of that tree with its env (the trace: GIT_SHA, RUN_ID, ...) on a loopback port, and
 * waits for `/readyz`; the previous revision's process is stopped. Checks what serves is this run's.
 */
export async function deployLocal(
  target: LocalDeployTarget,
  image: RunImage,
  layoutDir: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<LocalLive> {
  const ref = `oci:${layoutDir}@${image.digest}`;
  heading(`target.deploy("oci:<layout>@${short(image.digest.slice(7))}...", { name: "${DEPLOYMENT_NAME}" })`);
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
  expected: RunImage,
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
    signal: options.signal ?? AbortSignal.timeout(60_000),
  });
  const body = (await response.json()) as Prediction["body"];
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    if (k.startsWith("x-modeltrail-") || k === "x-request-id") headers[k] = v;
  });
  let logLine: Record<string, unknown> | undefined;
  if (current) {
    const { readFile } = await import("node:fs/promises");
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
