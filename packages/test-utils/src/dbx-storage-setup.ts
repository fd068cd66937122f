import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { DBX_VENV, type EmulatorServer, startAzurite, startMotoServer } from "./storage-emulators.js";

declare module "vitest" {
  interface ProvidedContext {
    /** Azurite blob service URL (`http://127.0.0.1:PORT/devstoreaccount1`). */
    azuriteUrl: string;
    /** moto server URL (S3 emulator). */
    motoUrl: string;
    /** Python with MLflow and boto3 for cross-checks ("" when absent). */
    dbxPython: string;
  }
}

/**
 * Global setup of the "dbx-storage-int" project: starts Azurite and moto on 127.0.0.1 free ports and
 * provides their URLs (`inject("azuriteUrl")`, `inject("motoUrl")`); teardown stops both.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await Promise.allSettled([startAzurite(), startMotoServer()]);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [azurite, moto] = started.map((s) => (s as PromiseFulfilledResult<EmulatorServer>).value) as [
    EmulatorServer,
    EmulatorServer,
  ];
  project.provide("azuriteUrl", azurite.url);
  project.provide("motoUrl", moto.url);
  const python = join(DBX_VENV, "bin", "python");
  project.provide("dbxPython", existsSync(python) ? python : "");
  return async () => {
    await Promise.all([azurite.stop(), moto.stop()]);
  };
}
