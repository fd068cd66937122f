import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "@modeltrail/core";
import { formatIssuePath } from "@modeltrail/core/internal";
import { parseDocument } from "yaml";
import type { z } from "zod";
import {
  type KubeconfigClusterEntry,
  type KubeconfigContextEntry,
  type KubeconfigUserEntry,
  kubeconfigFileSchema,
} from "./kubeconfig-schema.js";

/** An entry of a kubeconfig file, with the file it came from. */
export interface Sourced<T> {
  readonly name: string;
  readonly value: T;
  readonly file: string;
}

/** One kubeconfig file, parsed and validated, with relative paths resolved against its directory. */
export interface KubeconfigFile {
  readonly path: string;
  readonly currentContext: string | undefined;
  readonly clusters: ReadonlyArray<Sourced<KubeconfigClusterEntry>>;
  readonly users: ReadonlyArray<Sourced<KubeconfigUserEntry>>;
  readonly contexts: ReadonlyArray<Sourced<KubeconfigContextEntry>>;
}

/** Largest kubeconfig file read (kubeconfigs are a few KiB; this bounds a wrong path such as a log file). */
const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Which kubeconfig files to read, as kubectl picks them: the explicit path when given (it must exist),
 * else the existing files listed in `KUBECONFIG` (separated by `:`, `;` on Windows; empty entries and
 * repeats dropped, missing files skipped), else `~/.kube/config` when it exists. Returns an empty list
 * when none exists. Throws ConfigError when an explicit file does not exist.
 */
export function kubeconfigPaths(
  options: {
    kubeconfig?: string | undefined;
    env?: Readonly<Record<string, string | undefined>>;
    homeDir?: string;
  } = {},
): string[] {
  if (options.kubeconfig !== undefined) {
    const file = resolve(options.kubeconfig);
    if (!existsSync(file)) {
      throw new ConfigError(`The kubeconfig file ${file} does not exist`, {
        hint: "Check the path given as kubeconfig",
      });
    }
    return [file];
  }
  const env = options.env ?? process.env;
  const list = env.KUBECONFIG;
  if (list !== undefined && list.trim() !== "") {
    const seen = new Set<string>();
    for (const entry of list.split(delimiter)) {
      if (entry.trim() === "") continue;
      const file = resolve(entry);
      if (!seen.has(file) && existsSync(file)) seen.add(file);
    }
    return [...seen];
  }
  const home = options.homeDir ?? env.HOME ?? homedir();
  const fallback = join(home, ".kube", "config");
  return existsSync(fallback) ? [fallback] : [];
}

/**
 * Reads one kubeconfig file: YAML (or JSON), validated field by field. Paths in it
 * (`certificate-authority`, `client-certificate`, `client-key`, `tokenFile`, and an exec `command`
 * containing a `/`) are resolved against the file's directory, as kubectl does. An empty file is
 * an empty configuration. Throws ConfigError naming the file (and the field, or the YAML line).
 */
export function readKubeconfigFile(path: string): KubeconfigFile {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_KUBECONFIG_BYTES) {
      throw new ConfigError(`The kubeconfig file ${path} is larger than 16 MiB`, {
        hint: "Check that KUBECONFIG points at kubeconfig files",
      });
    }
    text = buf.toString("utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`Cannot read the kubeconfig file ${path}: ${(err as Error).message}`, {
      cause: err,
      hint: "Check the file's path and permissions",
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0];
    throw new ConfigError(
      `The kubeconfig file ${path} is not valid YAML${line ? ` (line ${line.line}, column ${line.col})` : ""}: ${first?.code ?? "parse error"}`,
      { hint: "Fix the file, or check it with `kubectl config view`" },
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = kubeconfigFileSchema.safeParse(raw);
  if (!parsed.success) throw invalid(path, parsed.error);
  const data = parsed.data;
  if (data.kind !== undefined && data.kind !== "Config") {
    throw new ConfigError(`The kubeconfig file ${path} has kind "${data.kind}", not "Config"`, {
      hint: "Check that KUBECONFIG points at kubeconfig files",
    });
  }
  const dir = dirname(path);
  const abs = (p: string | undefined) => (p === undefined || p === "" || isAbsolute(p) ? p : resolve(dir, p));
  const entries = <T>(list: Array<Record<string, unknown>> | null | undefined, key: string): Sourced<T>[] =>
    (list ?? []).map((e) => ({ name: String(e.name), value: (e[key] ?? {}) as T, file: path }));

  const clusters = entries<KubeconfigClusterEntry>(data.clusters, "cluster").map((c) => ({
    ...c,
    value: { ...c.value, "certificate-authority": abs(c.value["certificate-authority"]) },
  }));
  const users = entries<KubeconfigUserEntry>(data.users, "user").map((u) => {
    const exec = u.value.exec;
    const command = exec?.command;
    return {
      ...u,
      value: {
        ...u.value,
        "client-certificate": abs(u.value["client-certificate"]),
        "client-key": abs(u.value["client-key"]),
        tokenFile: abs(u.value.tokenFile),
        ...(exec
          ? {
              exec: {
                ...exec,
                command: command?.includes("/") ? abs(command) : command,
              },
            }
          : {}),
      },
    };
  });
  return {
    path,
    currentContext: data["current-context"] || undefined,
    clusters,
    users,
    contexts: entries<KubeconfigContextEntry>(data.contexts, "context"),
  };
}

function invalid(path: string, error: z.ZodError): ConfigError {
  const issues = error.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
  return new ConfigError(`The kubeconfig file ${path} is invalid:\n  - ${issues.join("\n  - ")}`, {
    hint: "Fix the fields listed, or check the file with `kubectl config view`",
  });
}
