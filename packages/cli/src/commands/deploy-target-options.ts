import type { Command } from "commander";
import { duration, oneOf } from "../cli/option-parsers.js";
import { UsageError } from "../cli/usage-error.js";

/** Where `deploy`, `history` and `rollback` go. */
export const DEPLOY_TARGETS = ["k8s", "local"] as const;
/** A deploy target name. */
export type DeployTargetName = (typeof DEPLOY_TARGETS)[number];

/** The options of every command that talks to a deploy target. */
export interface DeployTargetOptions {
  target?: DeployTargetName;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  timeout?: number;
  /** The local target's state directory (default `$MODELTRAIL_HOME/local-target`). */
  stateDir?: string;
  /** The interpreter that runs the image's `python` on the local target. */
  python?: string;
}

/** Adds `--target`, `--kubeconfig`, `--context`, `--namespace` and `--timeout`. */
export function addDeployTargetOptions(cmd: Command, withTimeout = true): Command {
  cmd
    .option(
      "--target <target>",
      `where the model is served: ${DEPLOY_TARGETS.join(", ")} (default: MODELTRAIL_DEPLOY_TARGET, else k8s)`,
      oneOf(DEPLOY_TARGETS),
    )
    .option("--kubeconfig <file>", "the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "the kubeconfig context (default: the current one)")
    .option("-n, --namespace <ns>", "the namespace (default: the context's)")
    .option(
      "--state-dir <dir>",
      "local target: where revisions, logs and state live (default: $MODELTRAIL_HOME/local-target)",
    )
    .option(
      "--python <path>",
      "local target: the interpreter that runs the image's python/python3 (default: MODELTRAIL_PYTHON, else python3 on PATH)",
    );
  if (withTimeout)
    cmd.option(
      "--timeout <duration>",
      "longest wait for the rollout, or for the local process's readiness (default 10m; local 3m)",
      duration,
    );
  return cmd;
}

/** The target named by `--target`, else `MODELTRAIL_DEPLOY_TARGET`, else `k8s`. */
export function deployTarget(
  opts: DeployTargetOptions,
  env: Readonly<Record<string, string | undefined>>,
): DeployTargetName {
  const name = opts.target ?? env.MODELTRAIL_DEPLOY_TARGET?.trim() ?? "k8s";
  if (!(DEPLOY_TARGETS as readonly string[]).includes(name))
    throw new UsageError(
      `MODELTRAIL_DEPLOY_TARGET is "${name}"; expected one of ${DEPLOY_TARGETS.join(", ")}`,
    );
  return name as DeployTargetName;
}
