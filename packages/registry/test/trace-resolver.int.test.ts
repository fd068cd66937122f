import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraceContext, DEFAULT_CONVENTIONS, type RequestEvent, trace } from "@modeltrail/core";
import {
  anonymousCredentials,
  attachProvenance,
  buildModelImage,
  modelProvenance,
  RegistryClient,
  registryTraceResolver,
} from "@modeltrail/registry";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const open = inject("openRegistry");
const SHA = createHash("sha1").update(randomUUID()).digest("hex");
const JOB_RUN = `${Date.now()}`;
const MLFLOW_RUN = randomUUID().replace(/-/g, "");
const ctx = createTraceContext({
  code: { gitSha: SHA, repoUrl: "https://github.com/example/churn", branch: "main" },
  job: { platform: "databricks", runId: JOB_RUN },
  model: { name: "churn", version: "7", mlflowRunId: MLFLOW_RUN },
});
const files = { MLmodel: "flavors: {}\n", "model.pkl": "weights-".repeat(500), "sub/extra.json": "{}" };
const digestOf = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

let work: string;
let repo: string;
let digest: string;
const keys = generateKeyPairSync("ed25519");
const client = new RegistryClient({ credentials: anonymousCredentials });
const lookup = (events: RequestEvent[] = []) => ({
  conventions: DEFAULT_CONVENTIONS,
  onRequest: (e: RequestEvent) => events.push(e),
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-resolver-"));
  await mkdir(join(work, "sub"));
  for (const [f, body] of Object.entries(files)) await writeFile(join(work, f), body);
  repo = `${open}/trace/churn-${randomUUID().slice(0, 6)}`;
  const built = await buildModelImage({ modelDir: work, ctx, push: { client, repository: repo } });
  digest = built.digest;
  const statement = modelProvenance({
    image: { repository: repo, digest },
    ctx,
    modelLayer: built.modelLayer,
  });
  await attachProvenance(client, `${repo}@${digest}`, statement, { signingKey: keys.privateKey });
});
afterAll(async () => {
  await client.close();
  await rm(work, { recursive: true, force: true });
});

describe("registryTraceResolver against a real registry", () => {
  it("reads an image: annotations, config env, layers with roles, and its provenance (verified)", async () => {
    const r = registryTraceResolver(client, { repositories: [repo], publicKey: keys.publicKey });
    const events: RequestEvent[] = [];
    const img = await r.getImage?.(`${repo}:${JOB_RUN}`, lookup(events));
    expect(img?.digest).toBe(digest);
    expect(img?.ref).toBe(`${repo}@${digest}`);
    expect(img?.tags).toEqual([JOB_RUN]);
    expect(img?.annotations["org.opencontainers.image.revision"]).toBe(SHA);
    expect(img?.config?.env.GIT_SHA).toBe(SHA);
    expect(img?.config?.env.RUN_ID).toBe(JOB_RUN);
    expect(img?.layers.find((l) => l.role === "model")).toBeDefined();
    expect(img?.provenance).toHaveLength(1);
    expect(img?.provenance[0]).toMatchObject({
      signed: true,
      verified: true,
      gitCommit: SHA,
      modelUri: "models:/churn/7",
      subjectDigests: [digest],
    });
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.service === "oci-registry")).toBe(true);
    expect(await r.getImage?.(`${repo}:no-such-tag`, lookup())).toBeUndefined();
  });

  it("says verified false with another key, and leaves it unset without one", async () => {
    const other = generateKeyPairSync("ed25519").publicKey;
    const wrong = await registryTraceResolver(client, { publicKey: other }).getImage?.(
      `${repo}@${digest}`,
      lookup(),
    );
    expect(wrong?.provenance[0]?.verified).toBe(false);
    expect(wrong?.provenance[0]?.verifyError).toBeTruthy();
    const none = await registryTraceResolver(client).getImage?.(`${repo}@${digest}`, lookup());
    expect(none?.provenance[0]?.verified).toBeUndefined();
  });

  it("finds images by bare digest, by either run id and by commit in its repositories", async () => {
    const r = registryTraceResolver(client, { repositories: [repo] });
    expect((await r.getImage?.(digest, lookup()))?.ref).toBe(`${repo}@${digest}`);
    for (const q of [
      { imageDigest: digest },
      { jobRunId: JOB_RUN },
      { mlflowRunId: MLFLOW_RUN },
      { gitSha: SHA },
    ]) {
      const found = await r.findImages?.(q, lookup());
      expect(
        found?.map((i) => i.digest),
        JSON.stringify(q),
      ).toEqual([digest]);
    }
    expect(await r.findImages?.({ jobRunId: "1" }, lookup())).toEqual([]);
  });

  it("hashes the files of the model layer, streamed", async () => {
    const r = registryTraceResolver(client, { repositories: [repo] });
    const got = await r.getImageModelFiles?.(`${repo}@${digest}`, lookup());
    expect(got).toEqual(
      Object.entries(files)
        .map(([path, body]) => ({ path, size: body.length, digest: digestOf(body) }))
        .sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
  });

  it("trace() from the image answers what the image states", async () => {
    const report = await trace(`${repo}@${digest}`, {
      resolvers: [registryTraceResolver(client, { repositories: [repo], publicKey: keys.publicKey })],
    });
    const l = report.lineages[0];
    expect(l?.code.gitSha?.value).toBe(SHA);
    expect(l?.artifacts.provenance).toMatchObject({ verified: true, gitCommit: SHA });
    expect(l?.environment.serving.os?.value).toBe("linux");
    expect(report.graph.nodes.some((n) => n.kind === "provenance")).toBe(true);
    expect(report.unreachable.map((u) => u.system)).toEqual(expect.arrayContaining(["mlflow"]));
  });
});
