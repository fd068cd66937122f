import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "../src/index.js";
import { userAgent } from "../src/internal.js";

describe("VERSION", () => {
  it("matches package.json, so the user agent names the released version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
    expect(userAgent()).toContain(`modeltrail/${pkg.version} `);
  });
});
