import { stringify } from "yaml";
import type { KubeObject } from "../client/resource-kinds.js";

/**
 * Renders manifests as one YAML stream (`---` between documents), for users who apply with their
 * own tools (`kubectl apply --server-side -f -`, GitOps). Undefined entries are skipped. Never throws.
 */
export function toYaml(...objects: Array<KubeObject | undefined>): string {
  return objects
    .filter((o): o is KubeObject => o !== undefined)
    .map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join("");
}
