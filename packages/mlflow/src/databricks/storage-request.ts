import { type CallOptions, ForbiddenError, UnauthorizedError } from "@modeltrail/core";
import { pickCallOptions } from "@modeltrail/core/internal";
import type { ArtifactCredential } from "./artifact-credentials.js";

/** One file's credential: the current one, and a way to get a new one after the store refused it. */
export interface CredentialHandle {
  /** The credential to use now. */
  current(): Promise<ArtifactCredential>;
  /**
   * A new credential after `refused` was refused (401/403). Concurrent callers that saw the same
   * refused credential share one refresh.
   */
  refresh(refused: ArtifactCredential): Promise<ArtifactCredential>;
}

/** True when the store refused a signed URI (expired, revoked, or missing a permission). */
export function isCredentialRefused(err: unknown): boolean {
  return err instanceof ForbiddenError || err instanceof UnauthorizedError;
}

/**
 * Runs `step` with the current credential; when the store refuses it (401/403), gets a new one and
 * runs `step` once more, as MLflow's Databricks artifact repository does. A second refusal is
 * thrown as is.
 */
export async function withCredential<T>(
  handle: CredentialHandle,
  step: (credential: ArtifactCredential) => Promise<T>,
): Promise<T> {
  const credential = await handle.current();
  try {
    return await step(credential);
  } catch (err) {
    if (!isCredentialRefused(err)) throw err;
    return step(await handle.refresh(credential));
  }
}

/** `uri` with query parameters appended verbatim (a SAS or presigned query is left as it was signed). */
export function withQuery(uri: string, params: Record<string, string>): string {
  const extra = Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
  if (extra === "") return uri;
  const hash = uri.indexOf("#");
  const base = hash === -1 ? uri : uri.slice(0, hash);
  return `${base}${base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?"}${extra}`;
}

/** The credential's headers that `allowed` accepts (header names compared case-insensitively). */
export function pickHeaders(
  headers: Record<string, string>,
  allowed: (lowerName: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (allowed(name.toLowerCase())) out[name] = value;
  return out;
}

/**
 * The caller's per-call options for a request to cloud storage through a signed URI: all of them
 * (`timeoutMs`, `deadlineMs`, `retry`, `maxResponseBytes`) except `headers`, which are meant for the
 * workspace and would break the signature or leak through the URI. `signal` is left to the caller.
 */
export function storageCallOptions(call: CallOptions | undefined): CallOptions {
  const { headers: _workspaceOnly, signal: _own, ...rest } = pickCallOptions(call);
  return rest;
}
