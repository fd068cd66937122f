import { describe, expect, it } from "vitest";
import {
  isSecretHeader,
  redactedExcerpt,
  redactHeaders,
  redactText,
  redactUrl,
  registerSecret,
  registerSecretHeaderValue,
} from "../src/internal.js";

describe("redaction", () => {
  it("redacts auth schemes even after the word token", () => {
    expect(redactText("invalid token Bearer abcdef123456 for user")).toBe(
      "invalid token Bearer [REDACTED] for user",
    );
    expect(redactText("Authorization: Basic dXNlcjpwYXNz")).toBe("Authorization: Basic [REDACTED]");
  });

  it("leaves ordinary prose about tokens alone", () => {
    expect(redactText("the token expired; provide a new token")).toBe(
      "the token expired; provide a new token",
    );
  });

  it("redacts URL credentials and secret query parameters", () => {
    expect(redactUrl("https://user:pa55@git.example.com/org/repo.git")).toBe(
      "https://user:[REDACTED]@git.example.com/org/repo.git",
    );
    expect(redactUrl("https://tok3n@git.example.com/r")).toBe("https://[REDACTED]@git.example.com/r");
    expect(redactUrl("http://h/x?a=1&client_secret=s3cr3t&sig=abc")).toBe(
      "http://h/x?a=1&client_secret=[REDACTED]&sig=[REDACTED]",
    );
  });

  it("redacts the whole user info of a URL, whatever characters it holds", () => {
    expect(redactUrl("http://u:pa ss@h x/p")).toBe("http://u:[REDACTED]@h x/p");
    expect(redactUrl("http://u:two@at@h/p")).toBe("http://u:[REDACTED]@h/p");
    expect(redactUrl("http://u:s3cr%t@h")).toBe("http://u:[REDACTED]@h");
    expect(redactUrl("https://tok en@h/r")).toBe("https://[REDACTED]@h/r");
    expect(redactUrl("https://h/p?token=abc@def")).toBe("https://h/p?token=[REDACTED]");
    expect(redactUrl("not a url u:p@h")).toBe("not a url u:p@h");
  });

  it("registers the spellings a server may echo a secret in", () => {
    const secret = 'sp"ell/ing+é <x>&y z';
    registerSecret(secret);
    const js = JSON.stringify(secret).slice(1, -1);
    const esc = (re: RegExp) => js.replace(re, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    for (const spelling of [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ v: secret }).toString().slice(2),
      js,
      esc(/[\u0080-\uffff]/g),
      esc(/[<>&]/g),
      js.replace(/\//g, "\\/"),
    ]) {
      expect(redactText(`a ${spelling} b`), spelling).toBe("a [REDACTED] b");
    }
  });

  it("a secret inside a longer secret is not left half-replaced", () => {
    registerSecret("inner-0123");
    registerSecret("outer-inner-0123-tail");
    expect(redactText("x outer-inner-0123-tail y inner-0123 z")).toBe("x [REDACTED] y [REDACTED] z");
  });

  it("redactedExcerpt redacts before it cuts, so a straddling secret leaves nothing behind", () => {
    registerSecret("straddle-9a8b7c6d5e4f");
    const text = `${"a".repeat(95)}straddle-9a8b7c6d5e4f${"b".repeat(50)}`;
    const out = redactedExcerpt(text, 100);
    expect(out).not.toContain("strad");
    expect(out).toMatch(/^a{95}\[REDA… \(\d+ more characters\)$/);
    expect(redactedExcerpt("short", 100)).toBe("short");
    expect(redactedExcerpt(`${"x".repeat(9)}😀`, 10)).toBe(`${"x".repeat(9)}… (2 more characters)`);
  });

  it("isSecretHeader knows secret headers by name and by shape", () => {
    for (const name of [
      "Authorization",
      "x-api-key",
      "X-Auth-Token",
      "private-token",
      "api-key",
      "Ocp-Apim-Subscription-Key",
      "x-vault-token",
      "cookie",
      "x-amz-security-token",
      "x-functions-key",
    ])
      expect(isSecretHeader(name), name).toBe(true);
    for (const name of ["content-type", "accept", "user-agent", "x-request-id", "idempotency-key", "range"])
      expect(isSecretHeader(name), name).toBe(false);
  });

  it("registerSecretHeaderValue registers the credential after the scheme and a Basic password", () => {
    registerSecretHeaderValue("Token tk-0f1e2d3c4b5a");
    expect(redactText("got tk-0f1e2d3c4b5a")).toBe("got [REDACTED]");
    registerSecretHeaderValue(`Basic ${Buffer.from("carol:cp-77aa66bb55").toString("base64")}`);
    expect(redactText("password cp-77aa66bb55 rejected")).toBe("password [REDACTED] rejected");
  });

  it("redacts JSON secret fields and known token shapes", () => {
    expect(redactText('{"access_token":"eyJabc.def","n":1}')).toBe('{"access_token":"[REDACTED]","n":1}');
    expect(redactText("pat dapi0123456789abcdef0123456789abcdef here")).toBe("pat [REDACTED] here");
    expect(redactText("gh ghp_ABCDEFGHIJKLMNOPQRSTUVWX123")).toBe("gh [REDACTED]");
  });

  it("redacts registered secrets of any shape, also percent-encoded", () => {
    registerSecret("odd secret/with+chars");
    expect(redactText("x odd secret/with+chars y")).toBe("x [REDACTED] y");
    expect(redactText(`q=${encodeURIComponent("odd secret/with+chars")}`)).toBe("q=[REDACTED]");
  });

  it("redacts secret headers", () => {
    expect(redactHeaders({ Authorization: "Bearer x", "content-type": "a/b", cookie: "c" })).toEqual({
      Authorization: "[REDACTED]",
      "content-type": "a/b",
      cookie: "[REDACTED]",
    });
    expect(redactHeaders({ "X-Auth-Token": "t", "private-token": "p", accept: "a" })).toEqual({
      "X-Auth-Token": "[REDACTED]",
      "private-token": "[REDACTED]",
      accept: "a",
    });
  });
});
