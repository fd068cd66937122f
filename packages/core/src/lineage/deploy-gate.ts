import { ValidationError } from "../errors/validation-error.js";
import type { CallOptions } from "../http/call-options.js";
import type { TraceResolver } from "../resolvers/trace-resolver.js";
import type { TraceConventions } from "../trace/conventions.js";
import type { TraceReport } from "./trace-report.js";
import { type VerifyOptions, verify } from "./verify.js";
import type { ArtifactCheckMode } from "./verify-checks.js";
import type { VerifyCheck, VerifyCheckId } from "./verify-result.js";
import type { VerifyResult } from "./verify-types.js";

/** What a {@link DeployPolicy} requires of an image before it may be deployed. */
export interface DeployPolicyOptions {
  /** The systems verify() reads (the registry's resolver at least; MLflow's for the commit check). */
  resolvers: readonly TraceResolver[];
  /**
   * Refuse an image whose provenance does not verify (`provenance.signature` must pass: the image
   * has an attestation, and the registry resolver was given the public key). Default true.
   */
  requireProvenance?: boolean | undefined;
  /**
   * Refuse an image whose commit differs from its model version's, or whose model version cannot
   * be read to compare (`commit.image-model-version` must pass). Default true.
   */
  requireModelVersionCommit?: boolean | undefined;
  /** Refuse an image when any verify() check fails. Default true. */
  requireVerify?: boolean | undefined;
  /** Also refuse when a verify() check could not be decided (unknown). Default false. */
  strict?: boolean | undefined;
  /** How the model layer is compared (see `verify`); default `digests`. */
  artifacts?: ArtifactCheckMode | undefined;
  conventions?: TraceConventions | undefined;
}

/** A deploy gate that a deploy target calls with each image before it deploys it. */
export interface DeployPolicy {
  /** The policy's settings, with defaults applied. */
  readonly settings: Readonly<Required<Omit<DeployPolicyOptions, "resolvers" | "conventions">>>;
  /**
   * Verifies the image and returns the verify result when the policy allows it. Throws
   * DeployRefusedError naming every broken link (check id, both values and their sources) when it
   * does not; ValidationError for a bad image reference; AbortError when aborted.
   */
  enforce(image: string, options?: CallOptions): Promise<VerifyResult>;
}

/** The refusal of a {@link DeployPolicy}: the image, the broken links, and the full report. */
export class DeployRefusedError extends ValidationError {
  /** The image that was refused. */
  readonly image: string;
  /** The checks that refused it (failed, or required and not passed). */
  readonly checks: VerifyCheck[];
  /** The verify report (lineages, graph, unreachable, every check). */
  readonly report: TraceReport | undefined;

  constructor(image: string, checks: VerifyCheck[] = [], report?: TraceReport) {
    super(`Deploy of ${image} refused: ${checks.map((c) => `${c.id} ${c.status}`).join(", ")}`, {
      issues: checks.map((c) => ({ path: c.id, message: describe(c) })),
      hint: "Deploy an image whose links agree (rebuild it from the model version's commit, attest it), or fix the link named above",
    });
    this.image = image;
    this.checks = checks;
    this.report = report;
  }
}

function describe(c: VerifyCheck): string {
  const values = c.values
    .map(
      (v) =>
        `${v.value === null ? "(none)" : String(v.value)} from ${v.source.system} ${v.source.object}${v.source.field ? ` (${v.source.field})` : ""}`,
    )
    .join("; ");
  const why = c.status === "unknown" ? `${c.message} (${c.reason})` : c.message;
  return values ? `${why} [${values}]` : why;
}

/**
 * Checks about deployments that already run the image (found downstream of it): they judge those
 * deployments, not the image about to be deployed, so the gate does not count them.
 */
const ABOUT_RUNNING_DEPLOYMENTS = new Set<VerifyCheckId>([
  "commit.deployment-image",
  "run-id.deployment-image",
  "image.deployed-digest",
]);

const REQUIRED_BY: Array<[keyof DeployPolicyOptions, VerifyCheckId]> = [
  ["requireProvenance", "provenance.signature"],
  ["requireModelVersionCommit", "commit.image-model-version"],
];

/**
 * A deploy gate: `deployPolicy({ resolvers })` gives a policy whose `enforce(image)` runs
 * `verify(image)` and refuses (DeployRefusedError) an image whose provenance does not verify, whose
 * commit differs from its model version's, or that has any failing check; the error names each
 * broken link. Kubernetes `deploy` takes it as its `policy` option; the local deploy target calls
 * `enforce` before it starts a container. Throws ValidationError for bad options.
 */
export function deployPolicy(options: DeployPolicyOptions): DeployPolicy {
  if (options === null || typeof options !== "object" || !Array.isArray(options.resolvers))
    throw new ValidationError("deployPolicy needs resolvers", {
      issues: [{ path: "resolvers", message: "must be an array of TraceResolver" }],
    });
  const settings = {
    requireProvenance: options.requireProvenance ?? true,
    requireModelVersionCommit: options.requireModelVersionCommit ?? true,
    requireVerify: options.requireVerify ?? true,
    strict: options.strict ?? false,
    artifacts: options.artifacts ?? "digests",
  };
  return {
    settings,
    async enforce(image, call = {}) {
      if (typeof image !== "string" || image.trim() === "")
        throw new ValidationError("The deploy gate needs an image reference", {
          issues: [{ path: "image", message: "must be a non-empty image reference" }],
        });
      const verifyOptions: VerifyOptions = {
        ...call,
        resolvers: options.resolvers,
        conventions: options.conventions,
        artifacts: settings.artifacts,
        requireProvenance: settings.requireProvenance,
        strict: settings.strict,
      };
      const result = await verify({ kind: "image", ref: image.trim() }, verifyOptions);
      const broken = new Map<string, VerifyCheck>();
      const key = (c: VerifyCheck) => `${c.id}\u0000${c.lineage}`;
      if (settings.requireVerify)
        for (const c of result.checks)
          if (
            !ABOUT_RUNNING_DEPLOYMENTS.has(c.id) &&
            (c.status === "fail" || (settings.strict && c.status === "unknown"))
          )
            broken.set(key(c), c);
      for (const [setting, id] of REQUIRED_BY) {
        if (!settings[setting as keyof typeof settings]) continue;
        const checks = result.checks.filter((c) => c.id === id);
        for (const c of checks) if (c.status !== "pass") broken.set(key(c), c);
        if (checks.length === 0) broken.set(`${id}\u0000-`, missingCheck(id, image, result));
      }
      if (result.report.lineages.length === 0)
        broken.set("image\u0000-", {
          id: "commit.image-model-version",
          title: "the image can be read",
          lineage: "-",
          status: "unknown",
          reason: result.report.unreachable.map((u) => u.message).join("; ") || "the image was not found",
          message: `Image ${image} could not be traced`,
          values: [],
        });
      if (broken.size > 0) throw new DeployRefusedError(image, [...broken.values()], result.report);
      return result;
    },
  };
}

function missingCheck(id: VerifyCheckId, image: string, result: VerifyResult): VerifyCheck {
  const why = result.report.unreachable.map((u) => u.message).join("; ");
  return {
    id,
    title:
      id === "provenance.signature"
        ? "the provenance attestation verifies"
        : "the image's revision equals the model version's GIT_SHA",
    lineage: result.report.lineages[0]?.id ?? "-",
    status: "unknown",
    reason: why || `nothing the image of ${image} records lets this be checked`,
    message: `The policy requires ${id} to pass, and it could not be checked`,
    values: [],
  };
}
