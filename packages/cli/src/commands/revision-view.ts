import type { Revision } from "@modeltrail/k8s";

/** A revision as the CLI prints it (JSON and table). */
export interface RevisionView {
  revision: number;
  current: boolean;
  runId: string | undefined;
  runIdKind: string | undefined;
  gitSha: string | undefined;
  images: string[];
  changeCause: string | undefined;
  replicas: number;
  readyReplicas: number;
  createdAt: string | undefined;
  replicaSet: string;
}

/** The printable view of a k8s revision. */
export function revisionView(r: Revision): RevisionView {
  return {
    revision: r.revision,
    current: r.current,
    runId: r.runId?.runId,
    runIdKind: r.runId?.kind,
    gitSha: r.context?.code?.gitSha,
    images: r.images,
    changeCause: r.changeCause,
    replicas: r.replicas,
    readyReplicas: r.readyReplicas,
    createdAt: r.createdAt,
    replicaSet: r.replicaSet,
  };
}
