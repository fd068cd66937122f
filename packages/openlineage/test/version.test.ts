import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { DEFAULT_PRODUCER, VERSION } from "../src/index.js";

it("VERSION is package.json's version, and the producer URI names it", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  expect(VERSION).toBe(pkg.version);
  expect(DEFAULT_PRODUCER).toContain(`/v${pkg.version}/packages/openlineage`);
});
