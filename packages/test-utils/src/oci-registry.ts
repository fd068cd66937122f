import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./mlflow-server.js";

/** How a test registry authenticates. */
export type TestRegistryAuth =
  | { kind: "none" }
  | { kind: "htpasswd"; users: Record<string, string> }
  | { kind: "token"; realm: string; service: string; issuer: string; certFile: string };

/** A running distribution registry (`docker-registry serve`). */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The storage directory (`<dir>/docker/registry/v2/...`). */
  storageDir: string;
  /** Process id (leads its own process group). */
  pid: number | undefined;
  /** Stops the registry and deletes its storage. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines of its log. */
  logTail(lines?: number): string;
}

/** The registry binary `scripts/install-oci-tools.sh` installs (Debian's docker-registry, distribution 2.8). */
export const DOCKER_REGISTRY_BIN = process.env.MODELTRAIL_DOCKER_REGISTRY ?? "docker-registry";

/**
 * Starts Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1 and a free port, with
 * filesystem storage in a fresh temporary directory, deletes enabled, and the given auth: none,
 * htpasswd (bcrypt, written with `htpasswd -B`) or token (a realm such as
 * `startRegistryTokenServer` serves). Waits until `GET /v2/` answers.
 * Throws when the binary is missing ("run scripts/install-oci-tools.sh") or the registry does not
 * come up (the error includes its log tail).
 */
export async function startDistributionRegistry(
  auth: TestRegistryAuth = { kind: "none" },
  startTimeoutMs = 30_000,
): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "modeltrail-registry-"));
  const storageDir = join(dir, "storage");
  const logFile = join(dir, "registry.log");
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let authYaml = "";
  if (auth.kind === "htpasswd") {
    const file = join(dir, "htpasswd");
    const lines = Object.entries(auth.users).map(([user, password]) =>
      execFileSync("htpasswd", ["-nbB", user, password], { encoding: "utf8" }).trim(),
    );
    writeFileSync(file, `${lines.join("\n")}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: modeltrail-test\n    path: ${file}\n`;
  } else if (auth.kind === "token") {
    authYaml = `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.certFile}\n`;
  }
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${storageDir}`,
      "  delete:",
      "    enabled: true",
      "  maintenance:",
      "    uploadpurging:",
      "      enabled: false",
      "http:",
      `  addr: ${host}`,
      "  secret: modeltrail-test-upload-state-secret",
      "",
    ].join("\n") + authYaml,
  );
  const logFd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(DOCKER_REGISTRY_BIN, ["serve", config], {
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: { ...process.env, OTEL_TRACES_EXPORTER: "none" },
    });
  } finally {
    closeSync(logFd);
  }
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  child.on("error", (err) => {
    exited = `failed to start: ${err.message}`;
  });
  const tail = (lines = 40) => {
    try {
      return readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.pid !== undefined && exited === undefined) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // gone
        }
        for (let i = 0; i < 50 && exited === undefined; i++) await new Promise((r) => setTimeout(r, 100));
        if (exited === undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // gone
          }
        }
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited !== undefined) {
      const log = tail();
      await stop();
      const hint =
        !existsSync(DOCKER_REGISTRY_BIN) && exited.includes("ENOENT")
          ? " (run scripts/install-oci-tools.sh)"
          : "";
      throw new Error(`docker-registry ${exited}${hint}. Log tail:\n${log}`);
    }
    try {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) {
      const log = tail();
      await stop();
      throw new Error(
        `docker-registry did not answer on ${host} within ${startTimeoutMs} ms. Log tail:\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, url: `http://${host}`, storageDir, pid: child.pid, stop, logTail: tail };
}
