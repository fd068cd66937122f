import { createTraceContext } from "@modeltrail/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  deploymentRunEvent,
  imageBuildRunEvent,
  MODELTRAIL_FACET_SCHEMA_URLS,
  type RunEvent,
  type RunEventType,
  STANDARD_FACET_SCHEMA_URLS,
  trainingRunEvent,
} from "../src/index.js";
import { databricksTraining, deployment, imageBuild, localTraining } from "./contexts.js";
import { findOpenLineageSpecDir, loadSpecValidator, type SpecValidator } from "./openlineage-spec.js";

const specDir = findOpenLineageSpecDir();
if (!specDir)
  console.warn(
    "OpenLineage JSON Schemas not found: spec-schema tests skipped (set OPENLINEAGE_SPEC_DIR; see packages/openlineage/README.md)",
  );

const TIME = "2026-11-27T18:00:00Z";
const TYPES: RunEventType[] = ["START", "COMPLETE", "FAIL"];

const builders = {
  "databricks training": () => (t: RunEventType) =>
    trainingRunEvent(databricksTraining(), { eventType: t, eventTime: TIME, failure: new Error("OOM") }),
  "local training": () => (t: RunEventType) =>
    trainingRunEvent(localTraining(), { eventType: t, eventTime: TIME }),
  "image build": () => (t: RunEventType) =>
    imageBuildRunEvent(imageBuild(), { eventType: t, eventTime: TIME, failure: "push denied" }),
  deployment: () => (t: RunEventType) =>
    deploymentRunEvent(deployment(), {
      eventType: t,
      eventTime: TIME,
      processingEngine: { name: "kubernetes", version: "1.37.2" },
    }),
};

describe.skipIf(!specDir)("events against the official OpenLineage JSON Schema (draft 2020-12, ajv)", () => {
  let v: SpecValidator;
  beforeAll(() => {
    v = loadSpecValidator(specDir as string);
  });

  it("knows every facet schema the events name, at the versions stamped", () => {
    for (const url of [
      ...Object.values(STANDARD_FACET_SCHEMA_URLS),
      ...Object.values(MODELTRAIL_FACET_SCHEMA_URLS),
    ])
      expect(v.ids, url).toContain(url.split("#")[0]);
  });

  for (const [name, make] of Object.entries(builders)) {
    for (const type of TYPES) {
      it(`${name} ${type} is a valid RunEvent, every facet valid against its own schema`, () => {
        const event = make()(type);
        expect(v.validate(event)).toEqual([]);
        // and what goes on the wire: the JSON text parsed back
        expect(v.validate(JSON.parse(JSON.stringify(event)))).toEqual([]);
      });
    }
  }

  it("FAIL events carry an errorMessage facet; START and COMPLETE do not", () => {
    const fail = builders["databricks training"]()("FAIL");
    expect(fail.run.facets?.errorMessage).toMatchObject({
      message: "Error: OOM",
      programmingLanguage: "python",
    });
    expect(builders["databricks training"]()("COMPLETE").run.facets?.errorMessage).toBeUndefined();
  });

  it("the validator rejects what the spec rejects (it can fail)", () => {
    const good = builders["image build"]()("COMPLETE");
    const broken: unknown[] = [
      { ...good, eventTime: "yesterday" },
      { ...good, run: { ...good.run, runId: "1795788642450001" } },
      { ...good, producer: "not a uri" },
      { ...good, eventType: "FINISHED" },
      { ...good, job: { namespace: good.job.namespace } },
      withFacet(good, "job", "sourceCodeLocation", { url: undefined }),
      withFacet(good, "job", "jobType", { processingType: undefined }),
      withFacet(good, "run", "parent", { run: { runId: "nope" } }),
      withFacet(good, "run", "modeltrail_trace", { kind: "inference" }),
      withFacet(good, "run", "modeltrail_trace", { surprise: "x" }),
      withFacet(good, "run", "modeltrail_trace", { _schemaURL: "https://example.com/Unknown.json#/$defs/X" }),
    ];
    for (const b of broken) expect(v.validate(b)).not.toEqual([]);
    const digestless = structuredClone(good);
    const digestFacet = digestless.outputs[0]?.facets?.modeltrail_digest as Record<string, unknown>;
    delete digestFacet.value;
    expect(v.validate(digestless).join("\n")).toMatch(/modeltrail_digest.*value/);
  });

  it("any valid trace context gives schema-valid events (property)", () => {
    const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0);
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    fc.assert(
      fc.property(
        fc.record({
          sha: hex(40),
          jobRun: fc.option(fc.stringMatching(/^[0-9]{1,19}$/), { nil: undefined }),
          jobId: fc.option(text, { nil: undefined }),
          mlflowRun: hex(32),
          model: fc.option(text, { nil: undefined }),
          ciRun: fc.option(text, { nil: undefined }),
          provider: fc.option(text, { nil: undefined }),
          data: fc.uniqueArray(
            fc.record({
              name: text,
              uri: fc.option(
                fc.constantFrom(
                  "s3://b/k",
                  "file:///x y",
                  "dbfs:/a",
                  "/Volumes/c/s/v/f",
                  "https://h:8/p?q=1",
                ),
                {
                  nil: undefined,
                },
              ),
              digest: fc.option(
                fc.oneof(
                  hex(64).map((h) => `sha256:${h}`),
                  text,
                ),
                { nil: undefined },
              ),
            }),
            { selector: (d) => d.name, maxLength: 4 },
          ),
          type: fc.constantFrom(...TYPES),
          failure: fc.option(text, { nil: undefined }),
        }),
        (r) => {
          const ctx = createTraceContext({
            code: { gitSha: r.sha, repoUrl: "https://github.com/acme/x" },
            ci: r.ciRun ? { runId: r.ciRun, provider: r.provider } : undefined,
            job: {
              platform: "databricks",
              jobId: r.jobId,
              runId: r.jobRun,
              workspaceUrl: "https://w.example.com",
            },
            model: { mlflowRunId: r.mlflowRun, name: r.model },
            data: r.data,
          });
          const event = trainingRunEvent(ctx, { eventType: r.type, failure: r.failure, jobName: "train" });
          expect(v.validate(JSON.parse(JSON.stringify(event)))).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });
});

function withFacet(e: RunEvent, where: "run" | "job", key: string, patch: Record<string, unknown>): RunEvent {
  const copy = structuredClone(e);
  const facets = copy[where].facets as Record<string, Record<string, unknown>>;
  facets[key] = { ...(facets[key] ?? { _producer: e.producer }), ...patch };
  for (const k of Object.keys(facets[key])) if (facets[key][k] === undefined) delete facets[key][k];
  return copy;
}
