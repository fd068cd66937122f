import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";

/** A temporary directory for kubeconfig fixtures; `cleanup()` removes it. */
export interface FixtureDir {
  dir: string;
  /** Writes a file (YAML for objects) under the directory and returns its absolute path. */
  write(relative: string, content: string | object, mode?: number): string;
  cleanup(): void;
}

/** Creates a temporary directory for kubeconfig fixtures. */
export function fixtureDir(prefix = "modeltrail-kubeconfig-"): FixtureDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(relative, content, mode) {
      const path = join(dir, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, typeof content === "string" ? content : stringify(content), mode ? { mode } : {});
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A one-cluster, one-user, one-context kubeconfig object. */
export function simpleKubeconfig(options: {
  server: string;
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  namespace?: string;
  name?: string;
}): object {
  const name = options.name ?? "test";
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": name,
    clusters: [{ name, cluster: { server: options.server, ...options.cluster } }],
    users: [{ name, user: options.user ?? {} }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: name,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
  };
}

/** base64 of a string. */
export const b64 = (s: string) => Buffer.from(s).toString("base64");
