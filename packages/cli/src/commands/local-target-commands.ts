import { NotFoundError, type RunImageResolver, runIdOf } from "@modeltrail/core";
import {
  formatReference,
  OciLayout,
  parseReference,
  type RegistryClient,
  registryRunImageResolver,
  withReference,
} from "@modeltrail/registry";
import type { CommandResult, RunContext } from "../cli/cli-app.js";
import { UsageError } from "../cli/usage-error.js";
import { registryClient } from "../config/clients.js";
import { imageLocation } from "../config/image-target.js";
import { localTarget } from "../config/local-target.js";
import { layoutRunImageResolver, parseLocalImageRef } from "../local-target/local-image.js";
import type { LocalRevision } from "../local-target/local-target.js";
import { type DeployGate, deployGate, gateResult, refusedDeploy } from "./deploy-gate-options.js";
import type { DeployCommandOptions, RollbackCommandOptions } from "./deploy-options.js";
import type { DeployTargetOptions } from "./deploy-target-options.js";
import { historyResult, printDeployment, printRollback, rollbackGoal } from "./deployment-view.js";
import type { RevisionView } from "./revision-view.js";

/** The printable view of a local revision (the same shape as a Kubernetes revision's). */
export function localRevisionView(r: LocalRevision, name: string): RevisionView {
  return {
    revision: r.revision,
    current: r.current,
    runId: r.runId?.runId,
    runIdKind: r.runId?.kind,
    gitSha: r.context.code?.gitSha,
    images: [r.image.ref],
    changeCause: r.changeCause,
    replicas: r.running ? 1 : 0,
    readyReplicas: r.running && r.current ? 1 : 0,
    createdAt: r.createdAt,
    replicaSet: `${name}-${r.revision}`,
  };
}

/** A resolver for the image of a run: the OCI layout or repository the options (or MODELTRAIL_REGISTRY) name. */
function runImageResolver(
  run: RunContext<{ repository?: string; layout?: string }>,
  required: boolean,
): { resolver?: RunImageResolver; registry?: RegistryClient } {
  const where = imageLocation(run.opts, run.io.env, required);
  if (where.layout) return { resolver: layoutRunImageResolver(where.layout) };
  if (where.repository) {
    const registry = registryClient(run, where.repository);
    return { resolver: registryRunImageResolver(registry, where.repository), registry };
  }
  return {};
}

/** `modeltrail deploy --target local`. */
export async function deployLocal(run: RunContext<DeployCommandOptions>): Promise<CommandResult> {
  const { opts, out } = run;
  if (opts.dryRun)
    throw new UsageError("--dry-run renders Kubernetes manifests; it does not apply to --target local");
  if (opts.replicas !== undefined && opts.replicas !== 1)
    throw new UsageError("the local target runs one process per deployment: --replicas must be 1");
  if (opts.service)
    throw new UsageError("--service is for Kubernetes; the local target serves on --port directly");
  if (opts.wait === false) throw new UsageError("the local target always waits for readiness (no --no-wait)");
  let image = opts.image;
  let registry: RegistryClient | undefined;
  let gate: DeployGate | undefined;
  try {
    if (!image) {
      const found = runImageResolver(run, true);
      registry = found.registry;
      const hit = await found.resolver?.imageForRun(opts.runId!, { signal: run.signal });
      if (!hit)
        throw new UsageError(`No image was built for run ${opts.runId} in the layout or repository given`);
      image = hit.ref;
    }
    if (!image.startsWith("oci:") && !registry) registry = registryClient(run, image);
    const target = await localTarget(run, registry, true);
    const where = parseLocalImageRef(image, run.io.cwd);
    // a layout relative to the command's working directory (runCli's `cwd`, not the process's)
    if (where.kind === "layout")
      image = `oci:${where.dir}${where.tag ? `:${where.tag}` : ""}${where.digest ? `@${where.digest}` : ""}`;
    if (opts.verify) {
      // what the gate verifies is what runs: the image pinned by its digest first
      image = await pinnedImage(run, where, registry!);
      gate = await deployGate(run, where.kind === "layout" ? [where.dir] : []);
    }
    out.status(`${gate ? "verifying, then deploying" : "deploying"} ${image} as local/${opts.name}`);
    const result = await target
      .deploy(image, {
        name: opts.name,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.environment ? { environment: opts.environment } : {}),
        ...(opts.timeout !== undefined ? { readinessTimeoutMs: opts.timeout } : {}),
        ...(gate ? { policy: gate.policy } : {}),
        signal: run.signal,
      })
      .catch((err: unknown) =>
        refusedDeploy(err, gate, { target: "local", namespace: target.namespace, name: opts.name }),
      );
    const live = result.context;
    const data = {
      target: "local",
      namespace: target.namespace,
      name: opts.name,
      method: result.method,
      image: result.revision.image.ref,
      digest: result.revision.image.digest,
      revision: String(result.revision.revision),
      rolledOut: true,
      url: result.url,
      pid: result.revision.pid,
      runId: runIdOf(live)?.runId,
      gitSha: live.code?.gitSha,
      stateDir: target.stateDir,
      logFile: result.revision.logFile,
      ...gateResult(gate, result.verified),
      context: live.toJSON(),
    };
    return { data, print: (o) => printDeployment(o, data) };
  } finally {
    await registry?.close();
    await gate?.close();
  }
}

/**
 * The image pinned by its digest (`oci:/abs/dir@sha256:...`, `registry/repo:tag@sha256:...`), so
 * that the image the gate verified is the one the target unpacks even if the tag moves meanwhile.
 * Throws NotFoundError when the registry has no such image; the layout's errors.
 */
async function pinnedImage(
  run: RunContext<unknown>,
  where: ReturnType<typeof parseLocalImageRef>,
  registry: RegistryClient,
): Promise<string> {
  if (where.kind === "layout") {
    const desc = where.digest
      ? { digest: where.digest }
      : await (await OciLayout.open(where.dir)).resolve(where.tag ? { tag: where.tag } : {});
    return `oci:${where.dir}@${desc.digest}`;
  }
  const ref = parseReference(where.ref);
  if (ref.digest) return where.ref;
  const head = await registry.headManifest(ref, { signal: run.signal });
  if (!head)
    throw new NotFoundError({
      service: "oci-registry",
      status: 404,
      method: "HEAD",
      url: where.ref,
      message: `No image ${where.ref} in its registry`,
    });
  return formatReference(withReference(ref, { digest: head.digest }));
}

/** `modeltrail history NAME --target local`. */
export async function historyLocal(
  run: RunContext<DeployTargetOptions>,
  name: string,
): Promise<CommandResult> {
  const target = await localTarget(run);
  const revisions = (await target.history(name)).map((r) => localRevisionView(r, name));
  const status = await target.status(name);
  return historyResult(
    { target: "local", namespace: target.namespace, name, url: status.url, running: status.running },
    revisions,
  );
}

/** `modeltrail rollback NAME --target local [--run-id ID | --revision N]`. */
export async function rollbackLocal(
  run: RunContext<RollbackCommandOptions>,
  name: string,
): Promise<CommandResult> {
  const { opts, out } = run;
  const found = opts.runId ? runImageResolver(run, false) : {};
  try {
    const target = await localTarget(run, found.registry);
    out.status(`rolling local/${name} back to ${rollbackGoal(opts)}`);
    const result = await target.rollback(name, {
      ...(opts.runId ? { toRunId: opts.runId } : {}),
      ...(opts.revision ? { toRevision: opts.revision } : {}),
      ...(found.resolver ? { resolver: found.resolver } : {}),
      ...(opts.timeout !== undefined ? { readinessTimeoutMs: opts.timeout } : {}),
      signal: run.signal,
    });
    const live = result.context;
    const data = {
      target: "local",
      namespace: target.namespace,
      name,
      method: result.method,
      from: result.from ? localRevisionView(result.from, name) : undefined,
      to: localRevisionView(result.to, name),
      image: result.to.image.ref,
      revision: live.deployment?.revision,
      rolledOut: true,
      url: result.url,
      runId: runIdOf(live)?.runId,
      gitSha: live.code?.gitSha,
      context: live.toJSON(),
    };
    return { data, print: (o) => printRollback(o, data, result.method, opts.runId) };
  } finally {
    await found.registry?.close();
  }
}
