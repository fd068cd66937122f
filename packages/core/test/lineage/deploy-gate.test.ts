import { describe, expect, it } from "vitest";
import { DeployRefusedError, deployPolicy, isModelTrailError, ValidationError } from "../../src/index.js";
import {
  DIGEST,
  OTHER_SHA,
  REPO,
  referenceWorld,
  SHA,
  type World,
  worldResolvers,
} from "./fixtures/world.js";

const PROV = `sha256:${"c".repeat(64)}`;
const IMAGE = `${REPO}@${DIGEST}`;

function attested(w: World, verified: boolean | undefined = true, gitCommit = SHA): World {
  const img = w.images[0];
  if (img) img.provenance = [{ digest: PROV, signed: true, verified, subjectDigests: [DIGEST], gitCommit }];
  return w;
}

function policy(w: World, extra: Partial<Parameters<typeof deployPolicy>[0]> = {}) {
  const r = worldResolvers(w);
  return deployPolicy({ resolvers: [r.mlflow, r.databricks, r.registry], ...extra });
}

async function refusal(p: ReturnType<typeof deployPolicy>): Promise<DeployRefusedError> {
  try {
    await p.enforce(IMAGE);
  } catch (err) {
    if (err instanceof DeployRefusedError) return err;
    throw err;
  }
  throw new Error("the policy allowed the image");
}

describe("deployPolicy", () => {
  it("allows an attested image whose links agree, and returns what it verified", async () => {
    const result = await policy(attested(referenceWorld())).enforce(IMAGE);
    expect(result.ok).toBe(true);
    expect(result.checks.find((c) => c.id === "commit.image-model-version")?.status).toBe("pass");
    expect(result.checks.find((c) => c.id === "provenance.signature")?.status).toBe("pass");
  });

  it("refuses an image without provenance, unless the policy does not require it", async () => {
    const err = await refusal(policy(referenceWorld()));
    expect(err.checks.map((c) => c.id)).toEqual(["provenance.signature"]);
    expect(err.message).toContain("provenance.signature");
    expect(err).toBeInstanceOf(ValidationError);
    expect(isModelTrailError(err)).toBe(true);
    await expect(
      policy(referenceWorld(), { requireProvenance: false }).enforce(IMAGE),
    ).resolves.toMatchObject({
      ok: true,
    });
  });

  it("refuses an image whose provenance does not verify", async () => {
    const err = await refusal(policy(attested(referenceWorld(), false)));
    expect(err.checks.map((c) => `${c.id} ${c.status}`)).toContain("provenance.signature fail");
  });

  it("refuses an image built from another commit than its model version's, naming both values and sources", async () => {
    const w = attested(referenceWorld(), true, OTHER_SHA);
    const img = w.images[0];
    if (img) img.annotations["org.opencontainers.image.revision"] = OTHER_SHA;
    const err = await refusal(policy(w));
    const link = err.checks.find((c) => c.id === "commit.image-model-version");
    expect(link?.status).toBe("fail");
    const issue = err.issues.find((i) => i.path === "commit.image-model-version");
    expect(issue?.message).toContain(SHA);
    expect(issue?.message).toContain(OTHER_SHA);
    expect(issue?.message).toContain("annotation org.opencontainers.image.revision");
    expect(issue?.message).toContain("tag GIT_SHA");
    expect(err.report?.checks?.length).toBeGreaterThan(0);
  });

  it("refuses when any other check fails (training data without a digest), unless requireVerify is off", async () => {
    const w = attested(referenceWorld());
    const run = w.mlflowRuns[0];
    if (run) run.datasets = [{ name: "churn-train" }];
    const err = await refusal(policy(w));
    expect(err.checks.map((c) => c.id)).toEqual(["data.digests"]);
    await expect(policy(w, { requireVerify: false }).enforce(IMAGE)).resolves.toBeDefined();
  });

  it("refuses an image whose model version cannot be read to compare commits", async () => {
    const r = worldResolvers(attested(referenceWorld()));
    const err = await refusal(deployPolicy({ resolvers: [r.registry] }));
    const c = err.checks.find((x) => x.id === "commit.image-model-version");
    expect(c?.status).toBe("unknown");
    expect(err.message).toMatch(/commit\.image-model-version unknown/);
  });

  it("refuses an image it cannot find, and bad input with ValidationError", async () => {
    await expect(policy(referenceWorld()).enforce(`${REPO}@sha256:${"f".repeat(64)}`)).rejects.toBeInstanceOf(
      DeployRefusedError,
    );
    await expect(policy(referenceWorld()).enforce("")).rejects.toBeInstanceOf(ValidationError);
    expect(() => deployPolicy({} as never)).toThrow(ValidationError);
  });
});
