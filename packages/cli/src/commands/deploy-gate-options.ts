import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import {
  type ArtifactCheckMode,
  type DeployPolicy,
  DeployRefusedError,
  deployPolicy,
  type VerifyCheck,
  type VerifyResult,
} from "@modeltrail/core";
import type { Command } from "commander";
import type { RunContext } from "../cli/cli-app.js";
import { CommandFailedError } from "../cli/command-failed-error.js";
import { EXIT_CODES } from "../cli/exit-codes.js";
import { oneOf } from "../cli/option-parsers.js";
import { UsageError } from "../cli/usage-error.js";
import { configuredResolvers, publicKeyFile, type SkippedSystem } from "../config/trace-resolvers.js";

/** The deploy gate's options of `modeltrail deploy` (named as `modeltrail verify` names them). */
export interface DeployGateOptions {
  /** Turn the gate on. */
  verify?: boolean | undefined;
  publicKey?: string | undefined;
  /** `--require-provenance` / `--no-require-provenance`; undefined: the policy's default (true). */
  requireProvenance?: boolean | undefined;
  strict?: boolean | undefined;
  artifacts?: ArtifactCheckMode | undefined;
}

const ARTIFACT_MODES = ["digests", "sizes", "skip"] as const;

/** The settings that mean something only with `--verify`, by flag. */
const GATE_SETTINGS: Array<[keyof DeployGateOptions, string]> = [
  ["publicKey", "--public-key"],
  ["requireProvenance", "--require-provenance/--no-require-provenance"],
  ["strict", "--strict"],
  ["artifacts", "--artifacts"],
];

/**
 * Adds the deploy gate's options: `--verify` (verify the image before anything is applied or
 * started; refuse it with exit 3 when a link is broken), `--public-key FILE` (the cosign public key
 * the provenance attestation is checked with; default `MODELTRAIL_PUBLIC_KEY`),
 * `--require-provenance`/`--no-require-provenance` (default: required), `--strict` and
 * `--artifacts`, with `modeltrail verify`'s names and meanings.
 */
export function addDeployGateOptions(cmd: Command): Command {
  return cmd
    .option(
      "--verify",
      "deploy gate: verify the image first (provenance signature, commit against its model version, every other link) and refuse it, with exit 3 and nothing applied or started, when a link is broken",
    )
    .option(
      "--public-key <file>",
      "deploy gate: the PEM public key (cosign's, Ed25519 or ECDSA P-256) the image's provenance attestation must be signed for (default: MODELTRAIL_PUBLIC_KEY)",
    )
    .option(
      "--require-provenance",
      "deploy gate: refuse an image whose provenance signature does not verify (the default with --verify)",
    )
    .option(
      "--no-require-provenance",
      "deploy gate: do not require a signed provenance attestation (the other links are still checked)",
    )
    .option("--strict", "deploy gate: also refuse when a check cannot be decided (unknown)")
    .option(
      "--artifacts <mode>",
      "deploy gate: compare the image's model layer with the model version by digests (default), sizes, or skip",
      oneOf(ARTIFACT_MODES),
    );
}

/**
 * Checks the gate's flags before anything is read: a gate setting without `--verify` (it would be
 * ignored, and the deploy ungated), and a gate that requires provenance with no key to check it
 * with, are usage errors (exit 2).
 */
export function checkDeployGateOptions(
  opts: DeployGateOptions,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): void {
  if (!opts.verify) {
    const given = GATE_SETTINGS.filter(([k]) => opts[k] !== undefined).map(([, flag]) => flag);
    if (given.length > 0)
      throw new UsageError(
        `${given.join(", ")} set${given.length === 1 ? "s" : ""} the deploy gate, which is off`,
        {
          hint: "add --verify to gate the deploy, or leave out the gate's options",
        },
      );
    return;
  }
  const keyFile = publicKeyFile(opts, env);
  if (opts.requireProvenance !== false && !keyFile)
    throw new UsageError(
      "The deploy gate requires signed provenance and has no public key to check it with",
      {
        hint: "give --public-key FILE (or MODELTRAIL_PUBLIC_KEY), the key the image's attestation was signed with; or --no-require-provenance",
      },
    );
  if (keyFile) {
    const path = resolve(cwd, keyFile);
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      throw new UsageError(
        `Cannot read the public key ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        {
          hint: "pass --public-key FILE (or MODELTRAIL_PUBLIC_KEY), a PEM public key (Ed25519 or ECDSA P-256)",
        },
      );
    }
  }
}

/** The gate of one deploy: its policy, the systems it could not read, and how to close their clients. */
export interface DeployGate {
  policy: DeployPolicy;
  notConfigured: SkippedSystem[];
  close(): Promise<void>;
}

/**
 * The deploy gate the options ask for, or undefined without `--verify`: core's `deployPolicy` over
 * the systems `modeltrail verify` reads (MLflow, Databricks, the registry with the public key;
 * plus the OCI layouts in `layouts`), not the deploy targets themselves. Throws UsageError for an
 * unreadable key.
 */
export async function deployGate(
  run: RunContext<DeployGateOptions & { repository?: string | undefined }>,
  layouts: readonly string[] = [],
): Promise<DeployGate | undefined> {
  const { opts } = run;
  if (!opts.verify) return undefined;
  const configured = await configuredResolvers(
    {
      ...run,
      opts: {
        ...(opts.repository ? { repository: [opts.repository] } : {}),
        ...(opts.publicKey ? { publicKey: opts.publicKey } : {}),
      },
    },
    { deployments: false, layouts },
  );
  return {
    policy: deployPolicy({
      resolvers: configured.resolvers,
      ...(opts.requireProvenance !== undefined ? { requireProvenance: opts.requireProvenance } : {}),
      ...(opts.strict ? { strict: true } : {}),
      ...(opts.artifacts ? { artifacts: opts.artifacts } : {}),
    }),
    notConfigured: configured.skipped,
    close: () => configured.close(),
  };
}

/** A check as the deploy result lists it. */
interface GateCheck {
  id: string;
  status: string;
  lineage: string;
  message: string;
}

function gateCheck(c: VerifyCheck): GateCheck {
  return {
    id: c.id,
    status: c.status,
    lineage: c.lineage,
    message:
      c.status === "unknown" && !c.message.includes(c.reason) ? `${c.message} (${c.reason})` : c.message,
  };
}

/** The gate's part of a deploy result: `gate` (passed, or off), its settings and the checks. */
export function gateResult(
  gate: DeployGate | undefined,
  verified: VerifyResult | undefined,
): Record<string, unknown> {
  if (!gate) return { gate: "off" };
  return {
    gate: "passed",
    verification: {
      ...gate.policy.settings,
      pass: verified?.summary.pass ?? 0,
      fail: verified?.summary.fail ?? 0,
      unknown: verified?.summary.unknown ?? 0,
      checks: (verified?.checks ?? []).map(gateCheck),
      notConfigured: gate.notConfigured,
    },
  };
}

/**
 * Turns the gate's refusal into the command's failure: exit 3, one line naming each broken link
 * (check id, status and what it found), a hint, and with `--json` the refused checks, every check
 * and the verify report. Anything else is rethrown as it is.
 */
export function refusedDeploy(
  err: unknown,
  gate: DeployGate | undefined,
  base: Record<string, unknown>,
): never {
  if (!(err instanceof DeployRefusedError) || !gate) throw err;
  const refused = err.checks.map(gateCheck);
  const missing = gate.notConfigured.map((s) => s.system);
  throw new CommandFailedError(
    `the deploy gate refused ${err.image}: ${refused.map((c) => `${c.id} ${c.status}: ${c.message}`).join("; ")}`,
    {
      exitCode: EXIT_CODES.verifyFailed,
      result: {
        ...base,
        ok: false,
        gate: "refused",
        image: err.image,
        refused,
        verification: {
          ...gate.policy.settings,
          checks: (err.report?.checks ?? err.checks).map(gateCheck),
          notConfigured: gate.notConfigured,
        },
        report: err.report,
      },
      hint: `nothing was applied or started. Deploy an image whose links agree (rebuilt from its model version's commit, its provenance signed for the key given), or fix the link named${
        missing.length ? `; not configured: ${missing.join(", ")}` : ""
      } (run "modeltrail verify ${err.image}" to see every check)`,
    },
  );
}

/** The deploy gate's line of a deploy result: passed with its counts, or off. */
export function gateLine(data: Record<string, unknown>): string | undefined {
  if (data.gate === undefined) return undefined;
  if (data.gate !== "passed") return String(data.gate);
  const v = data.verification as { pass: number; unknown: number; requireProvenance: boolean };
  return `passed (${v.pass} checks pass, ${v.unknown} unknown${v.requireProvenance ? ", provenance verified" : ""})`;
}
