import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  createTraceContext,
  isTraceContext,
  parseTraceContext,
  TraceContext,
  ValidationError,
} from "../src/index.js";
import { redactText, stripUrlCredentials } from "../src/internal.js";
import { SHA, sampleContext } from "./codecs/sample.js";

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

describe("createTraceContext", () => {
  it("builds an empty context and one with every section", () => {
    expect(createTraceContext().toJSON()).toEqual({ schemaVersion: 1 });
    const ctx = sampleContext();
    expect(ctx.schemaVersion).toBe(1);
    expect(ctx.code?.gitSha).toBe(SHA);
    expect(ctx.job?.platform).toBe("databricks");
    expect(ctx.environment?.runtime).toEqual({ node: "24.1.0", python: "3.11.7" });
    expect(ctx.data?.[0]?.name).toBe("customers");
    expect(ctx.extra).toEqual({ team: "risk" });
    expect(isTraceContext(ctx)).toBe(true);
    expect(isTraceContext({ code: {} })).toBe(false);
  });

  it("normalises: trims, lowercases the SHA, strips URL credentials, drops empty sections, sorts map keys", () => {
    const ctx = createTraceContext({
      code: {
        gitSha: ` ${SHA.toUpperCase()} `,
        repoUrl: "https://user:pw@github.com/a/b.git",
        branch: " main ",
      },
      ci: {},
      environment: { runtime: {} },
      extra: { zeta: "1", alpha: "2" },
      data: [],
    });
    expect(ctx.toJSON()).toEqual({
      schemaVersion: 1,
      code: { gitSha: SHA, repoUrl: "https://github.com/a/b.git", branch: "main" },
      extra: { alpha: "2", zeta: "1" },
    });
    expect(Object.keys(ctx.extra ?? {})).toEqual(["alpha", "zeta"]);
  });

  it("lists every bad field path in one ValidationError", () => {
    const err = validationError(() =>
      createTraceContext({
        code: { gitSha: "abc123", branch: "" },
        job: { platform: "airflow" as never },
        image: { digest: "sha256:XYZ" },
        data: [{ name: "a" }, { name: "a" }],
        extra: { "Bad Key": "x", ok: "line\nbreak" },
        deployment: { name: "x".repeat(1025) },
        model: { nmae: "typo" } as never,
      }),
    );
    const paths = err.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "code.gitSha",
        "code.branch",
        "job.platform",
        "image.digest",
        "data[1].name",
        "extra.Bad Key",
        "extra.ok",
        "deployment.name",
        "model.nmae",
      ]),
    );
    for (const path of paths) expect(err.message).toContain(path);
    expect(err.code).toBe("VALIDATION_ERROR");
  });

  it("rejects input that is not an object and a newer schemaVersion", () => {
    expect(() => createTraceContext("x" as never)).toThrow(ValidationError);
    expect(createTraceContext({ schemaVersion: 1 } as never).toJSON()).toEqual({ schemaVersion: 1 });
    expect(() => createTraceContext({ schemaVersion: 2 } as never)).toThrow(/upgrade modeltrail/i);
  });

  it("is deeply frozen; toJSON returns a mutable copy", () => {
    const ctx = sampleContext();
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(Object.isFrozen(ctx.code)).toBe(true);
    expect(Object.isFrozen(ctx.data?.[0])).toBe(true);
    expect(Object.isFrozen(ctx.environment?.runtime)).toBe(true);
    expect(() => {
      (ctx.code as { gitSha?: string }).gitSha = "f".repeat(40);
    }).toThrow(TypeError);
    const json = ctx.toJSON();
    json.code = { branch: "other" };
    expect(ctx.code?.branch).toBe("main");
    expect(() => new TraceContext(Symbol("x"), json)).toThrow(TypeError);
  });

  it("serialises with JSON.stringify, shows data in util.inspect, compares with equals", () => {
    const ctx = sampleContext();
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx.toJSON());
    expect(inspect(ctx)).toContain("TraceContext");
    expect(inspect(ctx)).toContain(SHA);
    expect(ctx.equals(sampleContext())).toBe(true);
    expect(ctx.equals(ctx.with({ extra: { team: "ops" } }))).toBe(false);
  });
});

describe("ctx.with", () => {
  const base = sampleContext();

  it("merges sections field by field: undefined keeps, null removes", () => {
    const next = base.with({ code: { branch: "release", dirty: null, repoUrl: undefined } });
    expect(next.code).toEqual({
      gitSha: SHA,
      repoUrl: "https://github.com/acme/churn.git",
      branch: "release",
    });
    expect(base.code?.branch).toBe("main");
    expect(next.ci).toEqual(base.ci);
  });

  it("removes a whole section with null and adds a new one", () => {
    const next = createTraceContext({ code: { gitSha: SHA } }).with({ code: null, model: { name: "m" } });
    expect(next.toJSON()).toEqual({ schemaVersion: 1, model: { name: "m" } });
  });

  it("drops a section emptied by a patch", () => {
    expect(
      createTraceContext({ ci: { runId: "1" } })
        .with({ ci: { runId: null } })
        .toJSON(),
    ).toEqual({
      schemaVersion: 1,
    });
  });

  it("merges data by name, extra and runtime by key", () => {
    const next = base.with({
      data: [
        { name: " customers ", version: "13", digest: null },
        { name: "labels", uri: "s3://b/labels" },
      ],
      extra: { team: null, owner: "ana" },
      environment: { runtime: { node: null, java: "21" } },
    });
    expect(next.data).toEqual([
      { name: "customers", uri: "dbfs:/data/customers", version: "13" },
      { name: "labels", uri: "s3://b/labels" },
    ]);
    expect(next.extra).toEqual({ owner: "ana" });
    expect(next.environment).toEqual({ name: "prod", runtime: { java: "21", python: "3.11.7" } });
    expect(
      base.with({ data: null, extra: null, environment: { runtime: null } }).toJSON(),
    ).not.toHaveProperty("data");
  });

  it("validates the result and leaves the original untouched", () => {
    const err = validationError(() =>
      base.with({ code: { gitSha: "nope" }, image: { digest: "x" }, bogus: {} } as never),
    );
    expect(err.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["code.gitSha", "image.digest", "bogus"]),
    );
    expect(base.code?.gitSha).toBe(SHA);
    expect(() => base.with("x" as never)).toThrow(ValidationError);
  });
});

describe("parseTraceContext", () => {
  it("reads back what toJSON wrote, from a string or an object", () => {
    const ctx = sampleContext();
    expect(parseTraceContext(JSON.stringify(ctx)).equals(ctx)).toBe(true);
    expect(parseTraceContext(ctx.toJSON()).equals(ctx)).toBe(true);
  });

  it("rejects a newer schema version with advice to upgrade", () => {
    const err = validationError(() => parseTraceContext({ schemaVersion: 2, code: {} }));
    expect(err.message).toMatch(/schemaVersion 2/);
    expect(err.message).toMatch(/upgrade modeltrail/i);
  });

  it("rejects invalid JSON, a missing or bad version, unknown fields", () => {
    expect(() => parseTraceContext("{not json")).toThrow(/not valid JSON/);
    expect(() => parseTraceContext("[]")).toThrow(ValidationError);
    expect(validationError(() => parseTraceContext({})).issues[0]?.path).toBe("schemaVersion");
    expect(() => parseTraceContext({ schemaVersion: 0 })).toThrow(ValidationError);
    expect(() => parseTraceContext({ schemaVersion: "1" })).toThrow(ValidationError);
    expect(validationError(() => parseTraceContext({ schemaVersion: 1, cod: {} })).issues[0]?.path).toBe(
      "cod",
    );
  });
});

describe("credentials in URLs", () => {
  it("stripUrlCredentials removes HTTP user info and SSH passwords, leaves scp-like remotes alone", () => {
    expect(stripUrlCredentials("https://user:tok@github.com/o/r.git")).toBe("https://github.com/o/r.git");
    expect(stripUrlCredentials("https://x-access-token@github.com/o/r")).toBe("https://github.com/o/r");
    expect(stripUrlCredentials("http://a:b@host:8080/p?q=1#f")).toBe("http://host:8080/p?q=1#f");
    expect(stripUrlCredentials("https://u:p@ss@host/r")).toBe("https://host/r");
    expect(stripUrlCredentials("https://host/path@v1")).toBe("https://host/path@v1");
    expect(stripUrlCredentials("ssh://git:pw@host/o/r.git")).toBe("ssh://git@host/o/r.git");
    expect(stripUrlCredentials("ssh://git@host/o/r.git")).toBe("ssh://git@host/o/r.git");
    expect(stripUrlCredentials("git@github.com:org/repo.git")).toBe("git@github.com:org/repo.git");
    expect(stripUrlCredentials("models:/churn/7")).toBe("models:/churn/7");
  });

  it("never keeps a planted secret in the context, its JSON or an error about it", () => {
    const secret = "plantedSecretTok3nQ7x9";
    const url = `https://ci:${secret}@dev.azure.com/acme/_git/churn`;
    const ctx = createTraceContext({
      code: { repoUrl: url },
      ci: { runUrl: url },
      data: [{ name: "d", uri: url }],
    });
    expect(JSON.stringify(ctx)).not.toContain(secret);
    expect(inspect(ctx)).not.toContain(secret);
    const err = validationError(() => createTraceContext({ code: { repoUrl: url, gitSha: "bad" } }));
    for (const text of [err.message, JSON.stringify(err), inspect(err)]) expect(text).not.toContain(secret);
    expect(redactText(`cloning with ${secret}`)).not.toContain(secret);
  });
});
