/** What the transport passes to a credential provider on each request attempt. */
export interface AuthRequestContext {
  /** Aborts a token fetch together with the request that needs it. */
  signal?: AbortSignal | undefined;
  /** True after the service answered 401 with the previous headers: discard any cached token. */
  forceRefresh?: boolean | undefined;
}

/**
 * Supplies authentication headers for requests. Implementations cache and refresh tokens
 * themselves; the HTTP transport calls `getAuthHeaders` before every attempt and once more with
 * `forceRefresh` after a 401. Implementations register every secret they hold with
 * `registerSecret()` so it is redacted everywhere.
 */
export interface CredentialProvider {
  /** Short name of the method, used in messages: `bearer`, `basic`, `oauth-m2m`, `azure-client-secret`, ... */
  readonly kind: string;
  /** Headers to add to the request, usually `{ authorization: "..." }`. */
  getAuthHeaders(context?: AuthRequestContext): Promise<Record<string, string>>;
  /** Releases what the provider holds (e.g. the connection pool of its token client), if anything. */
  close?(): Promise<void>;
}
