import type { TracedMap, TraceLineage } from "@modeltrail/core";
import type {
  ArtifactComparison,
  ComparisonStatus,
  DatasetComparison,
  MetricComparison,
  MetricTolerance,
  ParameterComparison,
  ReproduceComparison,
  UsedParameter,
} from "./reproduce-report.js";
import { type ArtifactDigest, MLMODEL_VOLATILE_FIELDS } from "./run-artifact-digests.js";

/** The default metric tolerance: floating-point noise only. */
export const DEFAULT_METRIC_TOLERANCE: MetricTolerance = Object.freeze({ absolute: 1e-9, relative: 1e-6 });

/** What {@link compareRuns} compares. */
export interface RunsToCompare {
  original: TraceLineage;
  reproduced: TraceLineage;
  /** The job parameters the original recorded (only those it recorded). */
  originalJobParameters: Record<string, string>;
  /** The job parameters the reproduction ran with. */
  usedJobParameters: Record<string, UsedParameter>;
  /** Artifact digests of each side, or why they are unknown. */
  artifacts: { original: ArtifactDigest[]; reproduced: ArtifactDigest[] } | { unknown: string };
  tolerance: MetricTolerance;
  metricTolerances?: Record<string, MetricTolerance> | undefined;
}

const text = (v: { value: unknown } | undefined): string | undefined =>
  v === undefined ? undefined : String(v.value);

function sideStatus(a: unknown, b: unknown, equal: boolean): ComparisonStatus {
  if (a === undefined && b === undefined) return "unknown";
  if (a === undefined) return "added";
  if (b === undefined) return "missing";
  return equal ? "same" : "differs";
}

function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort();
}

/** The job parameters and the MLflow params of both runs. */
export function compareParameters(input: RunsToCompare): ParameterComparison[] {
  const out: ParameterComparison[] = [];
  for (const name of Object.keys(input.usedJobParameters).sort()) {
    const used = input.usedJobParameters[name] as UsedParameter;
    const original = input.originalJobParameters[name];
    if (original === undefined) {
      out.push({
        scope: "job",
        name,
        reproduced: used.value,
        status: used.origin === "override" ? "differs" : "unknown",
        note:
          used.origin === "override"
            ? "overridden; the original's value is not recorded"
            : `the original's value is not recorded; the ${used.origin} was used`,
      });
      continue;
    }
    out.push({
      scope: "job",
      name,
      original,
      reproduced: used.value,
      status: original === used.value ? "same" : "differs",
      ...(used.origin === "override" ? { note: "overridden" } : {}),
    });
  }
  const a: TracedMap = input.original.artifacts.params ?? {};
  const b: TracedMap = input.reproduced.artifacts.params ?? {};
  for (const name of sortedUnion(Object.keys(a), Object.keys(b))) {
    const x = text(a[name]);
    const y = text(b[name]);
    out.push({
      scope: "mlflow",
      name,
      ...(x === undefined ? {} : { original: x }),
      ...(y === undefined ? {} : { reproduced: y }),
      status: sideStatus(x, y, x === y),
    });
  }
  return out;
}

/** The latest value of every metric of both runs, each within its tolerance. */
export function compareMetrics(input: RunsToCompare): MetricComparison[] {
  const a: TracedMap = input.original.artifacts.metrics ?? {};
  const b: TracedMap = input.reproduced.artifacts.metrics ?? {};
  return sortedUnion(Object.keys(a), Object.keys(b)).map((name) => {
    const x = a[name] === undefined ? undefined : Number(a[name].value);
    const y = b[name] === undefined ? undefined : Number(b[name].value);
    if (x === undefined || y === undefined)
      return {
        name,
        ...(x === undefined ? {} : { original: x }),
        ...(y === undefined ? {} : { reproduced: y }),
        status: sideStatus(x, y, false),
      };
    const tol = input.metricTolerances?.[name] ?? input.tolerance;
    const allowed = Math.max(tol.absolute, tol.relative * Math.max(Math.abs(x), Math.abs(y)));
    const delta = y - x;
    const same = x === y || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(delta) <= allowed;
    return { name, original: x, reproduced: y, delta, allowed, status: same ? "same" : "differs" };
  });
}

/**
 * The training data sets of both runs, matched by name (a single unmatched data set on each side is
 * matched with the other: a run whose data set name carries a parameter), compared by digest.
 */
export function compareDatasets(input: RunsToCompare): DatasetComparison[] {
  const a = input.original.data.datasets.filter((d) => d.context === undefined || d.context === "training");
  const b = input.reproduced.data.datasets.filter((d) => d.context === undefined || d.context === "training");
  const pairs: Array<[(typeof a)[number] | undefined, (typeof b)[number] | undefined]> = [];
  const restB = [...b];
  const restA: typeof a = [];
  for (const d of a) {
    const i = restB.findIndex((x) => x.name === d.name);
    if (i === -1) restA.push(d);
    else pairs.push([d, restB.splice(i, 1)[0]]);
  }
  if (restA.length === 1 && restB.length === 1) pairs.push([restA.pop(), restB.pop()]);
  for (const d of restA) pairs.push([d, undefined]);
  for (const d of restB) pairs.push([undefined, d]);
  return pairs.map(([x, y]) => {
    const name = x && y && x.name !== y.name ? `${x.name} / ${y.name}` : (x?.name ?? y?.name ?? "");
    const status: ComparisonStatus =
      x && y
        ? x.digest === undefined || y.digest === undefined
          ? "unknown"
          : x.digest === y.digest
            ? "same"
            : "differs"
        : x
          ? "missing"
          : "added";
    return {
      name,
      ...(x?.digest ? { originalDigest: x.digest } : {}),
      ...(y?.digest ? { reproducedDigest: y.digest } : {}),
      ...(x?.uri ? { originalUri: x.uri } : {}),
      ...(y?.uri ? { reproducedUri: y.uri } : {}),
      status,
      ...(status === "unknown" ? { note: "a digest is not recorded" } : {}),
    };
  });
}

/**
 * The model artifact files of both runs by sha256. A file whose bytes differ but whose normalized
 * digest is the same (an `MLmodel` without MLflow's per-run fields, a ZIP archive with the same
 * entries) counts as the same, with a note saying so.
 */
export function compareArtifacts(
  original: readonly ArtifactDigest[],
  reproduced: readonly ArtifactDigest[],
): ArtifactComparison[] {
  const a = new Map(original.map((f) => [f.path, f]));
  const b = new Map(reproduced.map((f) => [f.path, f]));
  return sortedUnion(a.keys(), b.keys()).map((path) => {
    const x = a.get(path);
    const y = b.get(path);
    const base = {
      path,
      ...(x ? { originalDigest: x.digest } : {}),
      ...(y ? { reproducedDigest: y.digest } : {}),
    };
    if (!x || !y) return { ...base, status: x ? "missing" : "added" };
    if (x.digest === y.digest) return { ...base, status: "same" };
    if (x.normalizedDigest !== undefined && x.normalizedDigest === y.normalizedDigest)
      return {
        ...base,
        status: "same",
        note:
          x.normalizedBy === "zip"
            ? "same files inside the archive; only its timestamps or packing differ"
            : x.normalizedBy === "skops"
              ? "the same model: the skops archives differ only in the memory addresses that name their arrays and objects"
              : `differs only in ${MLMODEL_VOLATILE_FIELDS.join(", ")} (written anew by every run)`,
      };
    return { ...base, status: "differs" };
  });
}

/** Compares the commit, parameters, metrics, data sets and model artifacts of the two runs. */
export function compareRuns(input: RunsToCompare): ReproduceComparison {
  const originalSha = text(input.original.code.gitSha) ?? "";
  const reproducedSha = text(input.reproduced.code.gitSha);
  return {
    commit: {
      original: originalSha,
      ...(reproducedSha === undefined ? {} : { reproduced: reproducedSha }),
      status: reproducedSha === undefined ? "unknown" : reproducedSha === originalSha ? "same" : "differs",
    },
    parameters: compareParameters(input),
    metrics: compareMetrics(input),
    datasets: compareDatasets(input),
    artifacts:
      "unknown" in input.artifacts
        ? []
        : compareArtifacts(input.artifacts.original, input.artifacts.reproduced),
    ...("unknown" in input.artifacts ? { artifactsUnknown: input.artifacts.unknown } : {}),
  };
}

/** One line per difference and one per unknown value of a comparison, for people and for `differences`. */
export function summarizeComparison(c: ReproduceComparison): { differences: string[]; unknown: string[] } {
  const differences: string[] = [];
  const unknown: string[] = [];
  const side = (v: unknown) => (v === undefined ? "(none)" : String(v));
  const push = (status: ComparisonStatus, line: string) => {
    if (status === "unknown") unknown.push(line);
    else if (status !== "same") differences.push(line);
  };
  push(c.commit.status, `commit: ${c.commit.original} -> ${side(c.commit.reproduced)}`);
  for (const p of c.parameters)
    push(
      p.status,
      `${p.scope === "job" ? "job parameter" : "param"} ${p.name}: ${side(p.original)} -> ${side(p.reproduced)}${p.note ? ` (${p.note})` : ""}`,
    );
  for (const m of c.metrics)
    push(
      m.status,
      `metric ${m.name}: ${side(m.original)} -> ${side(m.reproduced)}${m.delta !== undefined ? ` (delta ${m.delta.toPrecision(3)}, allowed ${m.allowed?.toPrecision(3)})` : ""}`,
    );
  for (const d of c.datasets)
    push(
      d.status,
      `dataset ${d.name}: digest ${side(d.originalDigest)} -> ${side(d.reproducedDigest)}${d.note ? ` (${d.note})` : ""}`,
    );
  for (const f of c.artifacts)
    push(f.status, `artifact ${f.path}: ${side(f.originalDigest)} -> ${side(f.reproducedDigest)}`);
  if (c.artifactsUnknown) unknown.push(`artifacts: ${c.artifactsUnknown}`);
  return { differences, unknown };
}
