import { fromAnnotations, runIdOf, type TraceContext } from "@modeltrail/core";
import { findModelVersions, type MlflowClient, tagsToRecord, traceOfModelVersion } from "@modeltrail/mlflow";
import { bold, dim, heading, say, short, table } from "../lib/print.ts";

/** The answers to the five questions about the model that is serving. */
export interface IncidentAnswers {
  name: string;
  version: string;
  /** The model version's trace as the registry tells it. */
  trace: TraceContext;
  /** What the Deployment says about itself (its annotations). */
  serving: TraceContext;
  /** The model versions built from the same commit. */
  versionsOfCommit: string[];
  /** The model versions built by the serving run id (the job run the image is named with). */
  versionsOfRun: string[];
}

/**
 * Step 6, trace: "which model is serving, and where did it come from?" Starts from what the
 * Deployment carries (its annotations, as `kubectl get deployment -o yaml` shows them), finds the
 * model versions built from that commit with `findModelVersions({ gitSha })` and by the run the image
 * is named with (`findModelVersions({ runId })`), reads the serving
 * version's trace from the registry with `traceOfModelVersion`, and answers the five questions.
 * Throws ValidationError for unreadable annotations or tags, NotFoundError when the version is gone.
 */
export async function incidentStep(
  client: MlflowClient,
  deploymentAnnotations: Readonly<Record<string, string>>,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<IncidentAnswers> {
  heading("fromAnnotations(deployment.metadata.annotations): what is serving?");
  const serving = fromAnnotations(deploymentAnnotations);
  const gitSha = serving.code?.gitSha;
  const name = serving.model?.name;
  const version = serving.model?.version;
  if (!gitSha || !name || !version)
    throw new Error("The Deployment's annotations name no commit or model version");
  table([
    [
      "deployment",
      serving.deployment?.name
        ? `${serving.deployment.platform} ${[serving.deployment.cluster, serving.deployment.namespace, serving.deployment.name].filter(Boolean).join("/")}${serving.deployment.revision ? ` revision ${serving.deployment.revision}` : ""}`
        : dim("(not deployed)"),
    ],
    ["image", serving.image?.ref],
    ["model", `${name} v${version} from MLflow run ${serving.model?.mlflowRunId}`],
    ["commit", gitSha],
  ]);

  heading(
    `findModelVersions(client, { gitSha: "${short(gitSha)}..." }): every version built from this commit`,
  );
  const versionsOfCommit: string[] = [];
  for await (const mv of findModelVersions(client, { gitSha }, { signal: options.signal })) {
    const tags = tagsToRecord(mv.tags);
    versionsOfCommit.push(`${mv.name} v${mv.version}`);
    say(
      `${mv.name} v${mv.version}  run ${mv.run_id}  DBR_JOB_ID=${tags.DBR_JOB_ID} DBR_RUN_ID=${tags.DBR_RUN_ID}${mv.aliases.length ? `  @${mv.aliases.join(" @")}` : ""}`,
      4,
    );
  }

  const run = runIdOf(serving);
  if (!run) throw new Error("The Deployment's annotations name no run id");
  heading(
    `findModelVersions(client, { runId: "${run.runId}" }): the versions of the run the image is named with (${run.kind})`,
  );
  const versionsOfRun: string[] = [];
  for await (const mv of findModelVersions(client, { runId: run.runId }, { signal: options.signal })) {
    versionsOfRun.push(`${mv.name} v${mv.version}`);
    say(`${mv.name} v${mv.version}  MLflow run ${mv.run_id}`, 4);
  }

  heading(`traceOfModelVersion(client, "${name}", "${version}"): the registry's record`);
  const trace = await traceOfModelVersion(client, name, version, { signal: options.signal });

  heading("The five questions");
  const code = trace.code;
  const job = trace.job;
  const runtime = trace.environment?.runtime ?? {};
  const answers: Array<[string, string[]]> = [
    [
      "1. Code",
      [
        `commit ${code?.gitSha}${code?.branch ? ` on branch ${code.branch}` : ""}${code?.dirty ? " (work tree had uncommitted changes)" : ""}`,
        `repository ${code?.repoUrl ?? dim("(no origin remote)")}`,
        `serving the same commit: ${serving.code?.gitSha === code?.gitSha ? "yes" : `no, ${serving.code?.gitSha}`}`,
      ],
    ],
    [
      "2. Infrastructure",
      [
        `trained by ${job?.platform} job ${job?.jobId}, job run ${job?.runId}, task ${job?.taskKey} (task run ${job?.taskRunId})`,
        serving.deployment?.name
          ? `served by ${serving.deployment.platform} deployment ${serving.deployment.name} in namespace ${serving.deployment.namespace ?? "default"}${serving.deployment.cluster ? ` of cluster ${serving.deployment.cluster}` : ""}`
          : "not deployed",
      ],
    ],
    [
      "3. Environment",
      [
        `training runtime ${Object.entries(runtime)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
        `serving environment ${serving.environment?.name ?? dim("(not recorded)")}`,
      ],
    ],
    [
      "4. Artifacts",
      [
        `MLflow run ${trace.model?.mlflowRunId}, model ${trace.model?.name} v${trace.model?.version}`,
        `model files digest sha256:${serving.extra?.["model.sha256"]}, image ${serving.image?.ref}`,
      ],
    ],
    [
      "5. Data",
      (trace.data ?? []).map((d) =>
        `${d.name} ${d.version ?? ""} ${d.uri ?? ""} ${d.digest ?? ""}`.replace(/ +/g, " "),
      ),
    ],
  ];
  for (const [question, lines] of answers) {
    say(bold(question), 4);
    for (const line of lines.length ? lines : ["(not recorded)"]) say(line, 7);
  }
  return { name, version, trace, serving, versionsOfCommit, versionsOfRun };
}
