import { createHash } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import {
  type CallOptions,
  ConfigError,
  DEFAULT_CONVENTIONS,
  type DeployPolicy,
  NotFoundError,
  parseTraceContext,
  type RunIdOfContext,
  type RunImageResolver,
  runIdOf,
  type TraceContext,
  toEnv,
  ValidationError,
  type VerifyResult,
} from "@modeltrail/core";
import { isSecretHeader } from "@modeltrail/core/internal";
import { type RegistryClient, unpackImage } from "@modeltrail/registry";
import { hostCommand, type InterpreterMap } from "./container-command.js";
import { openLocalImage } from "./local-image.js";
import {
  checkDeploymentName,
  deploymentPaths,
  LOCAL_STATE_SCHEMA,
  type LocalDeploymentState,
  type LocalRevisionState,
  listDeploymentNames,
  lockDeployment,
  readDeploymentState,
  writeDeploymentState,
} from "./local-state.js";
import { servingExitedError, servingNotReadyError } from "./serving-errors.js";
import {
  freeLoopbackPort,
  isRunning,
  logTail,
  portIsFree,
  probeOnce,
  startServingProcess,
  stopProcessGroup,
  waitForReady,
} from "./serving-process.js";

/** The namespace local deployments are in (trace handles: `deployment/local/<name>`). */
export const LOCAL_NAMESPACE = "local";

/** The platform name a local deployment's trace carries (`deployment.platform`). */
export const LOCAL_PLATFORM = "local";

/** Options of {@link LocalDeployTarget}. */
export interface LocalDeployTargetOptions {
  /** The directory holding every deployment's revisions, state and logs (e.g. `$MODELTRAIL_HOME/local-target`). */
  stateDir: string;
  /** The interpreter that stands in for the base image's (see {@link InterpreterMap}). */
  interpreters?: InterpreterMap | undefined;
  /** Reads images from registries (an OCI layout needs none). */
  registry?: RegistryClient | undefined;
  /** Trace namespace of the deployments (default `local`). */
  namespace?: string | undefined;
}

/** Options of {@link LocalDeployTarget.deploy}. */
export interface LocalDeployOptions extends CallOptions {
  /** The deployment name (a DNS-1123 label, like a Kubernetes Deployment's). */
  name: string;
  /** The loopback port it serves on (default: the deployment's port, else a free one). */
  port?: number | undefined;
  /** More env variables (not the trace's, not `HOST` or `PORT`: the target sets those). */
  env?: Record<string, string> | undefined;
  /** Replaces the image's `Cmd`. */
  cmd?: string[] | undefined;
  /** The environment name recorded in the trace (dev, staging, prod). */
  environment?: string | undefined;
  /** The readiness probe's HTTP path (default `/readyz`), or false for a TCP connection. */
  readinessPath?: string | false | undefined;
  /** Longest wait for readiness (default 180 s). */
  readinessTimeoutMs?: number | undefined;
  /**
   * A deploy gate (core's `deployPolicy`): the image is verified before anything is unpacked or
   * started; a refused image stops the deploy with DeployRefusedError naming the broken link.
   */
  policy?: DeployPolicy | undefined;
  /** The reference the policy verifies (default: the image as given; e.g. its registry reference). */
  policyImage?: string | undefined;
  /** Why (`kubernetes.io/change-cause`'s counterpart; default: the image and its run). */
  changeCause?: string | undefined;
  /** Revisions kept (default 10, as a Deployment's `revisionHistoryLimit`). */
  revisionHistoryLimit?: number | undefined;
  /** Grace before SIGKILL when the old process is stopped (default 10 s). */
  stopGraceMs?: number | undefined;
}

/** One revision of a local deployment, as {@link LocalDeployTarget.history} lists it. */
export interface LocalRevision {
  revision: number;
  /** True for the revision that serves (or should: see `running`). */
  current: boolean;
  /** True when its process runs now. */
  running: boolean;
  pid: number | undefined;
  image: { ref: string; digest: string };
  /** The trace it serves with (image trace, image, deployment with its revision). */
  context: TraceContext;
  /** Its run id (the job run id, else the MLflow run id) and which kind it is. */
  runId: RunIdOfContext | undefined;
  changeCause: string;
  createdAt: string;
  startedAt: string | undefined;
  /** Why its last start failed, when it did. */
  failure: string | undefined;
  /** Its unpacked image. */
  rootfs: string;
  logFile: string;
}

/** What {@link LocalDeployTarget.deploy} did. */
export interface LocalDeployResult {
  /** `deployed`: a new or restored revision now serves; `unchanged`: that image already served. */
  method: "deployed" | "unchanged";
  revision: LocalRevision;
  /** Where it answers: `http://127.0.0.1:<port>`. */
  url: string;
  /** The trace of what serves now. */
  context: TraceContext;
  /** What the deploy gate verified, when a policy was given. */
  verified?: VerifyResult | undefined;
}

/** Options of {@link LocalDeployTarget.rollback}. */
export interface LocalRollbackOptions extends CallOptions {
  /** Back to the latest revision that ran this run id (either kind). */
  toRunId?: string | undefined;
  /** Back to this revision. */
  toRevision?: number | undefined;
  /** Finds the image of a run no retained revision ran (`layoutRunImageResolver`, the registry's). */
  resolver?: RunImageResolver | undefined;
  readinessTimeoutMs?: number | undefined;
  stopGraceMs?: number | undefined;
}

/** What {@link LocalDeployTarget.rollback} did. */
export interface LocalRollbackResult {
  /** `revision`: a retained revision serves again; `resolver`: the run's image was deployed; `none`: it already served. */
  method: "revision" | "resolver" | "none";
  from: LocalRevision | undefined;
  to: LocalRevision;
  url: string;
  context: TraceContext;
}

/** What serves now, as {@link LocalDeployTarget.status} reports it. */
export interface LocalStatus {
  name: string;
  namespace: string;
  url: string;
  host: string;
  port: number;
  /** The current revision, when there is one. */
  current: LocalRevision | undefined;
  running: boolean;
  /** The readiness probe answered just now. */
  ready: boolean;
  revisions: number;
}

const HOST = "127.0.0.1";
const DEFAULT_READINESS_TIMEOUT_MS = 180_000;

/**
 * The local deploy target: runs a model image as a local process, as a Deployment would run it,
 * where there is no cluster (the `pnpm demo`, a laptop, a CI job). `deploy` takes an image from an
 * OCI layout (`oci:DIR:TAG`) or a registry, unpacks its layers (the registry package's safe
 * unpacking) into a revision directory, and runs its `Entrypoint`/`Cmd` with its `Env` (plus the
 * trace and `HOST`/`PORT`) in its `WorkingDir` as a process on a loopback port, with a given
 * interpreter standing in for the base image's (see `hostCommand`), and waits for its readiness
 * probe. One process per deployment: the old one is stopped, the new one started, and when the new
 * one never becomes ready it is stopped and the previous revision started again. Revisions are kept
 * with their image digest, trace and time, so `history` and `rollback` (to a run id of either kind,
 * a revision, or the previous one) behave as Kubernetes'. Everything lives under `stateDir`.
 */
export class LocalDeployTarget {
  /** The state directory (absolute). */
  readonly stateDir: string;
  readonly namespace: string;
  private readonly interpreters: InterpreterMap | undefined;
  private readonly registry: RegistryClient | undefined;

  constructor(options: LocalDeployTargetOptions) {
    if (!options || typeof options.stateDir !== "string" || options.stateDir.trim() === "")
      throw new ConfigError("The local deploy target needs a state directory", {
        sources: ["MODELTRAIL_HOME"],
      });
    this.stateDir = resolve(options.stateDir);
    this.namespace = options.namespace ?? LOCAL_NAMESPACE;
    this.interpreters = options.interpreters;
    this.registry = options.registry;
  }

  /**
   * Deploys an image (`oci:DIR:TAG`, `oci:DIR@sha256:...`, or a registry reference) as revision
   * N+1 of `name` and waits until it is ready; an image that already serves changes nothing.
   * @throws DeployRefusedError (nothing unpacked or started) when the policy refuses the image;
   *   ValidationError for a bad name, env or image (no command, unsafe layer); ConfigError when
   *   the port is taken or another process holds the deployment's lock; ServingExitedError or
   *   ServingNotReadyError (with the log's last lines) when the process never becomes ready (the
   *   previous revision serves again); AbortError; the registry package's errors.
   */
  async deploy(image: string, options: LocalDeployOptions): Promise<LocalDeployResult> {
    const name = checkDeploymentName(options.name);
    checkUserEnv(options.env ?? {});
    if (
      options.port !== undefined &&
      (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
    )
      throw new ValidationError(`Port ${options.port} is not a TCP port`, {
        issues: [{ path: "port", message: "must be a whole number from 1 to 65535" }],
      });
    const call = callOf(options);
    const verified = options.policy
      ? await options.policy.enforce(options.policyImage ?? image, call)
      : undefined;
    const paths = deploymentPaths(this.stateDir, name);
    const release = await lockDeployment(paths.lock, paths.dir);
    try {
      const opened = await openLocalImage(image, { ...call, registry: this.registry });
      const existing = await readDeploymentState(paths.state);
      const port = options.port ?? existing?.port ?? (await freeLoopbackPort(HOST));
      const state: LocalDeploymentState = existing ?? {
        schema: LOCAL_STATE_SCHEMA,
        name,
        namespace: this.namespace,
        host: HOST,
        port,
        readinessPath: options.readinessPath ?? "/readyz",
        revisionHistoryLimit: options.revisionHistoryLimit ?? 10,
        revisions: [],
      };
      state.port = port;
      if (options.readinessPath !== undefined) state.readinessPath = options.readinessPath;
      if (options.revisionHistoryLimit !== undefined)
        state.revisionHistoryLimit = options.revisionHistoryLimit;

      let ctx = opened.context.with({
        image: { ref: opened.ref, digest: opened.digest },
        deployment: { platform: LOCAL_PLATFORM, cluster: hostname(), namespace: state.namespace, name },
      });
      if (options.environment) ctx = ctx.with({ environment: { name: options.environment } });
      const env = options.env ?? {};
      const templateHash = hashOf({
        digest: opened.digest,
        ref: opened.ref,
        env,
        cmd: options.cmd ?? null,
        ctx: ctx.toJSON(),
      });
      const current = state.revisions.find((r) => r.revision === state.current);
      if (
        current?.templateHash === templateHash &&
        current.process &&
        (await isRunning(current.process)) &&
        current.process &&
        state.port === port
      ) {
        const view = this.view(state, current, true);
        return { method: "unchanged", revision: view, url: urlOf(state), context: view.context, verified };
      }
      const rootfs = paths.rootfs(templateHash);
      if (!(await exists(rootfs))) {
        await mkdir(paths.revisionDir(templateHash), { recursive: true });
        await unpackImage(opened.source, rootfs, call);
      }
      const run = runIdOf(ctx);
      const record: LocalRevisionState = state.revisions.find((r) => r.templateHash === templateHash) ?? {
        revision: 1,
        templateHash,
        image: { ref: opened.ref, digest: opened.digest },
        context: ctx.toJSON() as Record<string, unknown>,
        env,
        ...(options.cmd ? { cmd: options.cmd } : {}),
        ...(this.interpreters ? { interpreters: plainInterpreters(this.interpreters) } : {}),
        changeCause:
          options.changeCause ??
          [
            `deploy ${image}`,
            run ? `${run.kind === "job-run" ? "run" : "mlflow run"} ${run.runId}` : undefined,
            ctx.code?.gitSha ? `git ${ctx.code.gitSha.slice(0, 12)}` : undefined,
          ]
            .filter(Boolean)
            .join(", "),
        createdAt: new Date().toISOString(),
      };
      if (this.interpreters) record.interpreters = plainInterpreters(this.interpreters);
      await this.switchTo(state, record, paths, {
        ...call,
        readinessTimeoutMs: options.readinessTimeoutMs,
        stopGraceMs: options.stopGraceMs,
      });
      const view = this.view(state, record, true);
      return { method: "deployed", revision: view, url: urlOf(state), context: view.context, verified };
    } finally {
      await release();
    }
  }

  /**
   * The revisions of a deployment, oldest first, each with its image, trace, run id and whether it
   * runs. @throws NotFoundError when it was never deployed; ValidationError for a bad name.
   */
  async history(name: string): Promise<LocalRevision[]> {
    const state = await this.mustRead(name);
    const out: LocalRevision[] = [];
    for (const r of [...state.revisions].sort((a, b) => a.revision - b.revision))
      out.push(this.view(state, r, r.process ? await isRunning(r.process) : false));
    return out;
  }

  /**
   * Rolls a deployment back and waits until it is ready: to the latest revision that ran `toRunId`
   * (a Databricks job run id or an MLflow run id), else to the image `resolver` finds for it; to
   * `toRevision`; or, with neither, to the previous revision (`kubectl rollout undo`). The restored
   * revision becomes the newest, as in Kubernetes.
   * @throws ValidationError when there is no previous revision, no such revision, or no image for
   *   the run; NotFoundError when it was never deployed; the errors of `deploy`.
   */
  async rollback(name: string, options: LocalRollbackOptions = {}): Promise<LocalRollbackResult> {
    checkDeploymentName(name);
    if (options.toRunId !== undefined && options.toRevision !== undefined)
      throw new ValidationError("rollback: give toRunId or toRevision, not both");
    const call = callOf(options);
    const paths = deploymentPaths(this.stateDir, name);
    let release = await lockDeployment(paths.lock, paths.dir);
    try {
      const state = await this.mustRead(name);
      const current = state.revisions.find((r) => r.revision === state.current);
      const from = current
        ? this.view(state, current, current.process ? await isRunning(current.process) : false)
        : undefined;
      const byNumber = [...state.revisions].sort((a, b) => a.revision - b.revision);
      const where = `local deployment "${name}"`;
      let target: LocalRevisionState | undefined;
      if (options.toRunId !== undefined) {
        const runId = options.toRunId.trim();
        if (runId === "") throw new ValidationError("rollback: toRunId is empty");
        target = byNumber.filter((r) => ranRun(parseTraceContext(r.context), runId)).at(-1);
        if (!target) {
          if (!options.resolver)
            throw new ValidationError(
              `No retained revision of ${where} ran run ${runId}, and no image resolver was given`,
              {
                hint: `Pass a resolver (layoutRunImageResolver, registryRunImageResolver) to deploy the run's image; retained runs: ${describeRuns(byNumber)}`,
              },
            );
          const found = await options.resolver.imageForRun(runId, call);
          if (!found)
            throw new ValidationError(
              `No retained revision of ${where} ran run ${runId}, and the resolver found no image for it`,
              {
                hint: "Check the run id, and that the image of that run was built",
              },
            );
          await release();
          release = async () => {};
          const deployed = await this.deploy(found.ref, {
            ...call,
            name,
            env: current?.env,
            cmd: current?.cmd,
            readinessTimeoutMs: options.readinessTimeoutMs,
            stopGraceMs: options.stopGraceMs,
            changeCause: `rollback to run ${runId}: ${found.ref}`,
          });
          return {
            method: "resolver",
            from,
            to: deployed.revision,
            url: deployed.url,
            context: deployed.context,
          };
        }
      } else if (options.toRevision !== undefined) {
        target = byNumber.find((r) => r.revision === options.toRevision);
        if (!target)
          throw new ValidationError(`${where} has no revision ${options.toRevision}`, {
            hint: `Retained revisions: ${byNumber.map((r) => r.revision).join(", ") || "none"}`,
          });
      } else {
        const currentNumber = state.current ?? Number.POSITIVE_INFINITY;
        target = byNumber.filter((r) => r.revision < currentNumber && !r.failure).at(-1);
        if (!target)
          throw new ValidationError(`${where} has no previous revision to roll back to`, {
            hint: "Only the current revision is retained, or it was never updated",
          });
      }
      if (target.revision === state.current && target.process && (await isRunning(target.process))) {
        const view = this.view(state, target, true);
        return { method: "none", from, to: view, url: urlOf(state), context: view.context };
      }
      const run = runIdOf(parseTraceContext(target.context));
      target.changeCause = `rollback to revision ${target.revision}${run ? ` (run ${run.runId})` : ""}`;
      await this.switchTo(state, target, paths, {
        ...call,
        readinessTimeoutMs: options.readinessTimeoutMs,
        stopGraceMs: options.stopGraceMs,
      });
      const view = this.view(state, target, true);
      return { method: "revision", from, to: view, url: urlOf(state), context: view.context };
    } finally {
      await release();
    }
  }

  /** What serves now: the current revision, whether its process runs and answers its probe. @throws NotFoundError. */
  async status(name: string): Promise<LocalStatus> {
    const state = await this.mustRead(name);
    const current = state.revisions.find((r) => r.revision === state.current);
    const running = current?.process ? await isRunning(current.process) : false;
    const ready = running ? await probeOnce(state.host, state.port, state.readinessPath) : false;
    return {
      name: state.name,
      namespace: state.namespace,
      url: urlOf(state),
      host: state.host,
      port: state.port,
      current: current ? this.view(state, current, running) : undefined,
      running,
      ready,
      revisions: state.revisions.length,
    };
  }

  /** The trace of what serves now (with `deployment.revision`), or undefined when nothing does. @throws NotFoundError. */
  async traceOf(name: string): Promise<TraceContext | undefined> {
    const s = await this.status(name);
    return s.running ? s.current?.context : undefined;
  }

  /**
   * Stops a deployment's process (its whole process group: SIGTERM, then SIGKILL after the grace);
   * its revisions stay, and `rollback` or `deploy` starts it again. Returns the revision stopped.
   * @throws NotFoundError when it was never deployed.
   */
  async stop(name: string, options: { stopGraceMs?: number | undefined } = {}): Promise<number | undefined> {
    const paths = deploymentPaths(this.stateDir, name);
    const release = await lockDeployment(paths.lock, paths.dir);
    try {
      const state = await this.mustRead(name);
      let stopped: number | undefined;
      for (const r of state.revisions) {
        if (!r.process) continue;
        await stopProcessGroup(r.process, { graceMs: options.stopGraceMs });
        if (r.revision === state.current) stopped = r.revision;
        delete r.process;
      }
      await writeDeploymentState(paths.state, state);
      return stopped;
    } finally {
      await release();
    }
  }

  /** Stops a deployment and removes everything it kept (revisions, logs, state). Nothing when it does not exist. */
  async remove(name: string, options: { stopGraceMs?: number | undefined } = {}): Promise<void> {
    const paths = deploymentPaths(this.stateDir, name);
    if (!(await readDeploymentState(paths.state))) {
      await rm(paths.dir, { recursive: true, force: true });
      return;
    }
    await this.stop(name, options);
    await rm(paths.dir, { recursive: true, force: true });
  }

  /** The names of the deployments in the state directory. */
  list(): Promise<string[]> {
    return listDeploymentNames(this.stateDir);
  }

  /** Stops every deployment's process (`modeltrail clean` does this before it removes the directory). Returns the names stopped. */
  async stopAll(options: { stopGraceMs?: number | undefined } = {}): Promise<string[]> {
    const stopped: string[] = [];
    for (const name of await this.list()) {
      try {
        if ((await this.stop(name, options)) !== undefined) stopped.push(name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return stopped;
  }

  /** Reads a deployment's state. @throws NotFoundError. */
  async readState(name: string): Promise<LocalDeploymentState> {
    return this.mustRead(name);
  }

  private async mustRead(name: string): Promise<LocalDeploymentState> {
    const paths = deploymentPaths(this.stateDir, name);
    const state = await readDeploymentState(paths.state);
    if (!state)
      throw new NotFoundError({
        service: "local-deploy",
        status: 404,
        method: "GET",
        url: paths.state,
        message: `There is no local deployment "${name}" in ${this.stateDir}`,
        hint: "Deploy it first (modeltrail deploy --target local), or check --state-dir / MODELTRAIL_HOME",
      });
    return state;
  }

  /**
   * Stops what serves, starts `record` and waits until it is ready; on failure stops it and starts
   * the previous revision again (best effort), records the failure and throws. On success `record`
   * becomes the newest revision and the current one, and old revisions beyond the limit are removed.
   */
  private async switchTo(
    state: LocalDeploymentState,
    record: LocalRevisionState,
    paths: ReturnType<typeof deploymentPaths>,
    options: CallOptions & { readinessTimeoutMs?: number | undefined; stopGraceMs?: number | undefined },
  ): Promise<void> {
    const previous = state.revisions.find((r) => r.revision === state.current);
    for (const r of state.revisions) {
      if (!r.process) continue;
      await stopProcessGroup(r.process, { graceMs: options.stopGraceMs });
      delete r.process;
    }
    const isNew = !state.revisions.includes(record);
    record.revision = Math.max(0, ...state.revisions.map((r) => r.revision)) + 1;
    if (isNew) state.revisions.push(record);
    try {
      await this.start(state, record, paths, options);
      delete record.failure;
      state.current = record.revision;
    } catch (err) {
      record.failure = err instanceof Error ? err.message.split("\n")[0] : String(err);
      if (previous && previous !== record) {
        try {
          await this.start(state, previous, paths, { ...options, signal: undefined });
        } catch {
          // the previous revision does not start either: nothing serves; history says so
        }
      }
      await writeDeploymentState(paths.state, state);
      throw err;
    }
    await this.prune(state, paths);
    await writeDeploymentState(paths.state, state);
  }

  /** Starts a revision's process and waits for readiness; stops it again (whole group) when it fails. */
  private async start(
    state: LocalDeploymentState,
    record: LocalRevisionState,
    paths: ReturnType<typeof deploymentPaths>,
    options: CallOptions & { readinessTimeoutMs?: number | undefined; stopGraceMs?: number | undefined },
  ): Promise<void> {
    const rootfs = paths.rootfs(record.templateHash);
    if (!(await exists(rootfs)))
      throw new ValidationError(
        `Revision ${record.revision} of ${state.name} has no unpacked image at ${rootfs}`,
        {
          hint: "Deploy its image again",
        },
      );
    const opened = await openConfig(record, this.registry, options);
    // the revision number goes into the env too (a restored revision is renumbered: computed per start),
    // so that every log line says which revision answered
    const ctx = parseTraceContext(record.context).with({ deployment: { revision: String(record.revision) } });
    await mkdir(paths.home, { recursive: true });
    const env: Record<string, string> = {
      ...record.env,
      ...toEnv(ctx),
      HOST: state.host,
      PORT: String(state.port),
    };
    if (!("HOME" in env)) env.HOME = paths.home;
    const interpreters = this.interpreters ?? record.interpreters ?? {};
    const spec = hostCommand(opened, rootfs, { cmd: record.cmd, env, interpreters });
    if (!(await portIsFree(state.host, state.port)))
      throw new ConfigError(`Port ${state.port} on ${state.host} is taken by another process`, {
        hint: "Stop what listens there, or deploy with another port",
      });
    const logFile = paths.logFile(record.templateHash);
    const started = await startServingProcess({ ...spec, logFile });
    record.process = started.handle;
    record.startedAt = new Date().toISOString();
    await writeDeploymentState(paths.state, state);
    const timeoutMs = options.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
    const probe = { host: state.host, port: state.port, path: state.readinessPath };
    let outcome: "ready" | "exited" | "timeout";
    try {
      outcome = await waitForReady(started, probe, timeoutMs, options.signal);
    } catch (err) {
      await stopProcessGroup(started.handle, { graceMs: options.stopGraceMs });
      delete record.process;
      throw err;
    }
    if (outcome === "ready") return;
    const secrets = Object.entries(record.env)
      .filter(([k]) => isSecretHeader(k))
      .map(([, v]) => v);
    if (outcome === "timeout") await stopProcessGroup(started.handle, { graceMs: options.stopGraceMs });
    else await stopProcessGroup(started.handle, { graceMs: 1_000 }); // what it left behind in its group
    delete record.process;
    const log = {
      deployment: state.name,
      revision: record.revision,
      logFile,
      logTail: await logTail(logFile, secrets),
    };
    if (outcome === "exited") {
      const exit = started.exited() ?? { code: null, signal: null };
      throw servingExitedError(log, exit);
    }
    throw servingNotReadyError(
      log,
      timeoutMs,
      probe.path === false
        ? `TCP ${probe.host}:${probe.port}`
        : `GET http://${probe.host}:${probe.port}${probe.path}`,
    );
  }

  /** Removes the oldest revisions beyond the limit (never the current one) and their files. */
  private async prune(state: LocalDeploymentState, paths: ReturnType<typeof deploymentPaths>): Promise<void> {
    const byNumber = [...state.revisions].sort((a, b) => a.revision - b.revision);
    while (byNumber.length > state.revisionHistoryLimit) {
      const oldest = byNumber.find((r) => r.revision !== state.current);
      if (!oldest) break;
      byNumber.splice(byNumber.indexOf(oldest), 1);
      state.revisions = state.revisions.filter((r) => r !== oldest);
      await rm(paths.revisionDir(oldest.templateHash), { recursive: true, force: true });
    }
  }

  private view(state: LocalDeploymentState, r: LocalRevisionState, running: boolean): LocalRevision {
    const paths = deploymentPaths(this.stateDir, state.name);
    const context = parseTraceContext(r.context).with({ deployment: { revision: String(r.revision) } });
    return {
      revision: r.revision,
      current: r.revision === state.current,
      running,
      pid: running ? r.process?.pid : undefined,
      image: r.image,
      context,
      runId: runIdOf(context),
      changeCause: r.changeCause,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      failure: r.failure,
      rootfs: paths.rootfs(r.templateHash),
      logFile: paths.logFile(r.templateHash),
    };
  }
}

/** The image config of a revision, read back from where the image is (its layout or registry). */
async function openConfig(
  record: LocalRevisionState,
  registry: RegistryClient | undefined,
  call: CallOptions,
) {
  const opened = await openLocalImage(record.image.ref, { ...callOf(call), registry });
  if (opened.digest !== record.image.digest)
    throw new ValidationError(
      `${record.image.ref} now resolves to ${opened.digest}, not ${record.image.digest}`,
    );
  return opened.source.config;
}

function callOf(o: CallOptions): CallOptions {
  const out: CallOptions = {};
  for (const k of ["signal", "timeoutMs", "deadlineMs", "retry", "headers", "onRequest"] as const)
    if (o[k] !== undefined) (out as Record<string, unknown>)[k] = o[k];
  return out;
}

function plainInterpreters(i: InterpreterMap): { python?: string; commands?: Record<string, string> } {
  return {
    ...(i.python !== undefined ? { python: i.python } : {}),
    ...(i.commands ? { commands: { ...i.commands } } : {}),
  };
}

const TARGET_ENV = new Set(["HOST", "PORT"]);

/** Every env name core's default conventions give the trace. */
function traceEnvNames(): Set<string> {
  const c = DEFAULT_CONVENTIONS.env;
  const names = new Set<string>(Object.values(c.fields).flat());
  for (const [key, value] of Object.entries(c))
    if (key !== "fields" && typeof value === "string") names.add(value);
  return names;
}

function checkUserEnv(env: Record<string, string>): void {
  const traceNames = traceEnvNames();
  const issues: Array<{ path: string; message: string }> = [];
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      issues.push({ path: `env.${k}`, message: "is not an env variable name" });
    else if (TARGET_ENV.has(k))
      issues.push({ path: `env.${k}`, message: "is set by the local target (the port it serves on)" });
    else if (traceNames.has(k))
      issues.push({ path: `env.${k}`, message: "is set from the trace; do not set it by hand" });
    if (typeof v !== "string" || v.includes("\0"))
      issues.push({ path: `env.${k}`, message: "must be a string without NUL" });
  }
  if (issues.length > 0) throw new ValidationError("Invalid env for the local deployment", { issues });
}

function hashOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

function urlOf(state: LocalDeploymentState): string {
  return `http://${state.host}:${state.port}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function ranRun(ctx: TraceContext, runId: string): boolean {
  return ctx.job?.runId === runId || ctx.model?.mlflowRunId?.toLowerCase() === runId.toLowerCase();
}

function describeRuns(revisions: readonly LocalRevisionState[]): string {
  const runs = revisions
    .map((r) => {
      const run = runIdOf(parseTraceContext(r.context));
      return run ? `${r.revision}: ${run.runId}` : undefined;
    })
    .filter(Boolean);
  return runs.length > 0 ? runs.join(", ") : "none";
}
