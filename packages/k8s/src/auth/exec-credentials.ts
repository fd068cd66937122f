import { spawn } from "node:child_process";
import {
  AbortError,
  type AuthRequestContext,
  ConfigError,
  type ConfigErrorOptions,
  type CredentialProvider,
} from "@modeltrail/core";
import { redactText, registerSecret } from "@modeltrail/core/internal";
import type { KubeCluster, KubeExecConfig } from "../config/kube-config.js";

/** A credential plugin failed: it was not found, exited non-zero, or printed something unusable. */
export class ExecPluginError extends ConfigError {
  /** The plugin command. */
  readonly command: string;
  /** Its exit code, when it exited. */
  readonly exitCode: number | undefined;
  constructor(
    message: string,
    command: string,
    exitCode: number | undefined,
    options: ConfigErrorOptions = {},
  ) {
    super(message, options);
    this.name = "ExecPluginError";
    this.command = command;
    this.exitCode = exitCode;
  }
}

/** Options of {@link execCredentials}. */
export interface ExecCredentialsOptions {
  /** Longest time a non-interactive plugin may run, in ms (default 60 000). */
  timeoutMs?: number;
  /** Refresh a credential this long before its `expirationTimestamp`, in ms (default 10 000). */
  expirySkewMs?: number;
  /** Clock (tests). */
  now?: () => number;
  /** Environment the plugin inherits (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Whether stdin is a terminal (default `process.stdin.isTTY`). */
  stdinIsTerminal?: boolean;
  /** Name of the kubeconfig user, for messages. */
  userName?: string;
}

const MAX_STDOUT = 1024 * 1024;
const MAX_STDERR = 16 * 1024;

/**
 * A client-go credential plugin (`users[].user.exec`, e.g. kubelogin for AKS), as a credential
 * provider: runs the command with its args and env plus `KUBERNETES_EXEC_INFO` (the ExecCredential
 * spec: `interactive`, and the cluster when `provideClusterInfo`), reads the ExecCredential it prints
 * (`client.authentication.k8s.io/v1` or `v1beta1`), caches the token until its `expirationTimestamp`
 * (for the client's lifetime when it has none) and runs the plugin again after a 401. Concurrent
 * requests share one run. Throws ExecPluginError (a ConfigError) naming the command and showing
 * its `installHint` when it is missing, with its exit code and stderr when it fails, and when its
 * output is not a usable ExecCredential; AbortError when the request is aborted.
 */
export function execCredentials(
  exec: KubeExecConfig,
  cluster: KubeCluster,
  options: ExecCredentialsOptions = {},
): CredentialProvider {
  const now = options.now ?? Date.now;
  const skew = options.expirySkewMs ?? 10_000;
  let cached: { token: string; expiresAt: number | undefined } | undefined;
  let pending: Promise<{ token: string; expiresAt: number | undefined }> | undefined;

  const valid = (c: typeof cached): c is NonNullable<typeof cached> =>
    c !== undefined && (c.expiresAt === undefined || now() < c.expiresAt - skew);

  return {
    kind: "exec",
    async getAuthHeaders(context?: AuthRequestContext) {
      if (context?.forceRefresh) cached = undefined;
      if (!valid(cached)) {
        pending ??= runPlugin(exec, cluster, options, context?.signal).finally(() => {
          pending = undefined;
        });
        cached = await pending;
      }
      return { authorization: `Bearer ${cached.token}` };
    },
  };
}

async function runPlugin(
  exec: KubeExecConfig,
  cluster: KubeCluster,
  options: ExecCredentialsOptions,
  signal: AbortSignal | undefined,
): Promise<{ token: string; expiresAt: number | undefined }> {
  const terminal = options.stdinIsTerminal ?? process.stdin.isTTY === true;
  const who = `the exec credential plugin "${exec.command}"${options.userName ? ` of kubeconfig user "${options.userName}"` : ""}`;
  if (exec.interactiveMode === "Always" && !terminal) {
    throw new ExecPluginError(
      `${who} needs an interactive terminal (interactiveMode: Always), but standard input is not a terminal`,
      exec.command,
      undefined,
      { hint: "Run it once in a terminal to log in, or configure the plugin for non-interactive use" },
    );
  }
  const interactive = exec.interactiveMode !== "Never" && terminal;
  const info = {
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    spec: { interactive, ...(exec.provideClusterInfo ? { cluster: clusterInfo(cluster, exec) } : {}) },
  };
  const baseEnv = options.env ?? process.env;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
  Object.assign(env, exec.env, { KUBERNETES_EXEC_INFO: JSON.stringify(info) });

  const timeoutMs = interactive ? undefined : (options.timeoutMs ?? 60_000);
  const { stdout, stderr, exitCode, spawnError, timedOut } = await new Promise<{
    stdout: string;
    stderr: string;
    exitCode: number | undefined;
    spawnError: NodeJS.ErrnoException | undefined;
    timedOut: boolean;
  }>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError(`Running ${who} was aborted`));
      return;
    }
    const child = spawn(exec.command, [...exec.args], {
      env,
      stdio: [interactive ? "inherit" : "ignore", "pipe", interactive ? "inherit" : "pipe"],
      // Its own process group (unless it talks to our terminal), so a kill also ends what it started.
      detached: !interactive,
    });
    const kill = () => {
      try {
        if (!interactive && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        // already gone
      }
    };
    const out: Buffer[] = [];
    let outSize = 0;
    let err = "";
    let tooBig = false;
    let timedOut = false;
    child.stdout?.on("data", (b: Buffer) => {
      outSize += b.length;
      if (outSize > MAX_STDOUT) {
        tooBig = true;
        kill();
      } else out.push(b);
    });
    child.stderr?.on("data", (b: Buffer) => {
      err = (err + b.toString("utf8")).slice(-MAX_STDERR);
    });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            kill();
          }, timeoutMs);
    const onAbort = () => kill();
    signal?.addEventListener("abort", onAbort, { once: true });
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted) {
        reject(new AbortError(`Running ${who} was aborted`));
        return;
      }
      if (tooBig) {
        reject(
          new ExecPluginError(`${who} printed more than 1 MiB on stdout`, exec.command, undefined, {
            hint: "Check that the command is a client-go credential plugin",
          }),
        );
        return;
      }
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: err,
        exitCode: code ?? undefined,
        spawnError,
        timedOut,
      });
    });
  });

  if (spawnError) {
    if (spawnError.code === "ENOENT") {
      throw new ExecPluginError(
        `${who} was not found (executable "${exec.command}" is not installed or not on PATH)`,
        exec.command,
        undefined,
        {
          hint: exec.installHint
            ? `It looks like you are trying to use a client-go credential plugin that is not installed. ${exec.installHint.trim()}`
            : "Install the plugin named by the kubeconfig's exec.command, or put it on PATH",
        },
      );
    }
    throw new ExecPluginError(`${who} could not be started: ${spawnError.message}`, exec.command, undefined, {
      cause: spawnError,
      hint: "Check that the command exists and is executable",
    });
  }
  const tail = redactText(stderr.trim()).slice(-2000);
  if (timedOut) {
    throw new ExecPluginError(`${who} did not finish within ${timeoutMs} ms`, exec.command, undefined, {
      hint: "Check that it does not wait for input (interactive login); run it in a terminal once",
    });
  }
  if (exitCode !== 0) {
    throw new ExecPluginError(
      `${who} failed with exit code ${exitCode}${tail ? `: ${tail}` : ""}`,
      exec.command,
      exitCode,
      { hint: "Run the plugin by hand to see why (an expired login, a missing environment variable, ...)" },
    );
  }
  return parseExecCredential(stdout, exec, who);
}

function clusterInfo(cluster: KubeCluster, exec: KubeExecConfig): Record<string, unknown> {
  return {
    server: cluster.server,
    ...(cluster.tlsServerName ? { "tls-server-name": cluster.tlsServerName } : {}),
    ...(cluster.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
    ...(cluster.ca ? { "certificate-authority-data": Buffer.from(cluster.ca).toString("base64") } : {}),
    ...(cluster.proxyUrl ? { "proxy-url": cluster.proxyUrl } : {}),
    ...(exec.clusterConfig !== undefined ? { config: exec.clusterConfig } : {}),
  };
}

/** Parses and checks the ExecCredential a plugin printed. */
function parseExecCredential(
  stdout: string,
  exec: KubeExecConfig,
  who: string,
): { token: string; expiresAt: number | undefined } {
  const bad = (what: string) =>
    new ExecPluginError(`${who} printed ${what}`, exec.command, 0, {
      hint: "Check that the command is a client-go credential plugin for this apiVersion",
    });
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw bad("something that is not JSON");
  }
  if (typeof doc !== "object" || doc === null) throw bad("JSON that is not an ExecCredential object");
  const { apiVersion, kind, status } = doc as { apiVersion?: unknown; kind?: unknown; status?: unknown };
  if (kind !== "ExecCredential") throw bad(`an object of kind "${String(kind)}", not ExecCredential`);
  if (apiVersion !== exec.apiVersion) {
    throw bad(
      `an ExecCredential of apiVersion "${String(apiVersion)}", but the kubeconfig asks for "${exec.apiVersion}"`,
    );
  }
  if (typeof status !== "object" || status === null) throw bad("an ExecCredential without status");
  const s = status as Record<string, unknown>;
  if (s.clientCertificateData !== undefined || s.clientKeyData !== undefined) {
    if (typeof s.clientKeyData === "string") registerSecret(s.clientKeyData.trim());
    if (typeof s.token !== "string" || s.token === "") {
      throw new ExecPluginError(
        `${who} returned a client certificate; modeltrail supports exec plugins that return a token`,
        exec.command,
        0,
        { hint: "Configure the plugin to issue a token, or put the certificate in the kubeconfig" },
      );
    }
  }
  if (typeof s.token !== "string" || s.token.trim() === "")
    throw bad("an ExecCredential without status.token");
  const token = s.token.trim();
  registerSecret(token);
  let expiresAt: number | undefined;
  if (s.expirationTimestamp !== undefined && s.expirationTimestamp !== null && s.expirationTimestamp !== "") {
    const t = typeof s.expirationTimestamp === "string" ? Date.parse(s.expirationTimestamp) : Number.NaN;
    if (Number.isNaN(t))
      throw bad(`an invalid status.expirationTimestamp "${String(s.expirationTimestamp)}"`);
    expiresAt = t;
  }
  return { token, expiresAt };
}
