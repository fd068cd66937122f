import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTraceContext } from "@modeltrail/core";
import { installedPythonPackageVersion, runPythonJson } from "@modeltrail/test-utils";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  deploymentRunEvent,
  imageBuildRunEvent,
  MODELTRAIL_FACET_SCHEMA_URLS,
  type RunEvent,
  type RunEventType,
  trainingRunEvent,
} from "../src/index.js";
import { databricksTraining, deployment, imageBuild, localTraining } from "./contexts.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** openlineage-python, pinned by scripts/install-openlineage.sh. */
export const OPENLINEAGE_PYTHON_VERSION = "1.54.0";
export const OPENLINEAGE_PYTHON = resolve(HERE, "../../../.tools/openlineage-venv/bin/python");
const READER = join(HERE, "python", "read_events.py");

interface ReadBack {
  client: string;
  results: ({ ok: true; event: unknown } | { ok: false; error: string })[];
}

/**
 * Drops keys whose value is `{}`: the client fills in empty `facets`, `inputFacets` and
 * `outputFacets` maps where modeltrail leaves them out; those are the same event.
 */
function withoutEmptyMaps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyMaps);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const w = withoutEmptyMaps(v);
    if (w !== null && typeof w === "object" && !Array.isArray(w) && Object.keys(w).length === 0) continue;
    out[k] = w;
  }
  return out;
}

async function readBack(events: unknown[]): Promise<ReadBack> {
  return runPythonJson<ReadBack>(READER, {
    python: OPENLINEAGE_PYTHON,
    input: { events, modeltrailSchemas: MODELTRAIL_FACET_SCHEMA_URLS },
  });
}

const TYPES: RunEventType[] = ["START", "COMPLETE", "FAIL"];

describe("every event read back by OpenLineage's own Python client (openlineage-python, event_v2 + Serde)", () => {
  beforeAll(async () => {
    const found = existsSync(OPENLINEAGE_PYTHON)
      ? await installedPythonPackageVersion("openlineage-python", OPENLINEAGE_PYTHON)
      : undefined;
    if (found !== OPENLINEAGE_PYTHON_VERSION)
      throw new Error(
        `openlineage-python ${OPENLINEAGE_PYTHON_VERSION} is required in ${OPENLINEAGE_PYTHON} (found ${found ?? "none"}): run scripts/install-openlineage.sh`,
      );
  });

  it("the events of training runs, image builds and deployments, START COMPLETE and FAIL, come back unchanged", async () => {
    const events: RunEvent[] = [];
    for (const eventType of TYPES) {
      events.push(trainingRunEvent(databricksTraining(), { eventType, failure: new Error("out of memory") }));
      events.push(trainingRunEvent(localTraining(), { eventType }));
      events.push(imageBuildRunEvent(imageBuild(), { eventType, failure: "push denied" }));
      events.push(
        deploymentRunEvent(deployment(), {
          eventType,
          processingEngine: { name: "kubernetes", version: "1.37.2" },
        }),
      );
    }
    const sent = JSON.parse(JSON.stringify(events));
    const back = await readBack(sent);
    expect(back.client).toBe(OPENLINEAGE_PYTHON_VERSION);
    expect(back.results.filter((r) => !r.ok)).toEqual([]);
    // Same fields, and every facet's _schemaURL is the one the client stamps on that facet class.
    expect(back.results.map((r) => withoutEmptyMaps(r.ok ? r.event : undefined))).toEqual(
      withoutEmptyMaps(sent),
    );
  });

  it("events from arbitrary trace contexts come back unchanged (property, 60 contexts in one batch)", async () => {
    const text = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0);
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    const contexts = fc.sample(
      fc.record({
        sha: hex(40),
        jobRun: fc.option(fc.stringMatching(/^[0-9]{1,19}$/), { nil: undefined }),
        mlflowRun: hex(32),
        model: fc.option(text, { nil: undefined }),
        ciRun: fc.option(text, { nil: undefined }),
        data: fc.uniqueArray(
          fc.record({
            name: text,
            uri: fc.option(fc.constantFrom("s3://b/k", "file:///x y", "dbfs:/a", "https://h:8/p?q=1"), {
              nil: undefined,
            }),
            version: fc.option(text, { nil: undefined }),
            digest: fc.option(
              fc.oneof(
                hex(64).map((h) => `sha256:${h}`),
                text,
              ),
              { nil: undefined },
            ),
          }),
          { selector: (d) => d.name, maxLength: 3 },
        ),
        type: fc.constantFrom(...TYPES),
        failure: fc.option(text, { nil: undefined }),
      }),
      { numRuns: 60, seed: 20261127 },
    );
    const events = contexts.map((r) =>
      trainingRunEvent(
        createTraceContext({
          code: { gitSha: r.sha, repoUrl: "https://github.com/acme/x" },
          ci: r.ciRun ? { runId: r.ciRun, provider: "github-actions" } : undefined,
          job: { platform: "databricks", jobId: "1", runId: r.jobRun, workspaceUrl: "https://w.example.com" },
          model: { mlflowRunId: r.mlflowRun, name: r.model },
          data: r.data,
        }),
        { eventType: r.type, failure: r.failure },
      ),
    );
    const sent = JSON.parse(JSON.stringify(events));
    const back = await readBack(sent);
    expect(back.results.filter((r) => !r.ok)).toEqual([]);
    expect(back.results.map((r) => withoutEmptyMaps(r.ok ? r.event : undefined))).toEqual(
      withoutEmptyMaps(sent),
    );
  });

  it("the client refuses what is not OpenLineage (the check can fail)", async () => {
    const good = JSON.parse(JSON.stringify(imageBuildRunEvent(imageBuild(), { eventType: "START" })));
    const notUuid = structuredClone(good);
    notUuid.run.runId = "1795788642";
    const noTime = structuredClone(good);
    noTime.eventTime = "2026-11-27";
    const unknownField = structuredClone(good);
    unknownField.job.facets.jobType.color = "blue";
    const missingRequired = structuredClone(good);
    delete missingRequired.job.facets.sourceCodeLocation.url;
    const otherVersion = structuredClone(good);
    otherVersion.job.facets.jobType._schemaURL = otherVersion.job.facets.jobType._schemaURL.replace(
      "2-0-4",
      "2-0-3",
    );
    const back = await readBack([notUuid, noTime, unknownField, missingRequired, otherVersion]);
    expect(back.results.slice(0, 4).map((r) => r.ok)).toEqual([false, false, false, false]);
    // a facet stamped with another schema version comes back with the client's version
    const last = back.results[4];
    expect(last?.ok && JSON.stringify(last.event)).toContain("JobTypeJobFacet.json");
    expect(withoutEmptyMaps(last?.ok ? last.event : undefined)).not.toEqual(withoutEmptyMaps(otherVersion));
    expect(withoutEmptyMaps(last?.ok ? last.event : undefined)).toEqual(withoutEmptyMaps(good));
  });
});
