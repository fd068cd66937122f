import type { ArtifactFileRecord } from "../resolvers/trace-records.js";
import type { TraceQuery } from "../resolvers/trace-resolver.js";
import type { TraceLineage } from "./trace-report.js";
import type { TraceSource } from "./trace-source.js";
import type { VerifyCheck, VerifyCheckId, VerifyValue } from "./verify-result.js";
import { podDigests } from "./walk/assemble-lineage.js";
import type { Chain, ChainMember } from "./walk/chains.js";
import { digestOfRef, type WalkRecords } from "./walk/collect-records.js";
import type { LookupSession } from "./walk/lookup-session.js";
import { nodeId } from "./walk/node-ids.js";
import type { FieldFact } from "./walk/read-facts.js";
import { recordSource, traceContainer } from "./walk/record-facts.js";

/** How `artifacts.model-layer` compares: file digests (streams both sides), paths and sizes, or not at all. */
export type ArtifactCheckMode = "digests" | "sizes" | "skip";

/** What every check of one lineage reads. */
export interface CheckInput {
  chain: Chain;
  lineage: TraceLineage;
  records: WalkRecords;
  session: LookupSession;
  artifacts: ArtifactCheckMode;
  requireProvenance: boolean;
}

/** One side of a link: whether its object is there, whether something says it should be, and its values. */
interface Side {
  label: string;
  present: boolean;
  /** Something names it or a look-up that would find it failed: its absence is an unknown, not "not applicable". */
  expected: boolean;
  /** Why it is absent, when it is. */
  missing: string;
  source: TraceSource;
  values: VerifyValue[];
}

const TITLES: Record<VerifyCheckId, string> = {
  "commit.deployment-image": "the deployment's GIT_SHA equals the image's revision",
  "commit.image-model-version": "the image's revision equals the model version's GIT_SHA",
  "commit.model-version-run": "the model version's GIT_SHA equals the training run's commit",
  "commit.run-job": "the training run's commit equals the job run's",
  "run-id.deployment-image": "the deployment's RUN_ID equals the image's run id",
  "run-id.image-model-version": "the image's run id equals the model version's",
  "image.deployed-digest": "the deployed image digest is the pushed one",
  "artifacts.model-layer": "the image's model layer holds the model version's files",
  "provenance.signature": "the provenance attestation verifies",
  "provenance.commit": "the provenance names the same commit",
  "data.digests": "every training data set is recorded with a digest",
};

/** Runs every check that applies to a lineage. Checks whose both sides are absent are left out. */
export async function runChecks(input: CheckInput): Promise<VerifyCheck[]> {
  const out: Array<VerifyCheck | undefined> = [
    commitCheck(
      input,
      "commit.deployment-image",
      deploymentSide(input, "commit"),
      imageSide(input, "commit"),
    ),
    commitCheck(
      input,
      "commit.image-model-version",
      imageSide(input, "commit"),
      modelVersionSide(input, "commit"),
    ),
    commitCheck(input, "commit.model-version-run", modelVersionSide(input, "commit"), runSide(input)),
    commitCheck(input, "commit.run-job", runSide(input), jobSide(input)),
    runIdCheck(input, "run-id.deployment-image", deploymentSide(input, "run"), imageSide(input, "run")),
    runIdCheck(input, "run-id.image-model-version", imageSide(input, "run"), modelVersionSide(input, "run")),
    await deployedDigestCheck(input),
    await modelLayerCheck(input),
    provenanceSignatureCheck(input),
    provenanceCommitCheck(input),
    dataDigestsCheck(input),
  ];
  return out.filter((c): c is VerifyCheck => c !== undefined);
}

// ---------------------------------------------------------------- sides

function valuesOf(facts: readonly FieldFact[] | undefined, accept: (f: FieldFact) => boolean): VerifyValue[] {
  return (facts ?? []).filter(accept).map((f) => ({ value: f.value, source: f.source }));
}

const isCommit = (f: FieldFact) => f.field === "code.gitSha";
const isRun = (f: FieldFact) => f.field === "job.runId" || f.field === "model.mlflowRunId";

/** Why an object is missing: the first gap recorded for its node, else for its system, else `fallback`. */
function why(input: CheckInput, nodes: readonly string[], system: string, fallback: string): string {
  const gaps = input.session.unreachable;
  const byNode = gaps.find((g) => g.node !== undefined && nodes.includes(g.node));
  if (byNode) return byNode.message;
  const bySystem = gaps.find((g) => g.system === system && g.reason !== "not-found");
  return bySystem ? bySystem.message : fallback;
}

function systemFailed(input: CheckInput, system: string): boolean {
  return input.session.unreachable.some(
    (g) => g.system === system && (g.reason === "failed" || g.reason === "no-resolver"),
  );
}

/** The values every chain member states for a field, for "is it referenced" questions. */
function named(input: CheckInput, field: FieldFact["field"], except: ChainMember): string[] {
  const out = new Set<string>();
  for (const [member, facts] of Object.entries(input.chain.facts)) {
    if (member === except || !facts) continue;
    for (const f of facts.fields) if (f.field === field) out.add(String(f.value));
  }
  return [...out];
}

function deploymentSide(input: CheckInput, what: "commit" | "run"): Side {
  const d = input.chain.deployment;
  const facts = input.chain.facts.deployment?.fields;
  const env = (f: FieldFact) =>
    f.source.field?.startsWith("container ") === true && f.source.field.includes(" env ");
  return {
    label: "the deployment",
    present: d !== undefined,
    expected:
      input.records.handle.kind === "log-line" ||
      input.records.handle.kind === "deployment" ||
      input.records.handle.kind === "pod",
    missing: why(
      input,
      [...input.records.missing].filter((m) => m.startsWith("deployment:") || m.startsWith("pod:")),
      "kubernetes",
      "no deployment runs this model",
    ),
    source: d ? recordSource.deployment(d) : { system: "kubernetes", object: "deployment" },
    values: valuesOf(facts, (f) => env(f) && (what === "commit" ? isCommit(f) : isRun(f))),
  };
}

function imageSide(input: CheckInput, what: "commit" | "run"): Side {
  const img = input.chain.image;
  const facts = input.chain.facts.image?.fields;
  const refs = input.chain.deployment
    ? [traceContainer(input.chain.deployment.record.containers)?.image].filter((x): x is string => !!x)
    : named(input, "image.ref", "image");
  const nodes = refs.map((r) => nodeId.image(digestOfRef(r) ?? r));
  return {
    label: "the image",
    present: img !== undefined,
    expected:
      refs.length > 0 || named(input, "image.digest", "image").length > 0 || systemFailed(input, "registry"),
    missing: why(input, nodes, "registry", "no image of this model was found"),
    source: img ? recordSource.image(img) : { system: "registry", object: `image ${refs[0] ?? "?"}` },
    values: valuesOf(
      facts,
      (f) =>
        f.source.field?.startsWith("annotation ") === true && (what === "commit" ? isCommit(f) : isRun(f)),
    ),
  };
}

function modelVersionSide(input: CheckInput, what: "commit" | "run"): Side {
  const mv = input.chain.modelVersion;
  const facts = input.chain.facts.modelVersion?.fields;
  const names = named(input, "model.name", "modelVersion");
  const versions = named(input, "model.version", "modelVersion");
  const nodes = names.flatMap((n) => versions.map((v) => nodeId.modelVersion(n, v)));
  return {
    label: "the model version",
    present: mv !== undefined,
    expected: nodes.length > 0 || systemFailed(input, "mlflow"),
    missing: why(input, nodes, "mlflow", "no model version was found"),
    source: mv
      ? recordSource.modelVersion(mv)
      : { system: "mlflow", object: `model version ${names[0] ?? "?"}/${versions[0] ?? "?"}` },
    values: valuesOf(facts, (f) =>
      what === "commit" ? isCommit(f) && f.source.field?.startsWith("tag ") === true : isRun(f),
    ),
  };
}

function runSide(input: CheckInput): Side {
  const run = input.chain.mlflowRun;
  const ids = named(input, "model.mlflowRunId", "mlflowRun");
  return {
    label: "the training run",
    present: run !== undefined,
    expected: ids.length > 0,
    missing: why(
      input,
      ids.map((id) => nodeId.mlflowRun(id)),
      "mlflow",
      "the MLflow run was not found",
    ),
    source: run ? recordSource.mlflowRun(run) : { system: "mlflow", object: `MLflow run ${ids[0] ?? "?"}` },
    values: valuesOf(
      input.chain.facts.mlflowRun?.fields,
      (f) => isCommit(f) && f.source.field?.startsWith("tag ") === true,
    ),
  };
}

function jobSide(input: CheckInput): Side {
  const job = input.chain.jobRun;
  const ids = named(input, "job.runId", "jobRun");
  return {
    label: "the job run",
    present: job !== undefined,
    expected: ids.length > 0,
    missing: why(
      input,
      ids.map((id) => nodeId.jobRun(id)),
      "databricks",
      "the job run was not found",
    ),
    source: job ? recordSource.jobRun(job) : { system: "databricks", object: `job run ${ids[0] ?? "?"}` },
    values: valuesOf(input.chain.facts.jobRun?.fields, isCommit),
  };
}

// ---------------------------------------------------------------- checks

function link(a: Side, b: Side, input: CheckInput): { from: string; to: string } | undefined {
  const idOf = (s: Side): string | undefined => {
    const c = input.chain;
    if (s.label === "the deployment" && c.deployment)
      return nodeId.deployment(c.deployment.record.namespace, c.deployment.record.name);
    if (s.label === "the image" && c.image) return nodeId.image(c.image.record.digest);
    if (s.label === "the model version" && c.modelVersion)
      return nodeId.modelVersion(c.modelVersion.record.name, c.modelVersion.record.version);
    if (s.label === "the training run" && c.mlflowRun) return nodeId.mlflowRun(c.mlflowRun.record.runId);
    if (s.label === "the job run" && c.jobRun) return nodeId.jobRun(c.jobRun.record.runId);
    return undefined;
  };
  const x = idOf(a);
  const y = idOf(b);
  // links point downstream: the second side is upstream in every check
  return x && y ? { from: y, to: x } : undefined;
}

function base(input: CheckInput, id: VerifyCheckId, l?: { from: string; to: string }) {
  return { id, title: TITLES[id], lineage: input.lineage.id, ...(l ? { link: l } : {}) };
}

/** Both sides absent: left out. One side absent: unknown (when expected) or left out. */
function absence(input: CheckInput, id: VerifyCheckId, a: Side, b: Side): VerifyCheck | undefined | "go" {
  if (a.present && b.present) return "go";
  if (!a.present && !b.present) return undefined;
  const absent = a.present ? b : a;
  const present = a.present ? a : b;
  if (!absent.expected) return undefined;
  return {
    ...base(input, id),
    status: "unknown",
    reason: absent.missing,
    message: `${cap(absent.label)} could not be read: ${absent.missing}`,
    values: present.values,
  };
}

function commitCheck(input: CheckInput, id: VerifyCheckId, a: Side, b: Side): VerifyCheck | undefined {
  const gate = absence(input, id, a, b);
  if (gate !== "go") return gate;
  const l = link(a, b, input);
  if (a.values.length === 0 && b.values.length === 0) return neither(input, id, a, b, "commit", l);
  const values = [...orNull(a), ...orNull(b)];
  const distinct = new Set(values.map((v) => (v.value === null ? "\u0000" : String(v.value))));
  if (a.values.length > 0 && b.values.length > 0 && distinct.size === 1) {
    return {
      ...base(input, id, l),
      status: "pass",
      message: `both name commit ${String(values[0]?.value)}`,
      values,
    };
  }
  return { ...base(input, id, l), status: "fail", message: disagreement(a, b), values };
}

function runIdCheck(input: CheckInput, id: VerifyCheckId, a: Side, b: Side): VerifyCheck | undefined {
  const gate = absence(input, id, a, b);
  if (gate !== "go") return gate;
  const l = link(a, b, input);
  const jobA = a.values.filter((v) => v.source.field !== undefined && isJobRunValue(v));
  const jobB = b.values.filter((v) => isJobRunValue(v));
  const useJob = jobA.length > 0 && jobB.length > 0;
  const pick = (s: Side, job: VerifyValue[]) => (useJob ? job : s.values.filter((v) => !isJobRunValue(v)));
  const sa: Side = { ...a, values: pick(a, jobA) };
  const sb: Side = { ...b, values: pick(b, jobB) };
  if (a.values.length === 0 && b.values.length === 0) return neither(input, id, a, b, "run id", l);
  const values = [...orNull(sa), ...orNull(sb)];
  const distinct = new Set(values.map((v) => String(v.value)));
  if (sa.values.length > 0 && sb.values.length > 0 && distinct.size === 1) {
    return {
      ...base(input, id, l),
      status: "pass",
      message: `both name run ${String(values[0]?.value)}`,
      values,
    };
  }
  return { ...base(input, id, l), status: "fail", message: disagreement(sa, sb, "run id"), values };
}

/** Neither side records the value: nothing to compare, which is not a disagreement. */
function neither(
  input: CheckInput,
  id: VerifyCheckId,
  a: Side,
  b: Side,
  what: string,
  l: { from: string; to: string } | undefined,
): VerifyCheck {
  return {
    ...base(input, id, l),
    status: "unknown",
    reason: `neither ${a.label} nor ${b.label} records a ${what}`,
    message: `No ${what} to compare`,
    values: [...orNull(a), ...orNull(b)],
  };
}

/** Decimal values are job run ids; 32 hex characters are MLflow run ids. */
function isJobRunValue(v: VerifyValue): boolean {
  return /^[0-9]{1,19}$/.test(String(v.value));
}

function orNull(s: Side): VerifyValue[] {
  return s.values.length > 0 ? s.values : [{ value: null, source: s.source }];
}

function disagreement(a: Side, b: Side, what = "commit"): string {
  const say = (s: Side) =>
    s.values.length === 0
      ? `${s.label} records no ${what}`
      : `${s.label} says ${[...new Set(s.values.map((v) => String(v.value)))].join(" and ")}`;
  return `${cap(say(a))}, ${say(b)}`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

async function deployedDigestCheck(input: CheckInput): Promise<VerifyCheck | undefined> {
  const id: VerifyCheckId = "image.deployed-digest";
  const { chain } = input;
  const d = chain.deployment;
  if (!d) return undefined;
  const container = traceContainer(d.record.containers);
  const dsrc = recordSource.deployment(d);
  const deployed: VerifyValue[] = [];
  const refDigest = container ? digestOfRef(container.image) : undefined;
  if (refDigest && container)
    deployed.push({ value: refDigest, source: { ...dsrc, field: `container ${container.name} image` } });
  deployed.push(...podDigests(chain));
  const img = chain.image;
  if (!img) {
    const imageSideNow = imageSide(input, "commit");
    return {
      ...base(input, id),
      status: "unknown",
      reason: imageSideNow.missing,
      message: `The registry's digest could not be read: ${imageSideNow.missing}`,
      values: deployed,
    };
  }
  const isrc = recordSource.image(img);
  const pushed: VerifyValue[] = [{ value: img.record.digest, source: { ...isrc, field: "manifest digest" } }];
  const runFacts =
    chain.facts.image?.fields.filter((f) => f.source.field?.startsWith("annotation ") && isRun(f)) ?? [];
  const jobRun = runFacts.find((f) => f.field === "job.runId");
  const mlflowRun = runFacts.find((f) => f.field === "model.mlflowRunId");
  const query: TraceQuery | undefined = jobRun
    ? { jobRunId: String(jobRun.value) }
    : mlflowRun
      ? { mlflowRunId: String(mlflowRun.value) }
      : undefined;
  if (query) {
    const found = await input.session.ask(
      {
        name: "findImages",
        key: JSON.stringify(query),
        what: `the images pushed for run ${query.jobRunId ?? query.mlflowRunId}`,
        invoke: (r, o) => r.findImages?.(query, o) ?? Promise.resolve(undefined),
      },
      false,
    );
    for (const f of found) {
      for (const rec of f.record) {
        if (rec.digest === img.record.digest) continue;
        pushed.push({
          value: rec.digest,
          source: {
            system: f.system,
            object: `image ${rec.ref}`,
            field: `tagged for run ${query.jobRunId ?? query.mlflowRunId}`,
          },
        });
      }
    }
  }
  const l = {
    from: nodeId.image(img.record.digest),
    to: nodeId.deployment(d.record.namespace, d.record.name),
  };
  if (deployed.length === 0) {
    return {
      ...base(input, id, l),
      status: "unknown",
      reason:
        "the cluster does not say which digest it runs: the image is deployed by tag and no pod reports an image id with a digest (deploy by digest to make this checkable)",
      message: "The deployed digest is not known",
      values: pushed,
    };
  }
  const values = [...deployed, ...pushed];
  const distinct = new Set(values.map((v) => String(v.value)));
  if (distinct.size === 1) {
    return {
      ...base(input, id, l),
      status: "pass",
      message: `the cluster runs ${img.record.digest}, the digest the registry holds`,
      values,
    };
  }
  return {
    ...base(input, id, l),
    status: "fail",
    message: `The cluster runs ${[...new Set(deployed.map((v) => String(v.value)))].join(", ")} but the registry holds ${[...new Set(pushed.map((v) => String(v.value)))].join(", ")} for this image`,
    values,
  };
}

async function modelLayerCheck(input: CheckInput): Promise<VerifyCheck | undefined> {
  const id: VerifyCheckId = "artifacts.model-layer";
  if (input.artifacts === "skip") return undefined;
  const { chain, session } = input;
  const mv = chain.modelVersion;
  const img = chain.image;
  const gate = absence(input, id, modelVersionSide(input, "commit"), imageSide(input, "commit"));
  if (gate !== "go" || !mv || !img) return gate === "go" ? undefined : gate;
  const l = {
    from: nodeId.modelVersion(mv.record.name, mv.record.version),
    to: nodeId.image(img.record.digest),
  };
  const mvs = recordSource.modelVersion(mv);
  const isrc = recordSource.image(img);
  const ref = img.record.ref;
  const layer = await session.ask({
    name: "getImageModelFiles",
    key: ref,
    what: `the model layer of image ${ref}`,
    node: nodeId.image(img.record.digest),
    invoke: (r, o) => r.getImageModelFiles?.(ref, o) ?? Promise.resolve(undefined),
  });
  let model: ArtifactFileRecord[] | undefined;
  if (input.artifacts === "digests") {
    const got = await session.ask({
      name: "getModelVersionFileDigests",
      key: `${mv.record.name}/${mv.record.version}`,
      what: `the file digests of model version ${mv.record.name}/${mv.record.version}`,
      node: nodeId.modelVersion(mv.record.name, mv.record.version),
      invoke: (r, o) =>
        r.getModelVersionFileDigests?.(mv.record.name, mv.record.version, o) ?? Promise.resolve(undefined),
    });
    model = got[0]?.record;
  } else {
    model = mv.record.files;
  }
  const layerFiles = layer[0]?.record;
  if (!layerFiles || !model) {
    const reason = !layerFiles
      ? why(
          input,
          [nodeId.image(img.record.digest)],
          "registry",
          "the image has no model layer the registry resolver can read",
        )
      : why(
          input,
          [nodeId.modelVersion(mv.record.name, mv.record.version)],
          "mlflow",
          "the model version's files could not be listed",
        );
    return {
      ...base(input, id, l),
      status: "unknown",
      reason,
      message: `The files could not be compared: ${reason}`,
      values: [],
    };
  }
  const byPath = new Map(layerFiles.map((f) => [f.path, f]));
  const problems: string[] = [];
  const values: VerifyValue[] = [];
  const useDigests = input.artifacts === "digests";
  for (const f of model) {
    const other = byPath.get(f.path);
    byPath.delete(f.path);
    if (!other) {
      problems.push(`${f.path} is missing from the image`);
      values.push(
        { value: f.digest ?? f.size ?? f.path, source: { ...mvs, field: `file ${f.path}` } },
        { value: null, source: { ...isrc, field: `model layer ${f.path}` } },
      );
      continue;
    }
    const a = useDigests ? f.digest : f.size;
    const b = useDigests ? other.digest : other.size;
    if (a === undefined || b === undefined || String(a) !== String(b)) {
      problems.push(
        `${f.path} differs (${useDigests ? "digest" : "size"} ${a ?? "unknown"} in the model version, ${b ?? "unknown"} in the image)`,
      );
      values.push(
        { value: a ?? null, source: { ...mvs, field: `file ${f.path}` } },
        { value: b ?? null, source: { ...isrc, field: `model layer ${f.path}` } },
      );
    }
  }
  for (const extra of byPath.values()) {
    problems.push(`${extra.path} is in the image but not in the model version`);
    values.push(
      { value: null, source: { ...mvs, field: `file ${extra.path}` } },
      {
        value: extra.digest ?? extra.size ?? extra.path,
        source: { ...isrc, field: `model layer ${extra.path}` },
      },
    );
  }
  if (problems.length === 0) {
    return {
      ...base(input, id, l),
      status: "pass",
      message: `all ${model.length} files match by ${useDigests ? "sha256 digest" : "path and size"}`,
      values: [
        { value: model.length, source: { ...mvs, field: "files" } },
        { value: layerFiles.length, source: { ...isrc, field: "model layer files" } },
      ],
    };
  }
  const shown =
    problems.slice(0, 5).join("; ") + (problems.length > 5 ? `; and ${problems.length - 5} more` : "");
  return { ...base(input, id, l), status: "fail", message: shown, values: values.slice(0, 40) };
}

function provenanceSignatureCheck(input: CheckInput): VerifyCheck | undefined {
  const id: VerifyCheckId = "provenance.signature";
  const img = input.chain.image;
  if (!img) return undefined;
  const prov = img.record.provenance[0];
  const isrc = recordSource.image(img);
  if (!prov) {
    if (input.requireProvenance) {
      return {
        ...base(input, id),
        status: "fail",
        message: `Image ${img.record.ref} has no provenance attestation, and one is required`,
        values: [{ value: null, source: { ...isrc, field: "referrers" } }],
      };
    }
    return {
      ...base(input, id),
      status: "unknown",
      reason: "the image has no provenance attestation",
      message: "No provenance to verify",
      values: [],
    };
  }
  const psrc: TraceSource = {
    system: img.system,
    object: `attestation ${prov.digest} of image ${img.record.ref}`,
  };
  const l = { from: nodeId.provenance(prov.digest), to: nodeId.image(img.record.digest) };
  if (prov.verified === true) {
    return {
      ...base(input, id, l),
      status: "pass",
      message: "the signature verifies with the given key and the statement names this image",
      values: [{ value: true, source: { ...psrc, field: "signature" } }],
    };
  }
  if (prov.verified === false) {
    return {
      ...base(input, id, l),
      status: "fail",
      message: `The provenance does not verify: ${prov.verifyError ?? "bad signature or subject"}`,
      values: [
        { value: false, source: { ...psrc, field: "signature" } },
        { value: img.record.digest, source: { ...isrc, field: "manifest digest" } },
      ],
    };
  }
  return {
    ...base(input, id, l),
    status: "unknown",
    reason: prov.signed
      ? "no public key was given to verify the signature with"
      : "the attestation is not signed",
    message: "The provenance signature was not checked",
    values: [],
  };
}

function provenanceCommitCheck(input: CheckInput): VerifyCheck | undefined {
  const id: VerifyCheckId = "provenance.commit";
  const img = input.chain.image;
  const prov = img?.record.provenance[0];
  if (!img || !prov) return undefined;
  const psrc: TraceSource = {
    system: img.system,
    object: `attestation ${prov.digest} of image ${img.record.ref}`,
    field: "resolvedDependencies gitCommit",
  };
  const mv = modelVersionSide(input, "commit");
  const imageCommit = imageSide(input, "commit").values;
  const values: VerifyValue[] = [
    { value: prov.gitCommit ?? null, source: psrc },
    ...imageCommit,
    ...mv.values,
  ];
  const l = { from: nodeId.provenance(prov.digest), to: nodeId.image(img.record.digest) };
  const distinct = new Set(values.map((v) => String(v.value)));
  if (prov.gitCommit && distinct.size === 1) {
    return {
      ...base(input, id, l),
      status: "pass",
      message: `the provenance names commit ${prov.gitCommit}, as the image and model version do`,
      values,
    };
  }
  return {
    ...base(input, id, l),
    status: "fail",
    message: prov.gitCommit
      ? `The provenance names commit ${prov.gitCommit}, but ${[...distinct].filter((v) => v !== prov.gitCommit).join(", ")} is recorded elsewhere`
      : "The provenance names no git commit",
    values,
  };
}

function dataDigestsCheck(input: CheckInput): VerifyCheck | undefined {
  const id: VerifyCheckId = "data.digests";
  const run = input.chain.mlflowRun;
  const side = runSide(input);
  if (!run) {
    if (!side.expected) return undefined;
    return {
      ...base(input, id),
      status: "unknown",
      reason: side.missing,
      message: `The training run could not be read: ${side.missing}`,
      values: [],
    };
  }
  const src = recordSource.mlflowRun(run);
  const l = { from: nodeId.mlflowRun(run.record.runId), to: nodeId.mlflowRun(run.record.runId) };
  void l;
  const sets = run.record.datasets;
  if (sets.length === 0) {
    return {
      ...base(input, id),
      status: "fail",
      message:
        "The training run lists no dataset inputs: log the training data with its digest (mlflow.log_input) so that the data question can be answered",
      values: [{ value: null, source: { ...src, field: "inputs.dataset_inputs" } }],
    };
  }
  const values: VerifyValue[] = sets.map((d) => ({
    value: d.digest ?? null,
    source: { ...src, field: `dataset input ${d.name}` },
  }));
  const missing = sets.filter((d) => !d.digest);
  if (missing.length === 0) {
    return {
      ...base(input, id),
      status: "pass",
      message: `${sets.length} data set(s), each with a digest`,
      values,
    };
  }
  return {
    ...base(input, id),
    status: "fail",
    message: `No digest for ${missing.map((d) => d.name).join(", ")}`,
    values,
  };
}
