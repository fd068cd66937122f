import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@modeltrail/core";
import {
  type DatabricksConfigFile,
  MAX_DATABRICKS_CONFIG_BYTES,
  parseDatabricksConfig,
  readDatabricksConfig,
} from "@modeltrail/core/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Section name -> key -> value, for comparisons. */
function plain(file: DatabricksConfigFile): Record<string, Record<string, string>> {
  return Object.fromEntries(
    [...file.sections].map(([name, section]) => [
      name,
      Object.fromEntries([...section].map(([k, e]) => [k, e.value])),
    ]),
  );
}

function refusal(text: string, path = "/tmp/x.cfg"): ConfigError {
  try {
    parseDatabricksConfig(text, path);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("parseDatabricksConfig: what configparser reads", () => {
  it("reads sections, keys and values", () => {
    const file = parseDatabricksConfig(
      [
        "\uFEFF# comment",
        "; another comment",
        "[DEFAULT]",
        "token = dapi-default",
        "",
        "[dev.eu]",
        "Host: https://dev.cloud.databricks.com",
        "client_secret = sec#ret;with=equals",
        'quoted = "a value"',
        "single = 'x'",
        "empty =",
        "[__settings__]",
        "  default_profile = dev.eu",
      ].join("\r\n"),
    );
    expect(plain(file)).toEqual({
      DEFAULT: { token: "dapi-default" },
      "dev.eu": {
        host: "https://dev.cloud.databricks.com",
        client_secret: "sec#ret;with=equals",
        quoted: "a value",
        single: "x",
        empty: "",
      },
      __settings__: { default_profile: "dev.eu" },
    });
    expect(file.sections.get("dev.eu")!.get("quoted")).toMatchObject({ quoted: true, line: 9, lines: 1 });
    expect(file.sections.get("dev.eu")!.get("host")).toMatchObject({ quoted: false, line: 7 });
  });

  it("splits at the first = or :, so URLs and secrets with = keep their tail", () => {
    const file = parseDatabricksConfig("[a]\nhost = https://h.example:8443/x\nsecret: a=b:c\n");
    expect(plain(file).a).toEqual({ host: "https://h.example:8443/x", secret: "a=b:c" });
  });

  it("reads an empty value followed by an indented line as a value starting with a newline", () => {
    expect(plain(parseDatabricksConfig("[a]\nempty =\n  indented_key = v\n")).a).toEqual({
      empty: "\nindented_key = v",
    });
  });

  it("joins indented continuation lines with newlines, keeps inner blank lines and drops trailing ones", () => {
    const file = parseDatabricksConfig(
      "[a]\nnote = first\n  second\n\n  third\n\n\nhost = h\n   # a comment inside the value is skipped\n",
    );
    expect(plain(file).a).toEqual({ note: "first\nsecond\n\nthird", host: "h" });
    expect(file.sections.get("a")!.get("note")).toMatchObject({ line: 2, lines: 4 });
  });

  it("treats an indented line after a key as part of its value, as configparser does", () => {
    const file = parseDatabricksConfig("[a]\nhost = https://h.example\n  token = dapi-hidden-1234\n");
    expect(plain(file).a).toEqual({ host: "https://h.example\ntoken = dapi-hidden-1234" });
    expect(file.sections.get("a")!.get("host")!.lines).toBe(2);
  });

  it("keeps empty sections: an empty profile exists", () => {
    const file = parseDatabricksConfig("[empty]\n[DEFAULT]\n");
    expect([...file.sections.keys()]).toEqual(["empty", "DEFAULT"]);
    expect(file.sections.get("empty")!.size).toBe(0);
  });

  it("does not let profiles inherit from DEFAULT", () => {
    expect(plain(parseDatabricksConfig("[DEFAULT]\ntoken = t\n[other]\nhost = h\n")).other).toEqual({
      host: "h",
    });
  });

  it("accepts a comment after a section header", () => {
    expect(plain(parseDatabricksConfig("[a] ; the a workspace\nhost = h\n")).a).toEqual({ host: "h" });
  });
});

describe("parseDatabricksConfig: what it refuses", () => {
  it("refuses a setting before the first section", () => {
    const err = refusal("host = https://root.example\n[DEFAULT]\ntoken = t\n");
    expect(err.message).toContain("/tmp/x.cfg line 1: has a setting before the first [section] header");
    expect(err.hint).toContain("[DEFAULT]");
  });

  it("refuses a repeated section, DEFAULT included", () => {
    expect(refusal("[a]\nhost = h\n[b]\n[a]\ntoken = t\n").message).toContain(
      "line 4: section [a] appears a second time",
    );
    expect(refusal("[DEFAULT]\nhost = h\n[DEFAULT]\ntoken = t\n").message).toContain(
      "line 3: section [DEFAULT] appears a second time",
    );
  });

  it("refuses a repeated key, whatever its case, naming both lines", () => {
    const err = refusal("[a]\ntoken = dapi-one-1111\nhost = h\nTOKEN = dapi-two-2222\n");
    expect(err.message).toContain("line 4: key token appears a second time in [a] (first on line 2)");
    expect(err.message).not.toContain("dapi-");
  });

  it("refuses a line that is not a header, a pair, a comment or blank, without echoing it", () => {
    const err = refusal("[a]\nthis-is-a-secret-looking-line\n");
    expect(err.message).toContain("/tmp/x.cfg line 2");
    expect(err.message).not.toContain("this-is-a-secret-looking-line");
    expect(refusal("[a]\n= value-without-key\n").message).toContain("line 2");
    expect(refusal("[a\nhost = h\n").message).toContain("line 1: is not a valid [section] header");
    expect(refusal("[]\n").message).toContain("line 1");
  });

  it("refuses a section name with spaces around it", () => {
    const err = refusal("[ dev ]\nhost = h\n");
    expect(err.message).toContain("line 1: the section name [ dev ] has spaces around it");
    expect(err.hint).toContain("[dev]");
  });

  it("never echoes a value in any refusal (property)", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{24,40}$/).map((s) => `dose${s}`);
    const broken = fc.constantFrom(
      (s: string) => `[a]\n${s}\n`,
      (s: string) => `token = ${s}\n[a]\n`,
      (s: string) => `[a]\ntoken = ${s}\ntoken = ${s}\n`,
      (s: string) => `[a]\ntoken = ${s}\n[a]\n`,
      (s: string) => `[${s}\n`,
    );
    fc.assert(
      fc.property(secret, broken, (s, make) => {
        const err = refusal(make(s));
        expect(JSON.stringify({ m: err.message, h: err.hint, j: err.toJSON() })).not.toContain(s);
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseDatabricksConfig: round trip (property)", () => {
  it("reads back every section, key and single-line value written as key = value", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
    // Values without newlines; leading/trailing spaces are trimmed by the format itself.
    const value = fc
      .string({ unit: fc.constantFrom(..."abcXYZ019 #;=:'\"/._-@".split("")), maxLength: 30 })
      .map((v) => v.trim());
    const profiles = fc.uniqueArray(fc.tuple(name, fc.dictionary(key, value, { maxKeys: 6 })), {
      selector: ([n]) => n,
      maxLength: 5,
    });
    fc.assert(
      fc.property(profiles, (list) => {
        const text = list
          .map(([n, kv]) => [`[${n}]`, ...Object.entries(kv).map(([k, v]) => `${k} = ${v}`)].join("\n"))
          .join("\n\n");
        const parsed = plain(parseDatabricksConfig(text));
        const expected = Object.fromEntries(
          list.map(([n, kv]) => [
            n,
            Object.fromEntries(
              Object.entries(kv).map(([k, v]) => {
                const q = v[0];
                const quoted = v.length >= 2 && (q === '"' || q === "'") && v.endsWith(q);
                return [k, quoted ? v.slice(1, -1) : v];
              }),
            ),
          ]),
        );
        expect(parsed).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe("readDatabricksConfig", () => {
  it("returns undefined for a missing file and names the file on a read error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "modeltrail-dbcfg-read-"));
    try {
      expect(await readDatabricksConfig(join(dir, "nope.cfg"))).toBeUndefined();
      expect(await readDatabricksConfig(join(dir, "nope", "deeper.cfg"))).toBeUndefined();
      const err = await readDatabricksConfig(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`Cannot read the Databricks config file ${dir}: EISDIR`);
      const path = join(dir, "ok.cfg");
      await writeFile(path, "[a]\nhost = h\n");
      expect((await readDatabricksConfig(path))!.path).toBe(path);
      const big = join(dir, "big.cfg");
      await writeFile(big, `[a]\n${"x = y\n".repeat(MAX_DATABRICKS_CONFIG_BYTES / 6 + 1)}`);
      await expect(readDatabricksConfig(big)).rejects.toThrow(
        /bytes, more than the 1048576 a config file can have/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a device or a pipe instead of reading it forever", async () => {
    await expect(readDatabricksConfig("/dev/zero")).rejects.toThrow(
      "Cannot read the Databricks config file /dev/zero: not a regular file",
    );
    const dir = await mkdtemp(join(tmpdir(), "modeltrail-dbcfg-fifo-"));
    try {
      const fifo = join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      // No writer ever opens it: a blocking open would wait forever.
      await expect(readDatabricksConfig(fifo)).rejects.toThrow("not a regular file");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
