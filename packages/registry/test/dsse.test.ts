import { generateKeyPairSync } from "node:crypto";
import { ConfigError, createTraceContext, ValidationError } from "@modeltrail/core";
import { describe, expect, it } from "vitest";
import { modelProvenance, preAuthEncoding, signDsse, verifyDsse } from "../src/index.js";

describe("DSSE", () => {
  it("encodes the pre-authentication string of the spec", () => {
    expect(preAuthEncoding("http://example.com/HelloWorld", Buffer.from("hello world")).toString()).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  for (const [name, keys] of [
    ["ECDSA P-256", () => generateKeyPairSync("ec", { namedCurve: "P-256" })],
    ["Ed25519", () => generateKeyPairSync("ed25519")],
  ] as const) {
    it(`signs and verifies with ${name}, and refuses tampering and other keys`, () => {
      const { privateKey, publicKey } = keys();
      const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
      const env = signDsse("application/vnd.in-toto+json", Buffer.from('{"a":1}'), pem);
      expect(verifyDsse(env, publicKey.export({ type: "spki", format: "pem" }) as string).toString()).toBe(
        '{"a":1}',
      );
      const tampered = { ...env, payload: Buffer.from('{"a":2}').toString("base64") };
      expect(() => verifyDsse(tampered, publicKey)).toThrow(ValidationError);
      expect(() => verifyDsse({ ...env, payloadType: "text/plain" }, publicKey)).toThrow(ValidationError);
      expect(() => verifyDsse(env, keys().publicKey)).toThrow(ValidationError);
    });
  }

  it("refuses keys it cannot use, without showing them", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    expect(() => signDsse("t", Buffer.from("x"), rsa.privateKey)).toThrow(ConfigError);
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
    expect(() => signDsse("t", Buffer.from("x"), p384.privateKey)).toThrow(/Ed25519 or ECDSA P-256/);
    const err = (() => {
      try {
        signDsse(
          "t",
          Buffer.from("x"),
          "-----BEGIN PRIVATE KEY-----\nnot-a-key-Secret123\n-----END PRIVATE KEY-----",
        );
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).not.toContain("not-a-key-Secret123");
  });
});

describe("modelProvenance", () => {
  it("names the base image and falls back to a local builder outside CI", () => {
    const ctx = createTraceContext({ code: { gitSha: "e".repeat(40) }, job: { runId: "5" } });
    const s = modelProvenance({
      image: { repository: "r.io/m", digest: `sha256:${"1".repeat(64)}` },
      ctx,
      base: { name: "r.io/base:1", digest: `sha256:${"2".repeat(64)}` },
    });
    expect(s._type).toBe("https://in-toto.io/Statement/v1");
    expect(s.predicate.buildDefinition.resolvedDependencies).toEqual([
      { name: "source", digest: { gitCommit: "e".repeat(40) } },
      { name: "base-image", uri: "r.io/base:1", digest: { sha256: "2".repeat(64) } },
    ]);
    expect(s.predicate.runDetails.builder.id).toBe("https://modeltrail.dev/builder/local");
    expect(() =>
      modelProvenance({ image: { repository: "r", digest: `sha512:${"1".repeat(128)}` }, ctx }),
    ).toThrow(ValidationError);
  });
});
