import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMlflowServer } from "@modeltrail/test-utils";
import { describe, expect, it } from "vitest";

describe("startMlflowServer (integration global setup)", () => {
  it("fails clearly when MLflow is not installed", async () => {
    const venv = join(mkdtempSync(join(tmpdir(), "mt-no-venv-")), "missing");
    await expect(startMlflowServer({ venv, externalUri: "" })).rejects.toThrow(
      "run scripts/install-mlflow.sh",
    );
  });

  it("reports a server that exits during start-up with the tail of its log", async () => {
    const venv = mkdtempSync(join(tmpdir(), "mt-fake-venv-"));
    mkdirSync(join(venv, "bin"));
    writeFileSync(join(venv, "bin", "mlflow"), "#!/bin/sh\necho boom-from-fake-mlflow >&2\nexit 3\n", {
      mode: 0o755,
    });
    await expect(startMlflowServer({ venv, externalUri: "", startTimeoutMs: 20_000 })).rejects.toThrow(
      /exited with code 3[\s\S]*boom-from-fake-mlflow/,
    );
  });

  it("uses an external server when one is given, starting nothing", async () => {
    const server = await startMlflowServer({ externalUri: "http://127.0.0.1:5999/" });
    expect(server.url).toBe("http://127.0.0.1:5999");
    expect(server.artifactsDir).toBe("");
    await server.stop();
  });
});
