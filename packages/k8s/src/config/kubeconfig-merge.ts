import type { KubeconfigFile, Sourced } from "./kubeconfig-files.js";
import type {
  KubeconfigClusterEntry,
  KubeconfigContextEntry,
  KubeconfigUserEntry,
} from "./kubeconfig-schema.js";

/** Several kubeconfig files merged as kubectl merges them. */
export interface MergedKubeconfig {
  readonly files: readonly string[];
  /** The first `current-context` set, and the file that set it. */
  readonly currentContext: { readonly name: string; readonly file: string } | undefined;
  readonly clusters: ReadonlyMap<string, Sourced<KubeconfigClusterEntry>>;
  readonly users: ReadonlyMap<string, Sourced<KubeconfigUserEntry>>;
  readonly contexts: ReadonlyMap<string, Sourced<KubeconfigContextEntry>>;
}

/**
 * Merges kubeconfig files in order with kubectl's rules: for each cluster, user and context name the
 * first file that defines it wins, whole (entries are never merged field by field); the first file
 * that sets `current-context` wins. Never throws.
 */
export function mergeKubeconfigs(files: readonly KubeconfigFile[]): MergedKubeconfig {
  const clusters = new Map<string, Sourced<KubeconfigClusterEntry>>();
  const users = new Map<string, Sourced<KubeconfigUserEntry>>();
  const contexts = new Map<string, Sourced<KubeconfigContextEntry>>();
  let currentContext: { name: string; file: string } | undefined;
  for (const file of files) {
    if (currentContext === undefined && file.currentContext !== undefined) {
      currentContext = { name: file.currentContext, file: file.path };
    }
    for (const c of file.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of file.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of file.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
  }
  return { files: files.map((f) => f.path), currentContext, clusters, users, contexts };
}
