import { describe, expect, it } from "vitest";
import {
  NetworkError,
  parseTraceReport,
  type TraceResolver,
  ValidationError,
  VERIFY_CHECK_IDS,
  type VerifyCheck,
  verify,
} from "../../src/index.js";
import {
  DIGEST,
  JOB_RUN,
  logLine,
  OTHER_SHA,
  REPO,
  referenceWorld,
  SHA,
  type World,
  worldResolvers,
} from "./fixtures/world.js";

const PROV = `sha256:${"c".repeat(64)}`;

function withProvenance(w: World, verified: boolean | undefined, gitCommit = SHA): World {
  const img = w.images[0];
  if (img)
    img.provenance = [
      {
        digest: PROV,
        signed: true,
        verified,
        subjectDigests: [DIGEST],
        gitCommit,
        predicateType: "https://slsa.dev/provenance/v1",
      },
    ];
  return w;
}

async function run(w: World, handle: unknown = logLine(), extra: Partial<Parameters<typeof verify>[1]> = {}) {
  const r = worldResolvers(w);
  return verify(handle as string, {
    resolvers: [r.mlflow, r.databricks, r.registry, r.kubernetes],
    ...extra,
  });
}

function check(checks: VerifyCheck[], id: string): VerifyCheck {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${checks.map((x) => x.id).join(", ")}`);
  return c;
}

describe("verify() on an intact pipeline", () => {
  it("passes every check, and the report carries the checks", async () => {
    const result = await run(withProvenance(referenceWorld(), true));
    expect(result.checks.map((c) => c.id).sort()).toEqual([...VERIFY_CHECK_IDS].sort());
    for (const c of result.checks) expect(c.status, `${c.id}: ${c.message}`).toBe("pass");
    expect(result.ok).toBe(true);
    expect(result.summary).toEqual({ pass: VERIFY_CHECK_IDS.length, fail: 0, unknown: 0 });
    const report = parseTraceReport(JSON.stringify(result.report));
    expect(report.checks).toHaveLength(VERIFY_CHECK_IDS.length);
    expect(report.summary).toEqual(result.summary);
    expect(check(result.checks, "commit.image-model-version").link).toEqual({
      from: "model-version:churn/3",
      to: `image:${DIGEST}`,
    });
  });

  it("leaves the provenance signature unknown without a key, and ok stays true unless strict", async () => {
    const loose = await run(withProvenance(referenceWorld(), undefined));
    const sig = check(loose.checks, "provenance.signature");
    expect(sig.status).toBe("unknown");
    expect(sig.status === "unknown" && sig.reason).toMatch(/no public key/);
    expect(loose.ok).toBe(true);
    const strict = await run(withProvenance(referenceWorld(), undefined), logLine(), { strict: true });
    expect(strict.ok).toBe(false);
  });
});

describe("verify() shows each check failing when its link is broken", () => {
  it("image rebuilt from another commit: deployment/image and image/model version fail, naming both values", async () => {
    const w = referenceWorld();
    const img = w.images[0];
    if (img) img.annotations["org.opencontainers.image.revision"] = OTHER_SHA;
    const result = await run(w);
    expect(result.ok).toBe(false);
    for (const id of ["commit.deployment-image", "commit.image-model-version"]) {
      const c = check(result.checks, id);
      expect(c.status).toBe("fail");
      const values = c.values.map((v) => v.value);
      expect(values).toContain(SHA);
      expect(values).toContain(OTHER_SHA);
      const imageValue = c.values.find((v) => v.value === OTHER_SHA);
      expect(imageValue?.source).toMatchObject({
        system: "registry",
        field: "annotation org.opencontainers.image.revision",
      });
    }
    expect(check(result.checks, "commit.model-version-run").status).toBe("pass");
  });

  it("model version re-tagged: image/model version and model version/run fail", async () => {
    const w = referenceWorld();
    const mv = w.modelVersions[0];
    if (mv) mv.tags.GIT_SHA = OTHER_SHA;
    const result = await run(w);
    expect(check(result.checks, "commit.image-model-version").status).toBe("fail");
    const c = check(result.checks, "commit.model-version-run");
    expect(c.status).toBe("fail");
    expect(c.values.find((v) => v.value === OTHER_SHA)?.source).toMatchObject({
      system: "mlflow",
      object: "model version churn/3",
      field: "tag GIT_SHA",
    });
  });

  it("deployment patched by hand: deployment/image fails", async () => {
    const w = referenceWorld();
    const d = w.deployments[0];
    const ct = d?.containers[0];
    if (ct) ct.env.GIT_SHA = OTHER_SHA;
    const result = await run(w);
    const c = check(result.checks, "commit.deployment-image");
    expect(c.status).toBe("fail");
    expect(c.message).toContain(OTHER_SHA);
    expect(check(result.checks, "commit.image-model-version").status).toBe("pass");
  });

  it("training run at another commit than the job's parameter: run/job fails", async () => {
    const w = referenceWorld();
    const job = w.jobRuns[0];
    if (job) job.gitSha = { value: OTHER_SHA, field: "job parameter git_sha" };
    const result = await run(w);
    const c = check(result.checks, "commit.run-job");
    expect(c.status).toBe("fail");
    expect(c.values.find((v) => v.value === OTHER_SHA)?.source.field).toBe("job parameter git_sha");
  });

  it("run ids that disagree fail both run-id checks", async () => {
    const w = referenceWorld();
    const ct = w.deployments[0]?.containers[0];
    if (ct) ct.env.RUN_ID = "999";
    const img = w.images[0];
    const result1 = await run(w);
    expect(check(result1.checks, "run-id.deployment-image").status).toBe("fail");
    const w2 = referenceWorld();
    const mv = w2.modelVersions[0];
    if (mv) mv.tags.DBR_RUN_ID = "998";
    void img;
    const result2 = await run(w2, "models:/churn/3");
    expect(check(result2.checks, "run-id.image-model-version").status).toBe("fail");
  });

  it("the cluster runs another digest than the registry holds: image.deployed-digest fails", async () => {
    const w = referenceWorld();
    const other = `sha256:${"e".repeat(64)}`;
    const pod = w.deployments[0]?.pods[0]?.containers[0];
    if (pod) pod.imageId = `${REPO}@${other}`;
    const result = await run(w);
    const c = check(result.checks, "image.deployed-digest");
    expect(c.status).toBe("fail");
    expect(c.values.map((v) => v.value)).toEqual(expect.arrayContaining([DIGEST, other]));
  });

  it("a model layer with other bytes: artifacts.model-layer fails with the file named", async () => {
    const w = referenceWorld();
    w.imageFiles[`${REPO}@${DIGEST}`] = [
      { path: "MLmodel", size: 120, digest: `sha256:${"1".repeat(64)}` },
      { path: "model.pkl", size: 5000, digest: `sha256:${"9".repeat(64)}` },
      { path: "extra.bin", size: 1, digest: `sha256:${"8".repeat(64)}` },
    ];
    const result = await run(w);
    const c = check(result.checks, "artifacts.model-layer");
    expect(c.status).toBe("fail");
    expect(c.message).toContain("model.pkl differs");
    expect(c.message).toContain("extra.bin is in the image");
    const sizes = await run(w, logLine(), { artifacts: "sizes" });
    expect(check(sizes.checks, "artifacts.model-layer").status).toBe("fail");
    const skipped = await run(w, logLine(), { artifacts: "skip" });
    expect(skipped.checks.some((x) => x.id === "artifacts.model-layer")).toBe(false);
  });

  it("a provenance that does not verify, or names another commit, fails", async () => {
    const bad = await run(withProvenance(referenceWorld(), false));
    expect(check(bad.checks, "provenance.signature").status).toBe("fail");
    const other = await run(withProvenance(referenceWorld(), true, OTHER_SHA));
    const c = check(other.checks, "provenance.commit");
    expect(c.status).toBe("fail");
    expect(c.message).toContain(OTHER_SHA);
    const required = await run(referenceWorld(), logLine(), { requireProvenance: true });
    expect(check(required.checks, "provenance.signature").status).toBe("fail");
  });

  it("a training data set without a digest fails data.digests", async () => {
    const w = referenceWorld();
    const r = w.mlflowRuns[0];
    if (r) r.datasets = [{ name: "churn-train" }];
    const result = await run(w);
    const c = check(result.checks, "data.digests");
    expect(c.status).toBe("fail");
    expect(c.message).toContain("churn-train");
  });
});

describe("verify() says unknown when a system is unreachable", () => {
  it("registry down: every check that needs the image is unknown with the reason, the rest still decided", async () => {
    const r = worldResolvers(referenceWorld());
    const down: TraceResolver = {
      system: "registry",
      location: "http://127.0.0.1:1",
      async getImage() {
        throw new NetworkError("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED");
      },
      async findImages() {
        throw new NetworkError("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED");
      },
    };
    const result = await verify(logLine() as Record<string, unknown>, {
      resolvers: [r.mlflow, r.databricks, down, r.kubernetes],
    });
    for (const id of ["commit.deployment-image", "commit.image-model-version", "image.deployed-digest"]) {
      const c = check(result.checks, id);
      expect(c.status, id).toBe("unknown");
      expect(c.status === "unknown" && c.reason, id).toMatch(/ECONNREFUSED/);
    }
    expect(check(result.checks, "commit.model-version-run").status).toBe("pass");
    expect(check(result.checks, "commit.run-job").status).toBe("pass");
    expect(result.summary.fail).toBe(0);
    expect(result.ok).toBe(true);
    expect(
      (
        await verify(logLine() as Record<string, unknown>, {
          resolvers: [r.mlflow, r.databricks, down, r.kubernetes],
          strict: true,
        })
      ).ok,
    ).toBe(false);
  });

  it("refuses an unknown artifacts mode", async () => {
    await expect(
      verify("models:/churn/3", { resolvers: [], artifacts: "all" as never }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it("counts the look-ups verify adds (file digests, layer files) in the report's requests", async () => {
    const traced = await run(referenceWorld(), logLine(), { artifacts: "skip" });
    const full = await run(referenceWorld());
    expect(full.report.requests.total).toBeGreaterThan(traced.report.requests.total);
    expect(full.report.requests.bySystem.registry).toBeGreaterThan(
      traced.report.requests.bySystem.registry ?? 0,
    );
    void JOB_RUN;
  });
});
