import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError, type TraceResolver } from "@modeltrail/core";
import { databricksTraceResolver } from "@modeltrail/databricks";
import { kubernetesTraceResolver } from "@modeltrail/k8s";
import { mlflowTraceResolver } from "@modeltrail/mlflow";
import { layoutTraceResolver, registryTraceResolver } from "@modeltrail/registry";
import type { RunContext } from "../cli/cli-app.js";
import { UsageError } from "../cli/usage-error.js";
import { LocalDeployTarget } from "../local-target/local-target.js";
import { localTraceResolver } from "../local-target/local-trace-resolver.js";
import { modeltrailHome } from "../state/modeltrail-home.js";
import { databricksClient, kubeClient, mlflowClient, registryClient } from "./clients.js";
import { LOCAL_TARGET_DIR } from "./local-target.js";

/** The options of `trace` and `verify` that say where to look. */
export interface TraceTargetOptions {
  repository?: string[] | undefined;
  namespace?: string[] | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  publicKey?: string | undefined;
}

/** What {@link configuredResolvers} leaves in or out beyond the configuration. */
export interface ResolverSelection {
  /**
   * Also the systems that run images (Kubernetes, the local deploy target); default true. The
   * deploy gate judges an image before it runs, so it leaves them out.
   */
  deployments?: boolean | undefined;
  /** OCI layout directories (absolute) whose images are read too (`layoutTraceResolver`). */
  layouts?: readonly string[] | undefined;
}

/** A system that was left out, and why (printed, and in the JSON's `notConfigured`). */
export interface SkippedSystem {
  system: string;
  why: string;
}

/** The resolvers the configuration allows, what was left out, and how to close their clients. */
export interface ConfiguredResolvers {
  resolvers: TraceResolver[];
  skipped: SkippedSystem[];
  close(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

function set(env: Env, name: string): boolean {
  return (env[name] ?? "").trim() !== "";
}

/**
 * One resolver per system the configuration reaches, configured as the other commands configure
 * their clients: MLflow when `MLFLOW_TRACKING_URI` is set; Databricks when `DATABRICKS_HOST`, a
 * profile or `~/.databrickscfg` is there; Kubernetes when `--kubeconfig`, `KUBECONFIG`,
 * `~/.kube/config` or an in-cluster service account is there (searching `--namespace`, default the
 * context's); the registry always (an image given by reference is read where it is; images by run
 * id or commit are searched in `--repository` and `MODELTRAIL_REGISTRY`), verifying provenance
 * with `--public-key` when given; the local deploy target when `$MODELTRAIL_HOME/local-target` holds
 * deployments. A system whose configuration is incomplete is skipped with the
 * reason (trace() then reports it as `no-resolver`). The public key is `--public-key`, else the
 * file `MODELTRAIL_PUBLIC_KEY` names. `selection` leaves out the systems that run images, or adds
 * OCI layouts. Throws UsageError for an unreadable public key.
 */
export async function configuredResolvers(
  run: RunContext<TraceTargetOptions>,
  selection: ResolverSelection = {},
): Promise<ConfiguredResolvers> {
  const withDeployments = selection.deployments ?? true;
  const env = run.io.env;
  const home = env.HOME || homedir();
  const resolvers: TraceResolver[] = [];
  const skipped: SkippedSystem[] = [];
  const closers: Array<() => Promise<void>> = [];
  const skip = (system: string, err: unknown) => {
    if (!(err instanceof ConfigError)) throw err;
    skipped.push({ system, why: err.message });
  };
  try {
    if (set(env, "MLFLOW_TRACKING_URI")) {
      try {
        const client = await mlflowClient(run);
        closers.push(() => client.close());
        resolvers.push(mlflowTraceResolver(client));
      } catch (err) {
        skip("mlflow", err);
      }
    } else skipped.push({ system: "mlflow", why: "MLFLOW_TRACKING_URI is not set" });

    const dbcfg = env.DATABRICKS_CONFIG_FILE || join(home, ".databrickscfg");
    if (set(env, "DATABRICKS_HOST") || set(env, "DATABRICKS_CONFIG_PROFILE") || existsSync(dbcfg)) {
      try {
        const client = await databricksClient(run);
        closers.push(() => client.close());
        resolvers.push(databricksTraceResolver(client));
      } catch (err) {
        skip("databricks", err);
      }
    } else
      skipped.push({
        system: "databricks",
        why: "DATABRICKS_HOST is not set and there is no ~/.databrickscfg",
      });

    const opts = run.opts;
    const hasKube =
      opts.kubeconfig !== undefined ||
      set(env, "KUBECONFIG") ||
      existsSync(join(home, ".kube", "config")) ||
      set(env, "KUBERNETES_SERVICE_HOST");
    if (withDeployments && hasKube) {
      try {
        const kube = kubeClient(run, { kubeconfig: opts.kubeconfig, context: opts.context });
        closers.push(() => kube.close());
        resolvers.push(kubernetesTraceResolver(kube, { namespaces: opts.namespace }));
      } catch (err) {
        skip("kubernetes", err);
      }
    } else if (withDeployments)
      skipped.push({ system: "kubernetes", why: "no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config)" });

    const fromEnv = env.MODELTRAIL_REGISTRY?.trim();
    const repositories = [...(opts.repository ?? [])];
    if (fromEnv && !fromEnv.startsWith("oci:") && !repositories.includes(fromEnv)) repositories.push(fromEnv);
    const keyFile = publicKeyFile(opts, env);
    const publicKey = keyFile ? await readKey(resolve(run.io.cwd, keyFile)) : undefined;
    const registry = registryClient(run, repositories[0]);
    closers.push(() => registry.close());
    resolvers.push(registryTraceResolver(registry, { repositories, ...(publicKey ? { publicKey } : {}) }));

    if (selection.layouts && selection.layouts.length > 0)
      resolvers.push(layoutTraceResolver(selection.layouts, publicKey ? { publicKey } : {}));

    // the local deploy target's deployments (deployment/local/NAME), when there are any
    if (!withDeployments) return done(resolvers, skipped, closers);
    const local = new LocalDeployTarget({
      stateDir: join(modeltrailHome(env, run.io.cwd), LOCAL_TARGET_DIR),
    });
    if ((await local.list()).length > 0) resolvers.push(localTraceResolver(local));
  } catch (err) {
    await Promise.allSettled(closers.map((c) => c()));
    throw err;
  }
  return done(resolvers, skipped, closers);
}

function done(
  resolvers: TraceResolver[],
  skipped: SkippedSystem[],
  closers: Array<() => Promise<void>>,
): ConfiguredResolvers {
  return {
    resolvers,
    skipped,
    close: async () => {
      await Promise.allSettled(closers.map((c) => c()));
    },
  };
}

/** The public key file: `--public-key`, else `MODELTRAIL_PUBLIC_KEY`; undefined when neither is set. */
export function publicKeyFile(
  opts: { publicKey?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return opts.publicKey ?? (env.MODELTRAIL_PUBLIC_KEY?.trim() || undefined);
}

async function readKey(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(
      `Cannot read the public key ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      {
        hint: "pass --public-key FILE (or MODELTRAIL_PUBLIC_KEY), a PEM public key (Ed25519 or ECDSA P-256) the provenance was signed for",
      },
    );
  }
}
