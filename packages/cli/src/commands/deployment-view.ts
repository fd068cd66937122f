import type { CommandResult } from "../cli/cli-app.js";
import type { Output } from "../cli/output.js";
import { gateLine } from "./deploy-gate-options.js";
import type { DeployTargetName } from "./deploy-target-options.js";
import type { RevisionView } from "./revision-view.js";

/**
 * The human form of a deploy or rollback result, on either target: the deployment (marked
 * `(local)` on the local target), image, revision, run id and commit; then whether it rolled out
 * (Kubernetes) or where it serves (local), and the deploy gate's verdict when there is one.
 */
export function printDeployment(o: Output, data: Record<string, unknown>): void {
  const local = data.target === "local";
  o.keyValues([
    ["deployment", `${String(data.namespace)}/${String(data.name)}${local ? " (local)" : ""}`],
    ["image", data.image],
    ["revision", data.revision],
    ["run id", data.runId],
    ["commit", data.gitSha],
    local ? ["serving", data.url] : ["rolled out", data.rolledOut === true ? "yes" : "not waited for"],
    ["deploy gate", gateLine(data)],
  ]);
}

/** What a rollback goes back to, in words: `run ID`, `revision N`, or `the previous revision`. */
export function rollbackGoal(opts: { runId?: string | undefined; revision?: number | undefined }): string {
  if (opts.runId) return `run ${opts.runId}`;
  return opts.revision ? `revision ${opts.revision}` : "the previous revision";
}

/** The human form of a rollback: a note when nothing changed, then the deployment. */
export function printRollback(
  o: Output,
  data: Record<string, unknown>,
  method: string,
  runId: string | undefined,
): void {
  if (method === "none") o.print(`${runId ? `run ${runId}` : "it"} already serves; nothing changed`);
  printDeployment(o, data);
}

/**
 * The result of `history` on either target: the serving revision's ids at the top level (the
 * GitHub Action's outputs), every revision, and a table of them, oldest first. Kubernetes shows
 * ready/desired replicas; the local target, whether its one process runs.
 */
export function historyResult(
  base: { target: DeployTargetName; namespace: string | undefined; name: string } & Record<string, unknown>,
  revisions: RevisionView[],
): CommandResult {
  const current = revisions.find((r) => r.current);
  const local = base.target === "local";
  return {
    data: {
      ...base,
      revision: current?.revision,
      runId: current?.runId,
      gitSha: current?.gitSha,
      revisions,
    },
    print: (out) =>
      out.table(
        ["revision", "", "run id", "commit", local ? "running" : "ready", "image", "created"],
        revisions.map((r) => [
          r.revision,
          r.current ? "*" : "",
          r.runId,
          r.gitSha?.slice(0, 12),
          `${r.readyReplicas}/${local ? 1 : r.replicas}`,
          r.images.join(","),
          r.createdAt,
        ]),
      ),
  };
}
