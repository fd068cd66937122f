import type { CallOptions } from "@modeltrail/core";
import type { ArtifactCredential } from "./artifact-credentials.js";
import type { CredentialMode, DatabricksArtifactResource } from "./artifact-resources.js";

/** Options of a CredentialPool. */
export interface CredentialPoolOptions {
  /** Paths whose credentials one request asks for (default 100; MLflow asks per file to read, 50 to write). */
  batchSize?: number;
  /** A credential this close to its expiry (ms) is not used for a new file (default 60 000). */
  marginMs?: number;
  /** Clock (ms since the epoch); injectable for tests. */
  now?: () => number;
}

/**
 * The signed URIs of one transfer. Files ask for their credential just before they start; the pool
 * fetches credentials in batches for the files about to start (in the transfer's order), shares
 * one request among files that ask at the same time, and does not hand out a credential that has
 * expired or is about to: the remaining files then get fresh ones. After the store refused a
 * credential (401/403), `refresh` fetches a new one for that file and the files not started yet.
 */
export class CredentialPool {
  private readonly cache = new Map<string, ArtifactCredential>();
  private readonly inflight = new Map<string, Promise<ArtifactCredential[]>>();
  private readonly started = new Set<string>();
  private readonly batchSize: number;
  private readonly marginMs: number;
  private readonly now: () => number;
  /** Credential requests made so far (for diagnostics and tests). */
  requests = 0;

  constructor(
    private readonly resource: DatabricksArtifactResource,
    private readonly mode: CredentialMode,
    private readonly order: readonly string[],
    private readonly callOptions: CallOptions,
    options: CredentialPoolOptions = {},
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? 100);
    this.marginMs = options.marginMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A credential for `path` that is not about to expire. Throws what the workspace throws. */
  async get(path: string): Promise<ArtifactCredential> {
    this.started.add(path);
    const cached = this.cache.get(path);
    if (cached && this.fresh(cached)) return cached;
    const pending = this.inflight.get(path);
    if (pending) {
      const got = (await pending).find((c) => c.path === path);
      if (got && this.fresh(got)) return got;
    }
    return this.fetch(path);
  }

  /** A new credential for `path` after the store refused the old one (and for the files to come). */
  refresh(path: string): Promise<ArtifactCredential> {
    this.resource.invalidate?.();
    const old = this.cache.get(path);
    // drop every cached credential issued with the refused one: they expire together
    for (const [p, c] of this.cache)
      if (old === undefined || c.expiresAt === old.expiresAt) this.cache.delete(p);
    return this.fetch(path);
  }

  private fresh(c: ArtifactCredential): boolean {
    return c.expiresAt === undefined || c.expiresAt - this.marginMs > this.now();
  }

  private async fetch(path: string): Promise<ArtifactCredential> {
    const batch = [path];
    for (const p of this.order) {
      if (batch.length >= this.batchSize) break;
      if (p === path || this.started.has(p) || this.inflight.has(p)) continue;
      const c = this.cache.get(p);
      if (c && this.fresh(c)) continue;
      batch.push(p);
    }
    this.requests++;
    const request = this.resource.credentials(this.mode, batch, this.callOptions);
    for (const p of batch) this.inflight.set(p, request);
    try {
      const creds = await request;
      for (const c of creds) this.cache.set(c.path, c);
    } finally {
      for (const p of batch) if (this.inflight.get(p) === request) this.inflight.delete(p);
    }
    const got = this.cache.get(path);
    if (!got) throw new Error(`no credential for ${path}`); // collectCredentials guarantees one
    return got;
  }
}
