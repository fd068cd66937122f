import { describe, expect, it } from "vitest";
import { redactHeaders, redactText, redactUrl, registerSecret } from "../src/index.js";

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
  });
});
