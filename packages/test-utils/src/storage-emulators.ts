import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalProcess, waitUntilReady } from "./local-process.js";
import { freePort } from "./mlflow-server.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The virtualenv `scripts/install-dbx-storage.sh` creates: moto (S3 emulator), boto3 and MLflow. */
export const DBX_VENV = join(REPO_ROOT, ".tools", "dbx-venv");

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
/** The key of Azurite's development account (public, documented by Microsoft). */
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** A running emulator. */
export interface EmulatorServer {
  /** Base URL: `http://127.0.0.1:PORT/devstoreaccount1` for Azurite (blob service), `http://127.0.0.1:PORT` for moto. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts Azurite's blob service (npm `azurite`, Microsoft's Azure Storage emulator) on 127.0.0.1 and
 * a free port, in memory, without telemetry, and waits until it answers. Throws with the log tail
 * when it does not start.
 */
export async function startAzurite(timeoutMs = 60_000): Promise<EmulatorServer> {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve("azurite/package.json")), "dist", "src", "blob", "main.js");
  const dir = await mkdtemp(join(tmpdir(), "modeltrail-azurite-"));
  const port = await freePort();
  const proc = startLocalProcess(
    process.execPath,
    [
      bin,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--inMemoryPersistence",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--silent",
    ],
    { cwd: dir, logFile: join(dir, "azurite.log") },
  );
  const url = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady("azurite", proc, () => answers(`${url}?comp=list`), timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/**
 * Starts moto in server mode (an S3 emulator, from `.tools/dbx-venv`) on 127.0.0.1 and a free port
 * and waits until it answers. Throws when the virtualenv is missing (run
 * scripts/install-dbx-storage.sh) or the server does not start.
 */
export async function startMotoServer(timeoutMs = 90_000): Promise<EmulatorServer> {
  const bin = join(DBX_VENV, "bin", "moto_server");
  if (!existsSync(bin)) {
    throw new Error(`moto is not installed at ${DBX_VENV}: run scripts/install-dbx-storage.sh`);
  }
  const dir = await mkdtemp(join(tmpdir(), "modeltrail-moto-"));
  const port = await freePort();
  const proc = startLocalProcess(bin, ["-H", "127.0.0.1", "-p", String(port)], {
    cwd: dir,
    logFile: join(dir, "moto.log"),
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady("moto_server", proc, () => answers(`${url}/moto-api/`), timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}
