/**
 * The built packages behave like the sources. Loads the dist of every published package with plain
 * Node, as ESM and as CJS (tsup's output, no vitest aliases), and checks that every export keeps its
 * name, and every error class its name, code and brand, exactly as in the sources. A build setting
 * that renames classes (esbuild did: `_ValidationError`, `_MlflowClient`) fails here.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { publishedEntries, REPO_ROOT } from "@modeltrail/test-utils";
import { beforeAll, describe, expect, it } from "vitest";
import { describeModule, type ModuleReport } from "../../../test-utils/src/module-report.mjs";

/** The sources of each published package, as the tests see them (vitest aliases to src/index.ts). */
const SOURCES: Record<string, () => Promise<Record<string, unknown>>> = {
  "@modeltrail/core": () => import("@modeltrail/core"),
  "@modeltrail/core/internal": () => import("@modeltrail/core/internal"),
  "@modeltrail/mlflow": () => import("@modeltrail/mlflow"),
  "@modeltrail/databricks": () => import("@modeltrail/databricks"),
  "@modeltrail/registry": () => import("@modeltrail/registry"),
  "@modeltrail/k8s": () => import("@modeltrail/k8s"),
  "@modeltrail/cli": () => import("@modeltrail/cli"),
  "@modeltrail/openlineage": () => import("@modeltrail/openlineage"),
  "@modeltrail/trace-html": () => import("@modeltrail/trace-html"),
};

/** The code of every core error class, written out once so that src and dist cannot drift together. */
const CORE_ERROR_CODES: Record<string, string> = {
  ModelTrailError: "CONFIG_ERROR", // the sample is built with this code
  ConfigError: "CONFIG_ERROR",
  ValidationError: "VALIDATION_ERROR",
  DeployRefusedError: "VALIDATION_ERROR",
  ApiError: "API_ERROR",
  BadRequestError: "BAD_REQUEST",
  UnauthorizedError: "UNAUTHORIZED",
  ForbiddenError: "FORBIDDEN",
  NotFoundError: "NOT_FOUND",
  ConflictError: "CONFLICT",
  RateLimitError: "RATE_LIMITED",
  ServerError: "SERVER_ERROR",
  TimeoutError: "TIMEOUT",
  AbortError: "ABORTED",
  NetworkError: "NETWORK_ERROR",
  ResponseTooLargeError: "RESPONSE_TOO_LARGE",
};

interface ProbeReport {
  node: string;
  packages: Record<string, { esm: ModuleReport; cjs: ModuleReport }>;
  crossBuild: { esmErrorSeenByCjs: boolean; cjsErrorSeenByEsm: boolean };
}

let probe: ProbeReport;
const core = await import("@modeltrail/core");

beforeAll(() => {
  const script = join(REPO_ROOT, "packages", "test-utils", "src", "dist-probe.mjs");
  probe = JSON.parse(
    execFileSync(process.execPath, [script, REPO_ROOT], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }),
  ) as ProbeReport;
});

describe("built packages (dist, ESM and CJS)", () => {
  it("covers every entry of every published package, each with a source entry to compare with", () => {
    const names = publishedEntries();
    expect(names).toContain("@modeltrail/core");
    expect(names).toContain("@modeltrail/core/internal");
    expect(Object.keys(probe.packages).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(SOURCES[name], `add ${name} to SOURCES in this file`).toBeDefined();
    }
  });

  for (const name of publishedEntries()) {
    describe(name, () => {
      let source: ModuleReport;
      beforeAll(async () => {
        const load = SOURCES[name];
        if (!load) throw new Error(`add ${name} to SOURCES`);
        source = describeModule(await load(), core);
      });

      for (const format of ["esm", "cjs"] as const) {
        it(`${format}: exports the same names as the sources, each function and class under its own name`, () => {
          const built = probe.packages[name]?.[format];
          expect(built).toBeDefined();
          expect(built?.exports).toEqual(source.exports);
          for (const [key, value] of Object.entries(built?.exports ?? {})) {
            if (value.type === "function") expect(value.name, `${name} export ${key}`).toBe(key);
          }
        });

        it(`${format}: every error class keeps its name, code and brand`, () => {
          const built = probe.packages[name]?.[format];
          expect(built?.errors).toEqual(source.errors);
          for (const [key, error] of Object.entries(built?.errors ?? {})) {
            expect(error.constructionFailed, key).toBeUndefined();
            const sample = error.sample;
            expect(error.chain[0]).toBe(key);
            expect(error.chain.at(-1)).toBe("Error");
            expect(error.chain).toContain("ModelTrailError");
            expect(sample?.name).toBe(key);
            expect(sample?.constructorName).toBe(key);
            expect(sample?.jsonName).toBe(key);
            expect(sample?.jsonCode).toBe(sample?.code);
            expect(sample?.isModelTrailError).toBe(true);
            expect(sample?.instanceOfModelTrailError).toBe(true);
            expect(sample?.stackHead.startsWith(`${key}: `)).toBe(true);
            expect(sample?.inspectHead.startsWith(`${key}: `)).toBe(true);
            expect(sample?.string.startsWith(`${key}: `)).toBe(true);
            if (name === "@modeltrail/core") {
              expect(CORE_ERROR_CODES[key], `add ${key} to CORE_ERROR_CODES`).toBeDefined();
              expect(sample?.code).toBe(CORE_ERROR_CODES[key]);
            }
          }
        });
      }
    });
  }

  it("core exports every error class of the hierarchy, under its name", () => {
    for (const format of ["esm", "cjs"] as const) {
      const errors = probe.packages["@modeltrail/core"]?.[format].errors ?? {};
      expect(Object.keys(errors).sort()).toEqual(Object.keys(CORE_ERROR_CODES).sort());
    }
  });

  it("the clients keep their class names", () => {
    for (const format of ["esm", "cjs"] as const) {
      expect(probe.packages["@modeltrail/mlflow"]?.[format].exports.MlflowClient).toEqual({
        type: "function",
        name: "MlflowClient",
      });
      expect(probe.packages["@modeltrail/databricks"]?.[format].exports.DatabricksClient).toEqual({
        type: "function",
        name: "DatabricksClient",
      });
      expect(probe.packages["@modeltrail/core/internal"]?.[format].exports.HttpClient).toEqual({
        type: "function",
        name: "HttpClient",
      });
    }
  });

  it("the ESM and CJS copies of core recognise each other's errors (isModelTrailError)", () => {
    expect(probe.crossBuild.esmErrorSeenByCjs).toBe(true);
    expect(probe.crossBuild.cjsErrorSeenByEsm).toBe(true);
  });
});
