import { deploy, type KubeClient, renderDeployment, toYaml } from "@modeltrail/k8s";
import type { Command } from "commander";
import type { CliApp, RunContext } from "../cli/cli-app.js";
import { newCommand } from "../cli/command-builder.js";
import { keyValue, port, positiveInt, runId } from "../cli/option-parsers.js";
import type { Output } from "../cli/output.js";
import { UsageError } from "../cli/usage-error.js";
import { kubeClient, registryClient } from "../config/clients.js";
import { type ImageToDeploy, imageByReference, imageByRunId } from "../config/image-context.js";
import { imageLocation } from "../config/image-target.js";
import {
  addDeployGateOptions,
  checkDeployGateOptions,
  type DeployGate,
  deployGate,
  gateResult,
  refusedDeploy,
} from "./deploy-gate-options.js";
import type { DeployCommandOptions } from "./deploy-options.js";
import { addDeployTargetOptions, deployTarget } from "./deploy-target-options.js";
import { printDeployment } from "./deployment-view.js";
import { deployLocal } from "./local-target-commands.js";

/**
 * `modeltrail deploy`: serve a model image with its trace in the container env, and wait. With
 * `--verify`, the deploy gate (core's `deployPolicy`) checks the image first and a refusal exits 3
 * with nothing applied or started.
 */
export function deployCommand(app: CliApp): Command {
  const cmd = addDeployTargetOptions(
    newCommand(
      app.io,
      "deploy",
      "Deploy a model image with its trace (GIT_SHA, RUN_ID, ... read from the image) in the container env, labels and annotations, wait for the rollout like kubectl, and print the live trace. The image is given by reference or by the run id it was built for. With --target local, the image (oci:DIR:TAG or a registry reference) is unpacked and its command run as a local process on a loopback port, keeping revisions like a Deployment. With --verify, the deploy gate verifies the image first (its provenance signed for --public-key, its commit equal to its model version's, every other link verify checks) and refuses it with exit 3, nothing applied or started, naming each broken link.",
      [
        "modeltrail deploy --name churn --run-id 1795788642450001 --repository myacr.azurecr.io/models/churn -n ml-serving",
        "modeltrail deploy --name churn --run-id 1795788642450001 --verify --public-key cosign.pub -n ml-serving",
        "modeltrail deploy --name churn --image myacr.azurecr.io/models/churn:1795788642450001 --port 8080 --replicas 2",
        "modeltrail deploy --name churn --image myacr.azurecr.io/models/churn:1795788642450001 --dry-run > churn.yaml",
        "modeltrail deploy --target local --name churn --image oci:.modeltrail/images:1795788642450001 --python .venv/bin/python",
        "modeltrail deploy --target local --name churn --image oci:.modeltrail/images:1795788642450001 --verify --no-require-provenance",
      ],
    ),
  )
    .requiredOption("--name <name>", "the Deployment name")
    .option("--image <ref>", "the image reference (registry/repo:tag or @digest)")
    .option(
      "--run-id <id>",
      "deploy the image built for this run instead (needs --repository or MODELTRAIL_REGISTRY)",
      runId,
    )
    .option("--repository <repo>", "where --run-id's image is (default: MODELTRAIL_REGISTRY)")
    .option("--layout <dir>", "local target: the OCI layout where --run-id's image is")
    .option("--port <port>", "the container port (also the Service's)", port)
    .option("--replicas <n>", "the number of replicas (default 1)", positiveInt)
    .option("--env <key=value>", "an extra container env variable (repeatable)", keyValue)
    .option("--service", "also create a ClusterIP Service for --port")
    .option("--environment <name>", "the environment name recorded in the trace (dev, staging, prod)")
    .option("--no-wait", "apply and return without waiting for the rollout")
    .option("--force", "take over fields another field manager owns")
    .option(
      "--dry-run",
      "print the manifests as YAML (with --json: as JSON) and apply nothing (with --verify: only when the gate allows the image)",
    );
  addDeployGateOptions(cmd);
  return app.handle<DeployCommandOptions>(cmd, async (run) => {
    const { opts, out } = run;
    if ((opts.image === undefined) === (opts.runId === undefined))
      throw new UsageError("deploy needs exactly one of --image or --run-id");
    if (opts.service && opts.port === undefined) throw new UsageError("--service needs --port");
    checkDeployGateOptions(opts, run.io.env, run.io.cwd);
    if (deployTarget(opts, run.io.env) === "local") return deployLocal(run);
    const image = await imageToDeploy(run);
    let ctx = image.context;
    if (opts.environment) ctx = ctx.with({ environment: { name: opts.environment } });
    let gate: DeployGate | undefined;
    let kube: KubeClient | undefined;
    try {
      gate = await deployGate(run);
      kube = opts.dryRun ? undefined : kubeClient(run, opts);
      const namespace = opts.namespace ?? kube?.namespace;
      const manifests = renderDeployment(ctx, {
        name: opts.name,
        image: image.ref.replace(/@sha256:[0-9a-f]{64}$/, ""),
        digest: image.digest,
        ...(namespace ? { namespace } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.service ? { service: true } : {}),
      });
      const refusal = { target: "k8s", namespace, name: opts.name, dryRun: opts.dryRun === true };
      if (!kube) {
        const pinned = manifests.deployment.spec?.template?.spec?.containers?.[0]?.image ?? image.ref;
        const verified = gate
          ? await gate.policy
              .enforce(pinned, { signal: run.signal })
              .catch((err: unknown) => refusedDeploy(err, gate, refusal))
          : undefined;
        const docs = [manifests.service, manifests.deployment].filter((m) => m !== undefined);
        return {
          data: {
            dryRun: true,
            ...gateResult(gate, verified),
            manifests: docs,
            context: manifests.context.toJSON(),
          },
          print: (o) => o.write("stdout", docs.map((d) => toYaml(d)).join("---\n")),
        };
      }
      out.status(
        `${gate ? "verifying, then deploying" : "deploying"} ${image.ref} as ${namespace}/${opts.name}`,
      );
      const result = await deploy(kube, manifests, {
        ...(opts.wait === false ? { noWait: true } : {}),
        ...(opts.force ? { force: true } : {}),
        ...(opts.timeout !== undefined ? { rolloutTimeoutMs: opts.timeout } : {}),
        ...(gate ? { policy: gate.policy } : {}),
        onProgress: rolloutProgress(out),
        signal: run.signal,
      }).catch((err: unknown) => refusedDeploy(err, gate, refusal));
      const live = result.context ?? manifests.context;
      const data = {
        target: "k8s",
        namespace,
        name: opts.name,
        image: image.ref,
        digest: image.digest,
        revision: live.deployment?.revision,
        rolledOut: result.status?.done ?? false,
        runId: live.job?.runId ?? live.model?.mlflowRunId,
        gitSha: live.code?.gitSha,
        ...gateResult(gate, Object.values(result.verified ?? {})[0]),
        context: live.toJSON(),
      };
      return { data, print: (o) => printDeployment(o, data) };
    } finally {
      await kube?.close();
      await gate?.close();
    }
  });
}

async function imageToDeploy(run: RunContext<DeployCommandOptions>): Promise<ImageToDeploy> {
  const { opts } = run;
  const call = { signal: run.signal };
  if (opts.image) {
    if (opts.image.startsWith("oci:"))
      throw new UsageError("Kubernetes cannot pull from an OCI layout; push the image to a registry first");
    const client = registryClient(run, opts.image);
    try {
      return await imageByReference(client, opts.image, call);
    } finally {
      await client.close();
    }
  }
  const where = imageLocation(opts, run.io.env);
  if (!where.repository) throw new UsageError("Kubernetes cannot pull from an OCI layout; give --repository");
  const client = registryClient(run, where.repository);
  try {
    return await imageByRunId(client, where.repository, opts.runId!, call);
  } finally {
    await client.close();
  }
}

/** Prints kubectl's rollout messages as they change. */
export function rolloutProgress(out: Output): (p: { status: { message: string } }) => void {
  let last = "";
  return (p) => {
    if (p.status.message && p.status.message !== last) out.status(p.status.message);
    last = p.status.message;
  };
}

/** The Kubernetes client type, for the commands sharing this module. */
export type { KubeClient };
