import type { DeployGateOptions } from "./deploy-gate-options.js";
import type { DeployTargetOptions } from "./deploy-target-options.js";

/** The options of `modeltrail deploy`, as the Kubernetes and the local target read them. */
export interface DeployCommandOptions extends DeployTargetOptions, DeployGateOptions {
  name: string;
  image?: string;
  runId?: string;
  repository?: string;
  layout?: string;
  port?: number;
  replicas?: number;
  env?: Record<string, string>;
  service?: boolean;
  environment?: string;
  wait?: boolean;
  dryRun?: boolean;
  force?: boolean;
}

/** The options of `modeltrail rollback`, as the Kubernetes and the local target read them. */
export interface RollbackCommandOptions extends DeployTargetOptions {
  runId?: string;
  revision?: number;
  repository?: string;
  layout?: string;
}
