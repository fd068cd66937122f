/**
 * Where steps 5 and 7 deploy: `--target local` (the local deploy target: the serving app run from the
 * image as a local process, no cluster needed) or `--target kubernetes` (a cluster, by kubeconfig).
 * The same words as the `modeltrail` CLI's `--target` (which also accepts `k8s`) and its env var
 * `MODELTRAIL_DEPLOY_TARGET`.
 */
import { StepUsageError } from "./step-cli.ts";

/** The deploy targets of the step scripts. */
export const DEPLOY_TARGETS = ["local", "kubernetes"] as const;

/** A deploy target's name, as the state records it. */
export type DeployTargetName = (typeof DEPLOY_TARGETS)[number];

/** The CLI's spelling of `kubernetes`, accepted too. */
const ALIASES: Record<string, DeployTargetName> = {
  local: "local",
  kubernetes: "kubernetes",
  k8s: "kubernetes",
};

/** The `--target` line of a step's `--help`. */
export const TARGET_FLAG =
  "--target T         local (the serving app as a local process; no cluster needed) or kubernetes (alias k8s)";

/**
 * Reads a target name (`--target`, `MODELTRAIL_DEPLOY_TARGET`). Throws StepUsageError (exit code 2)
 * naming the accepted values for any other text.
 */
export function parseDeployTarget(text: string, from = "--target"): DeployTargetName {
  const name = ALIASES[text.trim().toLowerCase()];
  if (!name)
    throw new StepUsageError(
      `${from} is "${text}": expected local or kubernetes (k8s); local runs the serving app on this machine, kubernetes deploys to the cluster of --kubeconfig / KUBECONFIG`,
    );
  return name;
}

/**
 * Step 5's target: `--target`, else `MODELTRAIL_DEPLOY_TARGET`, else `kubernetes` when a kubeconfig
 * or context was passed as a flag, else `local` (what a fresh clone can run). KUBECONFIG alone does
 * not switch: it names the cluster once kubernetes is chosen. Throws StepUsageError for another name.
 */
export function chooseDeployTarget(
  flags: { target?: string | undefined; kubeconfig?: string | undefined; context?: string | undefined },
  env: Readonly<Record<string, string | undefined>> = process.env,
): DeployTargetName {
  if (flags.target !== undefined) return parseDeployTarget(flags.target);
  const fromEnv = env.MODELTRAIL_DEPLOY_TARGET?.trim();
  if (fromEnv) return parseDeployTarget(fromEnv, "MODELTRAIL_DEPLOY_TARGET");
  return flags.kubeconfig || flags.context ? "kubernetes" : "local";
}
