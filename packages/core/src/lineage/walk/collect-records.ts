import type {
  DeploymentRecord,
  ImageRecord,
  JobRunRecord,
  MlflowRunRecord,
  ModelVersionRecord,
} from "../../resolvers/trace-records.js";
import type { PodLookup, TraceQuery } from "../../resolvers/trace-resolver.js";
import { classifyRunId } from "../../trace/run-id.js";
import type { TraceHandle } from "../trace-handle.js";
import type { Found } from "./found.js";
import type { LookupSession } from "./lookup-session.js";
import { nodeId } from "./node-ids.js";
import type { FieldFact } from "./read-facts.js";
import {
  deploymentFacts,
  handleFacts,
  imageFacts,
  mlflowRunFacts,
  modelVersionFacts,
  type RecordFacts,
  traceContainer,
} from "./record-facts.js";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Everything one walk found, each object once, keyed by its natural id. */
export interface WalkRecords {
  handle: TraceHandle;
  /** What the handle itself states (a log line's fields). */
  handleFacts: RecordFacts;
  modelVersions: Map<string, Found<ModelVersionRecord>>;
  mlflowRuns: Map<string, Found<MlflowRunRecord>>;
  jobRuns: Map<string, Found<JobRunRecord>>;
  /** By manifest digest. */
  images: Map<string, Found<ImageRecord>>;
  /** A reference as asked (or as a deployment names it) -> the digest it resolved to. */
  imageRefs: Map<string, string>;
  /** By `namespace/name`. */
  deployments: Map<string, Found<DeploymentRecord>>;
  pods: Map<string, Found<PodLookup>>;
  /** How the handle reached each object it matched directly, by node id. */
  matchedBy: Map<string, string>;
  /** Node ids that were asked for and not found or not reachable. */
  missing: Set<string>;
}

/** The run id an image, deployment or env carries: the job run id, else the MLflow run id. */
function runQuery(jobRunId: string | undefined, mlflowRunId: string | undefined): TraceQuery | undefined {
  if (jobRunId) return { jobRunId };
  if (mlflowRunId) return { mlflowRunId };
  return undefined;
}

/**
 * Walks from a handle through every system a resolver was given for: each object fetched once
 * (the session memoizes), the look-ups of one step in parallel, every reference followed (also
 * references that disagree, so that verify can show both sides).
 */
export class RecordCollector {
  readonly records: WalkRecords;
  private readonly expanded = new Set<string>();

  constructor(
    private readonly session: LookupSession,
    handle: TraceHandle,
  ) {
    this.records = {
      handle,
      handleFacts:
        handle.kind === "log-line"
          ? handleFacts(handle.fields, session.conventions)
          : { fields: [], runtime: {}, data: [] },
      modelVersions: new Map(),
      mlflowRuns: new Map(),
      jobRuns: new Map(),
      images: new Map(),
      imageRefs: new Map(),
      deployments: new Map(),
      pods: new Map(),
      matchedBy: new Map(),
      missing: new Set(),
    };
  }

  /** Runs the walk for the handle. */
  async collect(): Promise<WalkRecords> {
    const h = this.records.handle;
    switch (h.kind) {
      case "log-line": {
        // The deployment names the image by reference: look a bare digest up only when it does not.
        const fields = this.records.handleFacts.fields;
        const hasDeployment = fields.some((f) => f.field === "deployment.name");
        await this.fromFacts(fields, "the log line", hasDeployment);
        if (hasDeployment) {
          const digests = fields.filter((f) => f.field === "image.digest").map((f) => String(f.value));
          await Promise.all(
            [...new Set(digests)]
              .filter((d) => DIGEST.test(d) && !this.records.images.has(d))
              .map((d) => this.imagesByDigest(d, "the log line")),
          );
        }
        if (this.records.deployments.size === 0)
          await this.findDeploymentsOfFacts(this.records.handleFacts.fields);
        break;
      }
      case "deployment":
        await this.deployment(h.namespace, h.name, "the handle");
        break;
      case "pod":
        await this.pod(h.namespace, h.name);
        break;
      case "image":
        await this.image(h.ref, "the handle");
        await this.downstreamOfImages();
        break;
      case "model-version":
        await this.modelVersion(h.name, h.version, "the handle");
        await this.downstream();
        break;
      case "run":
        await this.run(h.runId);
        await this.downstream();
        break;
      case "commit":
        await this.commit(h.gitSha);
        await this.downstream();
        break;
    }
    return this.records;
  }

  /** Follows the references a list of facts makes (model version, runs, image, deployment). */
  private async fromFacts(facts: readonly FieldFact[], via: string, skipDigests = false): Promise<void> {
    const tasks: Array<Promise<void>> = [];
    const values = (field: FieldFact["field"]) => [
      ...new Set(facts.filter((f) => f.field === field).map((f) => String(f.value))),
    ];
    const names = values("model.name");
    const versions = values("model.version");
    for (const name of names)
      for (const version of versions)
        if (/^[0-9]+$/.test(version)) tasks.push(this.modelVersion(name, version, via));
    for (const id of values("model.mlflowRunId"))
      if (classifyRunId(id) === "mlflow-run") tasks.push(this.mlflowRun(id, via));
    for (const id of values("job.runId"))
      if (classifyRunId(id) === "job-run") tasks.push(this.jobRun(id, via));
    const refs = values("image.ref");
    const digests = values("image.digest").filter((d) => DIGEST.test(d));
    for (const ref of refs) tasks.push(this.image(ref, via));
    if (refs.length === 0 && !skipDigests) for (const d of digests) tasks.push(this.imagesByDigest(d, via));
    const namespaces = values("deployment.namespace");
    const deployNames = values("deployment.name");
    for (const ns of namespaces) for (const name of deployNames) tasks.push(this.deployment(ns, name, via));
    await Promise.all(tasks);
  }

  private async modelVersion(name: string, version: string, via: string): Promise<void> {
    const id = nodeId.modelVersion(name, version);
    const found = await this.session.ask({
      name: "getModelVersion",
      key: `${name}/${version}`,
      what: `model version ${name}/${version}`,
      node: id,
      invoke: (r, o) => r.getModelVersion?.(name, version, o) ?? Promise.resolve(undefined),
    });
    if (found.length === 0) this.records.missing.add(id);
    await Promise.all(found.map((f) => this.addModelVersion(f, via)));
  }

  private async addModelVersion(f: Found<ModelVersionRecord>, via: string): Promise<void> {
    const key = `${f.record.name}/${f.record.version}`;
    const id = nodeId.modelVersion(f.record.name, f.record.version);
    if (!this.records.modelVersions.has(key)) this.records.modelVersions.set(key, f);
    if (!this.records.matchedBy.has(id)) this.records.matchedBy.set(id, via);
    if (this.expanded.has(id)) return;
    this.expanded.add(id);
    const facts = modelVersionFacts(f, this.session.conventions).fields;
    await this.followRuns(facts, `model version ${key}`);
  }

  /** Follows the MLflow run and job run a record names. */
  private async followRuns(facts: readonly FieldFact[], via: string): Promise<void> {
    const mlflowIds = new Set(
      facts.filter((x) => x.field === "model.mlflowRunId").map((x) => String(x.value)),
    );
    const jobIds = new Set(facts.filter((x) => x.field === "job.runId").map((x) => String(x.value)));
    await Promise.all([
      ...[...mlflowIds]
        .filter((id) => classifyRunId(id) === "mlflow-run")
        .map((id) => this.mlflowRun(id, via)),
      ...[...jobIds].filter((id) => classifyRunId(id) === "job-run").map((id) => this.jobRun(id, via)),
    ]);
  }

  private async mlflowRun(runId: string, via: string): Promise<void> {
    const id = nodeId.mlflowRun(runId);
    const found = await this.session.ask({
      name: "getMlflowRun",
      key: runId,
      what: `MLflow run ${runId}`,
      node: id,
      invoke: (r, o) => r.getMlflowRun?.(runId, o) ?? Promise.resolve(undefined),
    });
    if (found.length === 0) this.records.missing.add(id);
    await Promise.all(found.map((f) => this.addMlflowRun(f, via)));
  }

  private async addMlflowRun(f: Found<MlflowRunRecord>, via: string): Promise<void> {
    const id = nodeId.mlflowRun(f.record.runId);
    if (!this.records.mlflowRuns.has(f.record.runId)) this.records.mlflowRuns.set(f.record.runId, f);
    if (!this.records.matchedBy.has(id)) this.records.matchedBy.set(id, via);
    if (this.expanded.has(id)) return;
    this.expanded.add(id);
    const facts = mlflowRunFacts(f, this.session.conventions).fields;
    await this.followRuns(
      facts.filter((x) => x.field === "job.runId"),
      `MLflow run ${f.record.runId}`,
    );
  }

  private async jobRun(runId: string, via: string): Promise<void> {
    const id = nodeId.jobRun(runId);
    const found = await this.session.ask({
      name: "getJobRun",
      key: runId,
      what: `job run ${runId}`,
      node: id,
      invoke: (r, o) => r.getJobRun?.(runId, o) ?? Promise.resolve(undefined),
    });
    if (found.length === 0) this.records.missing.add(id);
    for (const f of found) {
      if (!this.records.jobRuns.has(f.record.runId)) this.records.jobRuns.set(f.record.runId, f);
      const nid = nodeId.jobRun(f.record.runId);
      if (!this.records.matchedBy.has(nid)) this.records.matchedBy.set(nid, via);
    }
  }

  private async image(ref: string, via: string): Promise<void> {
    const known = this.knownImage(ref);
    if (known) {
      this.records.imageRefs.set(ref, known.record.digest);
      await this.addImage(known, via);
      return;
    }
    if (DIGEST.test(ref)) {
      await this.imagesByDigest(ref, via);
      return;
    }
    const found = await this.session.ask({
      name: "getImage",
      key: ref,
      what: `image ${ref}`,
      node: nodeId.image(digestOfRef(ref) ?? ref),
      invoke: (r, o) => r.getImage?.(ref, o) ?? Promise.resolve(undefined),
    });
    if (found.length === 0) this.records.missing.add(nodeId.image(digestOfRef(ref) ?? ref));
    for (const f of found) this.records.imageRefs.set(ref, f.record.digest);
    await Promise.all(found.map((f) => this.addImage(f, via)));
  }

  /** An image already found under this reference or digest. */
  private knownImage(ref: string): Found<ImageRecord> | undefined {
    const digest = this.records.imageRefs.get(ref) ?? digestOfRef(ref);
    return digest === undefined ? undefined : this.records.images.get(digest);
  }

  private async imagesByDigest(digest: string, via: string): Promise<void> {
    const found = await this.session.ask({
      name: "findImages",
      key: `digest ${digest}`,
      what: `the image with digest ${digest}`,
      node: nodeId.image(digest),
      invoke: (r, o) => r.findImages?.({ imageDigest: digest }, o) ?? Promise.resolve(undefined),
    });
    const images = found.flatMap((f) => f.record.map((record) => ({ record, system: f.system })));
    if (images.length === 0) this.records.missing.add(nodeId.image(digest));
    await Promise.all(images.map((f) => this.addImage(f, via)));
  }

  private async addImage(f: Found<ImageRecord>, via: string): Promise<void> {
    const digest = f.record.digest;
    const id = nodeId.image(digest);
    if (!this.records.images.has(digest)) this.records.images.set(digest, f);
    this.records.imageRefs.set(f.record.ref, digest);
    this.records.missing.delete(id);
    if (!this.records.matchedBy.has(id)) this.records.matchedBy.set(id, via);
    if (this.expanded.has(id)) return;
    this.expanded.add(id);
    const facts = imageFacts(f, this.session.conventions).fields.filter((x) => !x.field.startsWith("image."));
    await this.fromFacts(facts, `image ${f.record.ref}`);
  }

  private async deployment(namespace: string, name: string, via: string): Promise<void> {
    const id = nodeId.deployment(namespace, name);
    const found = await this.session.ask({
      name: "getDeployment",
      key: `${namespace}/${name}`,
      what: `deployment ${namespace}/${name}`,
      node: id,
      invoke: (r, o) => r.getDeployment?.(namespace, name, o) ?? Promise.resolve(undefined),
    });
    if (found.length === 0) this.records.missing.add(id);
    await Promise.all(this.byHandleAgreement(found).map((f) => this.addDeployment(f, via)));
  }

  /**
   * Two systems may hold a deployment of the same namespace and name (the local deploy target's
   * `local/churn` and a cluster's): the one the handle's platform and cluster agree with comes
   * first, so it is the one the walk follows (a record the handle contradicts is not its deployment).
   * Keeps the resolvers' order otherwise.
   */
  private byHandleAgreement(found: Array<Found<DeploymentRecord>>): Array<Found<DeploymentRecord>> {
    const stated = this.records.handleFacts.fields.filter(
      (x) => x.field === "deployment.platform" || x.field === "deployment.cluster",
    );
    if (found.length < 2 || stated.length === 0) return found;
    const score = (f: Found<DeploymentRecord>): number => {
      const facts = deploymentFacts(f, this.session.conventions).fields;
      const own = (field: FieldFact["field"]): string | undefined => {
        const v = facts.find((x) => x.field === field)?.value;
        if (v !== undefined) return String(v);
        return field === "deployment.platform" ? f.system : f.record.cluster;
      };
      let sum = 0;
      for (const x of stated) {
        const mine = own(x.field);
        if (mine !== undefined) sum += mine === String(x.value) ? 1 : -1;
      }
      return sum;
    };
    return found
      .map((f, i) => ({ f, i, s: score(f) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((x) => x.f);
  }

  private async addDeployment(f: Found<DeploymentRecord>, via: string): Promise<void> {
    const key = `${f.record.namespace}/${f.record.name}`;
    const id = nodeId.deployment(f.record.namespace, f.record.name);
    if (!this.records.deployments.has(key)) this.records.deployments.set(key, f);
    if (!this.records.matchedBy.has(id)) this.records.matchedBy.set(id, via);
    if (this.expanded.has(id)) return;
    this.expanded.add(id);
    const facts = deploymentFacts(f, this.session.conventions).fields.filter(
      (x) => !x.field.startsWith("deployment.") && x.field !== "image.ref" && x.field !== "image.digest",
    );
    const container = traceContainer(f.record.containers);
    await Promise.all([
      this.fromFacts(facts, `deployment ${key}`),
      container ? this.image(container.image, `deployment ${key}`) : Promise.resolve(),
    ]);
  }

  private async pod(namespace: string, name: string): Promise<void> {
    const found = await this.session.ask({
      name: "getPod",
      key: `${namespace}/${name}`,
      what: `pod ${namespace}/${name}`,
      node: nodeId.pod(namespace, name),
      invoke: (r, o) => r.getPod?.(namespace, name, o) ?? Promise.resolve(undefined),
    });
    if (found.length === 0) this.records.missing.add(nodeId.pod(namespace, name));
    await Promise.all(
      found.map(async (f) => {
        this.records.pods.set(`${namespace}/${name}`, f);
        const owner = f.record.deployment;
        if (owner) await this.deployment(owner.namespace, owner.name, `pod ${namespace}/${name}`);
        else
          await Promise.all(
            f.record.pod.containers.map((c) =>
              this.image(
                c.imageId && digestOfRef(c.imageId) ? c.imageId : c.image,
                `pod ${namespace}/${name}`,
              ),
            ),
          );
      }),
    );
  }

  private async run(runId: string): Promise<void> {
    const kind = classifyRunId(runId);
    const query: TraceQuery = kind === "mlflow-run" ? { mlflowRunId: runId } : { jobRunId: runId };
    await Promise.all([
      kind === "mlflow-run" ? this.mlflowRun(runId, "the handle") : this.jobRun(runId, "the handle"),
      this.findModelVersions(query, `run ${runId}`),
      kind === "mlflow-run" ? Promise.resolve() : this.findMlflowRuns(query, `run ${runId}`),
      this.findImages(query, `run ${runId}`),
    ]);
  }

  private async commit(gitSha: string): Promise<void> {
    const query = { gitSha };
    const via = `commit ${gitSha}`;
    await Promise.all([
      this.findModelVersions(query, via),
      this.findMlflowRuns(query, via),
      this.findImages(query, via),
      this.findDeployments(query, via),
    ]);
  }

  private async findModelVersions(query: TraceQuery, via: string): Promise<void> {
    const found = await this.session.ask(
      {
        name: "findModelVersions",
        key: JSON.stringify(query),
        what: `model versions of ${via}`,
        invoke: (r, o) => r.findModelVersions?.(query, o) ?? Promise.resolve(undefined),
      },
      false,
    );
    await Promise.all(
      found.flatMap((f) =>
        f.record.map((record) =>
          this.addModelVersion({ record, system: f.system }, `model versions of ${via}`),
        ),
      ),
    );
  }

  private async findMlflowRuns(query: TraceQuery, via: string): Promise<void> {
    const found = await this.session.ask(
      {
        name: "findMlflowRuns",
        key: JSON.stringify(query),
        what: `MLflow runs of ${via}`,
        invoke: (r, o) => r.findMlflowRuns?.(query, o) ?? Promise.resolve(undefined),
      },
      false,
    );
    await Promise.all(
      found.flatMap((f) =>
        f.record.map((record) => this.addMlflowRun({ record, system: f.system }, `MLflow runs of ${via}`)),
      ),
    );
  }

  private async findImages(query: TraceQuery, via: string): Promise<void> {
    const found = await this.session.ask(
      {
        name: "findImages",
        key: JSON.stringify(query),
        what: `images of ${via}`,
        invoke: (r, o) => r.findImages?.(query, o) ?? Promise.resolve(undefined),
      },
      false,
    );
    await Promise.all(
      found.flatMap((f) =>
        f.record.map((record) => this.addImage({ record, system: f.system }, `images of ${via}`)),
      ),
    );
  }

  private async findDeployments(query: TraceQuery, via: string): Promise<void> {
    const found = await this.session.ask(
      {
        name: "findDeployments",
        key: JSON.stringify(query),
        what: `deployments of ${via}`,
        invoke: (r, o) => r.findDeployments?.(query, o) ?? Promise.resolve(undefined),
      },
      false,
    );
    await Promise.all(
      found.flatMap((f) =>
        f.record.map((record) => this.addDeployment({ record, system: f.system }, `deployments of ${via}`)),
      ),
    );
  }

  /** A log line without deployment fields: the deployments that run its image or its run. */
  private async findDeploymentsOfFacts(facts: readonly FieldFact[]): Promise<void> {
    const digests = [...this.records.images.keys()];
    const tasks = digests.map((d) => this.findDeployments({ imageDigest: d }, `image ${d}`));
    if (digests.length === 0) {
      const q = runQuery(
        facts.find((f) => f.field === "job.runId")?.value as string | undefined,
        facts.find((f) => f.field === "model.mlflowRunId")?.value as string | undefined,
      );
      if (q) tasks.push(this.findDeployments(q, `run ${q.jobRunId ?? q.mlflowRunId}`));
    }
    await Promise.all(tasks);
  }

  /** From model versions (and runs) to the images built from them and the deployments running those. */
  private async downstream(): Promise<void> {
    const queries = new Map<string, TraceQuery>();
    const add = (q: TraceQuery | undefined) => {
      if (q) queries.set(JSON.stringify(q), q);
    };
    const c = this.session.conventions;
    for (const f of this.records.modelVersions.values()) {
      const facts = modelVersionFacts(f, c).fields;
      add(
        runQuery(
          facts.find((x) => x.field === "job.runId")?.value as string | undefined,
          f.record.mlflowRunId,
        ),
      );
      // The job run its MLflow run records too: a model version re-tagged by hand still reaches
      // the image built for its run, so that verify can show the disagreement.
      const run = f.record.mlflowRunId ? this.records.mlflowRuns.get(f.record.mlflowRunId) : undefined;
      if (run) {
        const jobRunId = mlflowRunFacts(run, c).fields.find((x) => x.field === "job.runId")?.value;
        add(runQuery(jobRunId as string | undefined, run.record.runId));
      }
    }
    for (const f of this.records.mlflowRuns.values()) {
      const jobRunId = mlflowRunFacts(f, c).fields.find((x) => x.field === "job.runId")?.value;
      add(runQuery(jobRunId as string | undefined, f.record.runId));
    }
    await Promise.all(
      [...queries.values()].map((q) => this.findImages(q, `run ${q.jobRunId ?? q.mlflowRunId}`)),
    );
    await this.downstreamOfImages();
  }

  /** The deployments that run the images found. */
  private async downstreamOfImages(): Promise<void> {
    await Promise.all(
      [...this.records.images.keys()].map((d) => this.findDeployments({ imageDigest: d }, `image ${d}`)),
    );
  }
}

/** The digest of `repo@sha256:...`, of a bare digest, or of a runtime image id (`docker-pullable://...@sha256:...`). */
export function digestOfRef(ref: string): string | undefined {
  const at = ref.lastIndexOf("@");
  const candidate = at === -1 ? ref : ref.slice(at + 1);
  return DIGEST.test(candidate) ? candidate : undefined;
}
