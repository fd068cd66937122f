import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext, ValidationError } from "@modeltrail/core";
import {
  anonymousCredentials,
  attachProvenance,
  buildModelImage,
  modelProvenance,
  RegistryClient,
  SLSA_PROVENANCE_V1,
  verifyProvenance,
} from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const open = inject("openRegistry");
const oras = inject("orasBin");
const cosign = inject("cosignBin");
const ctx = createTraceContext({
  code: { gitSha: "c".repeat(40), repoUrl: "https://github.com/example/churn", branch: "main" },
  ci: {
    provider: "github-actions",
    runId: "991",
    runAttempt: "1",
    runUrl: "https://github.com/example/churn/actions/runs/991",
    workflow: "cd",
  },
  job: { runId: "1795788642450777" },
  model: { name: "churn", version: "4", mlflowRunId: "1".repeat(32), uri: "models:/churn/4" },
});

let work: string;
const client = new RegistryClient({ credentials: anonymousCredentials });
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-prov-"));
  await writeFile(join(work, "model.bin"), "weights");
});
afterAll(async () => {
  await client.close();
  await rm(work, { recursive: true, force: true });
});

async function buildAndAttest(repoName: string, keyType: "ec" | "ed25519", signed = true) {
  const repo = `${open}/${repoName}`;
  const built = await buildModelImage({ modelDir: work, ctx, push: { client, repository: repo } });
  const statement = modelProvenance({
    image: { repository: repo, digest: built.digest },
    ctx,
    modelLayer: built.modelLayer,
  });
  const keys =
    keyType === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  const attached = await attachProvenance(
    client,
    `${repo}@${built.digest}`,
    statement,
    signed ? { signingKey: keys.privateKey } : {},
  );
  const pubFile = join(work, `${repoName.replace(/\W/g, "-")}.pub`);
  await writeFile(pubFile, keys.publicKey.export({ type: "spki", format: "pem" }));
  return { repo, built, statement, attached, keys, pubFile };
}

describe("provenance", () => {
  it("states the git commit, the model and the CI invocation", async () => {
    const { statement, built } = await buildAndAttest("prov/statement", "ec");
    expect(statement.subject[0]?.digest.sha256).toBe(built.digest.slice(7));
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([
      {
        name: "source",
        uri: "git+https://github.com/example/churn@refs/heads/main",
        digest: { gitCommit: "c".repeat(40) },
      },
      {
        name: "model",
        uri: "models:/churn/4",
        digest: { sha256: built.modelLayer.digest.slice(7) },
        annotations: { mlflowRunId: "1".repeat(32), diffId: built.modelLayer.diffId },
      },
    ]);
    expect(statement.predicate.runDetails).toEqual({
      builder: { id: "https://modeltrail.dev/builder/github-actions/cd" },
      metadata: { invocationId: "https://github.com/example/churn/actions/runs/991" },
    });
  });

  for (const keyType of ["ec", "ed25519"] as const) {
    it(`signs with ${keyType === "ec" ? "ECDSA P-256" : "Ed25519"} and verifies; another key or image does not`, async () => {
      const { repo, built, attached, keys } = await buildAndAttest(`prov/${keyType}`, keyType);
      expect(attached.indexedBy).toBe("tag-schema");
      const verified = await verifyProvenance(client, `${repo}:${built.runId}`, keys.publicKey);
      expect(verified.digest).toBe(built.digest);
      expect(verified.statement.predicateType).toBe(SLSA_PROVENANCE_V1);
      const other =
        keyType === "ec"
          ? generateKeyPairSync("ec", { namedCurve: "P-256" })
          : generateKeyPairSync("ed25519");
      await expect(
        verifyProvenance(client, `${repo}:${built.runId}`, other.publicKey),
      ).rejects.toBeInstanceOf(ValidationError);
    });
  }

  it("refuses an unsigned statement and an image without provenance", async () => {
    const { repo, built, keys } = await buildAndAttest("prov/unsigned", "ec", false);
    await expect(verifyProvenance(client, `${repo}@${built.digest}`, keys.publicKey)).rejects.toThrow(
      /no signed provenance/,
    );
  });

  it.skipIf(!oras && !process.env.CI)("is listed by oras discover as a referrer of the image", async () => {
    const { repo, built, attached } = await buildAndAttest("prov/oras", "ec");
    const out = execFileSync(
      oras,
      ["discover", "--plain-http", "--format", "json", `${repo}@${built.digest}`],
      { encoding: "utf8" },
    );
    expect(out).toContain(attached.digest);
    expect(out).toContain("application/vnd.dsse.envelope.v1+json");
  });

  for (const keyType of ["ec", "ed25519"] as const) {
    it.skipIf(!cosign && !process.env.CI)(
      `is accepted by cosign verify-attestation --type slsaprovenance1 (${keyType})`,
      async () => {
        const { repo, built, pubFile } = await buildAndAttest(`prov/cosign-${keyType}`, keyType);
        const out = execFileSync(
          cosign,
          [
            "verify-attestation",
            "--key",
            pubFile,
            "--insecure-ignore-tlog",
            "--type",
            "slsaprovenance1",
            "--allow-insecure-registry",
            `${repo}@${built.digest}`,
          ],
          {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, COSIGN_EXPERIMENTAL: "" },
          },
        );
        const envelope = JSON.parse(out.trim().split("\n")[0]!) as { payload: string };
        const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as {
          subject: Array<{ digest: { sha256: string } }>;
        };
        expect(statement.subject[0]?.digest.sha256).toBe(built.digest.slice(7));
        // a wrong key is refused by cosign too
        const other = join(work, `other-${keyType}.pub`);
        const k =
          keyType === "ec"
            ? generateKeyPairSync("ec", { namedCurve: "P-256" })
            : generateKeyPairSync("ed25519");
        await writeFile(other, k.publicKey.export({ type: "spki", format: "pem" }));
        expect(() =>
          execFileSync(
            cosign,
            [
              "verify-attestation",
              "--key",
              other,
              "--insecure-ignore-tlog",
              "--type",
              "slsaprovenance1",
              "--allow-insecure-registry",
              `${repo}@${built.digest}`,
            ],
            {
              stdio: "ignore",
            },
          ),
        ).toThrow();
      },
    );
  }
});
