import { z } from "zod";

/**
 * The zod schemas of a kubeconfig file (`apiVersion: v1`, `kind: Config`), for the fields modeltrail
 * reads. Unknown fields (extensions, preferences, fields of newer releases) are kept and ignored, as
 * kubectl does; fields of the wrong type are errors that name their path.
 */

const str = z.string();

/** `clusters[].cluster`. */
export const kubeconfigClusterSchema = z.looseObject({
  server: str.optional(),
  "certificate-authority": str.optional(),
  "certificate-authority-data": str.optional(),
  "insecure-skip-tls-verify": z.boolean().optional(),
  "tls-server-name": str.optional(),
  "proxy-url": str.optional(),
  extensions: z.array(z.looseObject({ name: str, extension: z.unknown() })).optional(),
});

/** `users[].user.exec`: a client-go credential plugin. */
export const kubeconfigExecSchema = z.looseObject({
  command: str.optional(),
  args: z.array(str).nullish(),
  env: z.array(z.looseObject({ name: str, value: str })).nullish(),
  apiVersion: str.optional(),
  installHint: str.optional(),
  provideClusterInfo: z.boolean().optional(),
  interactiveMode: str.optional(),
});

/** `users[].user`. */
export const kubeconfigUserSchema = z.looseObject({
  "client-certificate": str.optional(),
  "client-certificate-data": str.optional(),
  "client-key": str.optional(),
  "client-key-data": str.optional(),
  token: str.optional(),
  tokenFile: str.optional(),
  username: str.optional(),
  password: str.optional(),
  as: str.optional(),
  "as-uid": str.optional(),
  "as-groups": z.array(str).nullish(),
  "as-user-extra": z.record(str, z.array(str)).nullish(),
  "auth-provider": z.looseObject({ name: str }).nullish(),
  exec: kubeconfigExecSchema.nullish(),
});

/** `contexts[].context`. */
export const kubeconfigContextSchema = z.looseObject({
  cluster: str.optional(),
  user: str.optional(),
  namespace: str.optional(),
});

const named = <T extends z.ZodType>(key: string, inner: T) =>
  z.array(z.looseObject({ name: str, [key]: inner.optional() })).nullish();

/** A whole kubeconfig file. */
export const kubeconfigFileSchema = z.looseObject({
  apiVersion: str.optional(),
  kind: str.optional(),
  "current-context": str.optional(),
  clusters: named("cluster", kubeconfigClusterSchema),
  users: named("user", kubeconfigUserSchema),
  contexts: named("context", kubeconfigContextSchema),
});

/** A cluster entry as written in a kubeconfig file. */
export type KubeconfigClusterEntry = z.output<typeof kubeconfigClusterSchema>;
/** A user entry as written in a kubeconfig file. */
export type KubeconfigUserEntry = z.output<typeof kubeconfigUserSchema>;
/** A context entry as written in a kubeconfig file. */
export type KubeconfigContextEntry = z.output<typeof kubeconfigContextSchema>;
/** An exec plugin entry as written in a kubeconfig file. */
export type KubeconfigExecEntry = z.output<typeof kubeconfigExecSchema>;
