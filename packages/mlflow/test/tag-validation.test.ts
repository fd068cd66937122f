/**
 * The same tag rules everywhere (MLflow's `_validate_tag_name` and length limits): run, experiment,
 * registered model and model version tags are all checked before anything is sent, and each problem
 * is reported for what it is (a bad key as a key, a non-string value as the tag's value).
 */
import { createTraceContext, ValidationError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { checkTag, MLFLOW_LIMITS, type MlflowClient, type TagTarget, validateTags } from "../src/index.js";
import { useFakeMlflowServer } from "./fake-mlflow-server.js";

const fake = useFakeMlflowServer();

/** Every way a tag can be wrong, with what the error must say about it. */
const BAD_TAGS: Array<{
  name: string;
  key: unknown;
  value: unknown;
  path: "key" | "value";
  message: RegExp;
}> = [
  {
    name: "a key with a newline",
    key: "a\nb",
    value: "v",
    path: "key",
    message: /characters MLflow refuses/,
  },
  { name: "a key with *", key: "bad*key", value: "v", path: "key", message: /characters MLflow refuses/ },
  { name: "an absolute key", key: "/abs", value: "v", path: "key", message: /not a normalized path/ },
  { name: "a key with //", key: "a//b", value: "v", path: "key", message: /not a normalized path/ },
  { name: "a key with ..", key: "../up", value: "v", path: "key", message: /not a normalized path/ },
  { name: "an empty key", key: "", value: "v", path: "key", message: /missing or empty/ },
  {
    name: "a too-long key",
    key: "k".repeat(251),
    value: "v",
    path: "key",
    message: /^key is 251 characters long; the limit is 250$/,
  },
  {
    name: "a number value",
    key: "n",
    value: 5,
    path: "value",
    message: /^tag "n": value must be a string, got a number$/,
  },
  {
    name: "a null value",
    key: "z",
    value: null,
    path: "value",
    message: /^tag "z": value must be a string, got null$/,
  },
  {
    name: "an object value",
    key: "o",
    value: { a: 1 },
    path: "value",
    message: /^tag "o": value must be a string, got an object$/,
  },
  {
    name: "an undefined value",
    key: "u",
    value: undefined,
    path: "value",
    message: /^tag "u": value is missing$/,
  },
];

const VALUE_LIMITS: Record<TagTarget, number> = {
  run: 8000,
  experiment: 20_000,
  "registered model": 100_000,
  "model version": 100_000,
};

/** Each public call that sends tags, with the target whose rules apply. */
const CALLS: Array<{
  name: string;
  target: TagTarget;
  call: (c: MlflowClient, key: string, value: string) => Promise<unknown>;
}> = [
  { name: "runs.create", target: "run", call: (c, k, v) => c.runs.create({ tags: { [k]: v } }) },
  { name: "runs.setTag", target: "run", call: (c, k, v) => c.runs.setTag("r1", k, v) },
  {
    name: "runs.logBatch",
    target: "run",
    call: (c, k, v) => c.runs.logBatch("r1", { tags: [{ key: k, value: v }] }),
  },
  {
    name: "experiments.create",
    target: "experiment",
    call: (c, k, v) => c.experiments.create("e", { tags: { [k]: v } }),
  },
  {
    name: "experiments.getOrCreate",
    target: "experiment",
    call: (c, k, v) => c.experiments.getOrCreate("e", { tags: { [k]: v } }),
  },
  {
    name: "registeredModels.create",
    target: "registered model",
    call: (c, k, v) => c.registeredModels.create("m", { tags: { [k]: v } }),
  },
  {
    name: "registeredModels.setTag",
    target: "registered model",
    call: (c, k, v) => c.registeredModels.setTag("m", k, v),
  },
  {
    name: "modelVersions.create",
    target: "model version",
    call: (c, k, v) => c.modelVersions.create({ name: "m", source: "runs:/r/model", tags: { [k]: v } }),
  },
  {
    name: "modelVersions.setTag",
    target: "model version",
    call: (c, k, v) => c.modelVersions.setTag("m", "1", k, v),
  },
  {
    name: "registerModel",
    target: "model version",
    call: (c, k, v) =>
      c.registerModel(createTraceContext(), {
        runId: "r1",
        artifactPath: "model",
        name: "m",
        tags: { [k]: v },
      }),
  },
];

async function validationError(promise: Promise<unknown>): Promise<ValidationError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe("tags are checked by the same rules for every target, before anything is sent", () => {
  for (const { name, target, call } of CALLS) {
    it(`${name} (${target} tags)`, async () => {
      const client = fake.client();
      for (const bad of BAD_TAGS) {
        const err = await validationError(call(client, bad.key as string, bad.value as string));
        const issue = err.issues.find((i) => i.path.endsWith(`.${bad.path}`) || i.path === bad.path);
        expect(issue, `${bad.name}: ${JSON.stringify(err.issues)}`).toBeDefined();
        expect(issue?.message, bad.name).toMatch(bad.message);
      }
      const limit = VALUE_LIMITS[target];
      const long = await validationError(call(client, "long", "v".repeat(limit + 1)));
      expect(long.issues.map((i) => i.message)).toContain(
        `tag "long": value is ${limit + 1} characters long; the limit is ${limit}`,
      );
      expect(fake.server.requests, `${name} sent a request`).toEqual([]);
    });
  }

  it("the limits are MLflow's", () => {
    expect(MLFLOW_LIMITS.tagValueLength).toBe(8000);
    expect(MLFLOW_LIMITS.experimentTagValueLength).toBe(20_000);
    expect(MLFLOW_LIMITS.registryTagValueLength).toBe(100_000);
    expect(MLFLOW_LIMITS.keyLength).toBe(250);
  });

  it("validateTags lists every bad tag at once and returns the wire list of good ones", () => {
    expect(validateTags({ a: "1", "b/c": "2" }, "run")).toEqual([
      { key: "a", value: "1" },
      { key: "b/c", value: "2" },
    ]);
    let err: unknown;
    try {
      validateTags({ ok: "1", "bad*": "2", n: 3 as unknown as string }, "experiment");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(["tags[1].key", "tags[2].value"]);
    expect((err as ValidationError).message).toMatch(/Invalid experiment tags; nothing was sent/);
    expect(() => validateTags("a=b" as never, "run")).toThrow(
      /must be an object of tag values, got a string/,
    );
  });

  it("checkTag counts length in code points, as Python does", () => {
    const issues: Array<{ path: string; message: string }> = [];
    checkTag("emoji", "😀".repeat(8000), "t", issues, "run");
    expect(issues).toEqual([]);
    checkTag("emoji", "😀".repeat(8001), "t", issues, "run");
    expect(issues).toEqual([
      { path: "t.value", message: 'tag "emoji": value is 8001 characters long; the limit is 8000' },
    ]);
  });
});
