import type {
  DeploymentRecord,
  ImageRecord,
  JobRunRecord,
  MlflowRunRecord,
  ModelVersionRecord,
} from "../../resolvers/trace-records.js";
import type { TraceConventions } from "../../trace/conventions.js";
import { classifyRunId } from "../../trace/run-id.js";
import { digestOfRef, type WalkRecords } from "./collect-records.js";
import type { Found } from "./found.js";
import { nodeId } from "./node-ids.js";
import type { FieldFact } from "./read-facts.js";
import {
  deploymentFacts,
  imageFacts,
  jobRunFacts,
  mlflowRunFacts,
  modelVersionFacts,
  type RecordFacts,
  traceContainer,
} from "./record-facts.js";

/**
 * One line of lineage through the records: at most one object of each kind, linked by the
 * references each states (the image a deployment runs, the model version an image holds, the run
 * that produced it, the job run that ran it), with the facts of each.
 */
export interface Chain {
  anchor: string;
  matchedBy: string;
  deployment?: Found<DeploymentRecord> | undefined;
  image?: Found<ImageRecord> | undefined;
  modelVersion?: Found<ModelVersionRecord> | undefined;
  mlflowRun?: Found<MlflowRunRecord> | undefined;
  jobRun?: Found<JobRunRecord> | undefined;
  /** Facts of each member, plus the handle's (a log line's). */
  facts: ChainFacts;
}

/** The facts of each member of a chain. */
export interface ChainFacts {
  deployment?: RecordFacts | undefined;
  image?: RecordFacts | undefined;
  modelVersion?: RecordFacts | undefined;
  mlflowRun?: RecordFacts | undefined;
  jobRun?: RecordFacts | undefined;
  handle: RecordFacts;
}

/** The members of a chain, by name. */
export type ChainMember = keyof ChainFacts;

/**
 * Splits what a walk found into chains: one per deployment, then one per image no deployment runs,
 * per model version no image holds, per run no model version came from. A handle that matched
 * several things gives several chains. A log line whose systems were all unreachable still gives
 * one chain, made of what the line itself says.
 */
export function buildChains(records: WalkRecords, c: TraceConventions): Chain[] {
  const used = new Set<string>();
  const chains: Chain[] = [];
  const add = (chain: Chain) => {
    for (const id of members(chain)) used.add(id);
    chains.push(chain);
  };
  for (const d of records.deployments.values()) add(fromDeployment(records, c, d));
  for (const img of records.images.values()) {
    if (!used.has(nodeId.image(img.record.digest)))
      add(fromImage(records, c, img, undefined, nodeId.image(img.record.digest)));
  }
  for (const mv of records.modelVersions.values()) {
    const id = nodeId.modelVersion(mv.record.name, mv.record.version);
    if (!used.has(id)) add(fromModelVersion(records, c, emptyChain(records, id), mv));
  }
  for (const run of records.mlflowRuns.values()) {
    const id = nodeId.mlflowRun(run.record.runId);
    if (!used.has(id)) add(fromMlflowRun(records, c, emptyChain(records, id), run));
  }
  for (const job of records.jobRuns.values()) {
    const id = nodeId.jobRun(job.record.runId);
    if (!used.has(id)) {
      const chain = emptyChain(records, id);
      chain.jobRun = job;
      chain.facts.jobRun = jobRunFacts(job);
      add(chain);
    }
  }
  if (chains.length === 0 && records.handle.kind === "log-line") {
    chains.push(emptyChain(records, nodeId.logLine(), "the log line"));
  }
  return chains;
}

function emptyChain(records: WalkRecords, anchor: string, matchedBy?: string): Chain {
  return {
    anchor,
    matchedBy: matchedBy ?? records.matchedBy.get(anchor) ?? "the handle",
    facts: { handle: records.handleFacts },
  };
}

function members(chain: Chain): string[] {
  const out: string[] = [];
  if (chain.deployment)
    out.push(nodeId.deployment(chain.deployment.record.namespace, chain.deployment.record.name));
  if (chain.image) out.push(nodeId.image(chain.image.record.digest));
  if (chain.modelVersion)
    out.push(nodeId.modelVersion(chain.modelVersion.record.name, chain.modelVersion.record.version));
  if (chain.mlflowRun) out.push(nodeId.mlflowRun(chain.mlflowRun.record.runId));
  if (chain.jobRun) out.push(nodeId.jobRun(chain.jobRun.record.runId));
  return out;
}

/** The image a deployment's trace container runs, if it was found. */
export function imageOfDeployment(records: WalkRecords, d: DeploymentRecord): Found<ImageRecord> | undefined {
  const container = traceContainer(d.containers);
  if (!container) return undefined;
  const digest = records.imageRefs.get(container.image) ?? digestOfRef(container.image);
  return digest === undefined ? undefined : records.images.get(digest);
}

function fromDeployment(records: WalkRecords, c: TraceConventions, d: Found<DeploymentRecord>): Chain {
  const anchor = nodeId.deployment(d.record.namespace, d.record.name);
  const chain = emptyChain(records, anchor);
  chain.deployment = d;
  chain.facts.deployment = deploymentFacts(d, c);
  const image = imageOfDeployment(records, d.record);
  return image ? fromImage(records, c, image, chain, anchor) : upstream(records, c, chain);
}

function fromImage(
  records: WalkRecords,
  c: TraceConventions,
  img: Found<ImageRecord>,
  base: Chain | undefined,
  anchor: string,
): Chain {
  const chain = base ?? emptyChain(records, anchor);
  chain.image = img;
  chain.facts.image = imageFacts(img, c);
  return upstream(records, c, chain);
}

/** Picks the model version, run and job run the chain's downstream members name, in priority order. */
function upstream(records: WalkRecords, c: TraceConventions, chain: Chain): Chain {
  const claims = [chain.facts.image, chain.facts.deployment, chain.facts.handle].filter(
    (f): f is RecordFacts => f !== undefined,
  );
  for (const facts of claims) {
    const name = first(facts.fields, "model.name");
    const version = first(facts.fields, "model.version");
    const mv = name && version ? records.modelVersions.get(`${name}/${version}`) : undefined;
    if (mv) return fromModelVersion(records, c, chain, mv);
  }
  return withRuns(records, c, chain);
}

function fromModelVersion(
  records: WalkRecords,
  c: TraceConventions,
  chain: Chain,
  mv: Found<ModelVersionRecord>,
): Chain {
  chain.modelVersion = mv;
  chain.facts.modelVersion = modelVersionFacts(mv, c);
  return withRuns(records, c, chain);
}

function fromMlflowRun(
  records: WalkRecords,
  c: TraceConventions,
  chain: Chain,
  run: Found<MlflowRunRecord>,
): Chain {
  chain.mlflowRun = run;
  chain.facts.mlflowRun = mlflowRunFacts(run, c);
  return withRuns(records, c, chain);
}

/** Adds the MLflow run and the job run the chain's members name (the model version's first). */
function withRuns(records: WalkRecords, c: TraceConventions, chain: Chain): Chain {
  const order = [
    chain.facts.modelVersion,
    chain.facts.mlflowRun,
    chain.facts.image,
    chain.facts.deployment,
    chain.facts.handle,
  ];
  if (!chain.mlflowRun) {
    for (const facts of order) {
      const id = facts ? first(facts.fields, "model.mlflowRunId") : undefined;
      const run = id ? records.mlflowRuns.get(id) : undefined;
      if (run) {
        chain.mlflowRun = run;
        chain.facts.mlflowRun = mlflowRunFacts(run, c);
        break;
      }
    }
  }
  const jobOrder = [
    chain.facts.modelVersion,
    chain.facts.mlflowRun,
    chain.facts.image,
    chain.facts.deployment,
    chain.facts.handle,
  ];
  for (const facts of jobOrder) {
    const id = facts ? first(facts.fields, "job.runId") : undefined;
    const job = id && classifyRunId(id) === "job-run" ? records.jobRuns.get(id) : undefined;
    if (job) {
      chain.jobRun = job;
      chain.facts.jobRun = jobRunFacts(job);
      break;
    }
  }
  return chain;
}

function first(facts: readonly FieldFact[], field: FieldFact["field"]): string | undefined {
  const f = facts.find((x) => x.field === field);
  return f === undefined ? undefined : String(f.value);
}
