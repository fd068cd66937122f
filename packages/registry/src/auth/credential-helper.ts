import { spawn } from "node:child_process";
import { AbortError, ConfigError, TimeoutError } from "@modeltrail/core";
import { redactedExcerpt, registerSecret } from "@modeltrail/core/internal";
import type { RegistryCredential } from "./registry-credentials.js";

/** Options of {@link runCredentialHelper}. */
export interface CredentialHelperOptions {
  /** Environment of the helper process (default `process.env`); its PATH finds the helper. */
  env?: Record<string, string | undefined> | undefined;
  /** Kills the helper after this many ms (default 30 000: keychain prompts can be slow). */
  timeoutMs?: number | undefined;
  /** Aborts the look-up (the helper is killed). */
  signal?: AbortSignal | undefined;
}

const MAX_OUTPUT = 1024 * 1024;
const NOT_FOUND = /credentials not found/i;

/**
 * Runs `docker-credential-<helper> get` (the Docker credential helper protocol): writes the server
 * URL to its stdin and reads `{"ServerURL","Username","Secret"}` from its stdout. A user name of
 * `<token>` means the secret is an identity token. Returns undefined when the helper says it has no
 * credentials for the server ("credentials not found").
 *
 * @throws ConfigError when the helper name is unsafe, the program is missing, it exits with an
 *   error or prints something that is not the expected JSON (the message never includes the
 *   secret); TimeoutError when it runs longer than `timeoutMs`; AbortError when aborted.
 */
export async function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: CredentialHelperOptions = {},
): Promise<RegistryCredential | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    throw new ConfigError(`Invalid Docker credential helper name "${helper}"`, {
      sources: ["credsStore", "credHelpers"].map((k) => `~/.docker/config.json ${k}`),
      hint: "A helper name is the suffix of a docker-credential-<name> program, such as desktop, pass or ecr-login",
    });
  }
  const program = `docker-credential-${helper}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (options.signal?.aborted) throw new AbortError(`The ${program} look-up was aborted`);

  const { code, stdout, stderr, failure } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
    failure?: "timeout" | "abort" | "spawn" | "overflow" | undefined;
  }>((resolve) => {
    const child = spawn(program, ["get"], {
      env: (options.env ?? process.env) as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failed: "timeout" | "abort" | "spawn" | "overflow" | undefined;
    const stop = (why: "timeout" | "abort" | "overflow") => {
      failed ??= why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => stop("timeout"), timeoutMs);
    const onAbort = () => stop("abort");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) stop("overflow");
      else into.push(chunk);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.stdin.on("error", () => {}); // a helper that exits without reading stdin
    let settled = false;
    const finish = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({
        code: exitCode,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        failure: failed,
      });
    };
    child.on("error", () => {
      if (child.pid === undefined) {
        failed ??= "spawn";
        finish(null);
      }
    });
    child.on("close", finish);
    child.stdin.end(serverUrl);
  });

  if (failure === "spawn") {
    throw new ConfigError(
      `The Docker credential helper ${program} could not be started (is it installed and on PATH?)`,
      {
        hint: `Install ${program}, or remove "${helper}" from credsStore/credHelpers in the Docker config`,
      },
    );
  }
  if (failure === "timeout") {
    throw new TimeoutError(
      `The Docker credential helper ${program} did not answer within ${timeoutMs} ms`,
      timeoutMs,
      {
        hint: "The helper may be waiting for a keychain prompt; unlock the keychain or raise helperTimeoutMs",
      },
    );
  }
  if (failure === "abort") throw new AbortError(`The ${program} look-up was aborted`);
  if (failure === "overflow")
    throw new ConfigError(`The Docker credential helper ${program} printed more than ${MAX_OUTPUT} bytes`);

  if (code !== 0) {
    if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return undefined;
    const said = redactedExcerpt(stderr.trim() || stdout.trim(), 300);
    throw new ConfigError(
      `The Docker credential helper ${program} failed for ${serverUrl} (exit code ${code})${said ? `: ${said}` : ""}`,
      {
        hint: `Run "echo ${serverUrl} | ${program} get" to see the problem, or log in again with docker login`,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new ConfigError(
      `The Docker credential helper ${program} printed something that is not JSON for ${serverUrl}`,
      {
        hint: "The helper does not speak the docker-credential-helpers protocol",
      },
    );
  }
  const { Username: username, Secret: secret } = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof secret !== "string" || secret === "") {
    throw new ConfigError(`The Docker credential helper ${program} returned no Secret for ${serverUrl}`);
  }
  registerSecret(secret);
  if (username === "<token>") return { kind: "identity-token", identityToken: secret };
  if (typeof username !== "string" || username === "") {
    throw new ConfigError(`The Docker credential helper ${program} returned no Username for ${serverUrl}`);
  }
  return { kind: "basic", username, password: secret };
}
