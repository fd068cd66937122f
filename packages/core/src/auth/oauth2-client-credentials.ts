import type { Dispatcher } from "undici";
import { z } from "zod";
import { AbortError } from "../errors/abort-error.js";
import { type ApiErrorKind, createApiError } from "../errors/api-error.js";
import { ConfigError } from "../errors/config-error.js";
import { HttpClient } from "../http/http-client.js";
import type { ErrorResponseInfo, HttpClientOptions, RetryOptions } from "../http/types.js";
import { registerSecret } from "../redact.js";
import type { AuthRequestContext, CredentialProvider } from "./credential-provider.js";

/** An access token obtained from a token endpoint. */
export interface AccessToken {
  /** The token value (registered for redaction). */
  token: string;
  /** The token type the server reported (`Bearer`). */
  tokenType: string;
  /** When it expires, in ms since the epoch by the provider's clock; undefined when the server did not say. */
  expiresAt: number | undefined;
  /** When it was obtained, in ms since the epoch by the provider's clock. */
  obtainedAt: number;
}

/** Options of `oauth2ClientCredentials`. */
export interface OAuth2ClientCredentialsOptions {
  /**
   * The token endpoint, or a function that finds it (called once, on the first token request; used
   * for OIDC discovery).
   */
  tokenUrl: string | URL | ((signal?: AbortSignal) => Promise<string | URL>);
  /** The client id. */
  clientId: string;
  /** The client secret (registered for redaction). */
  clientSecret: string;
  /** Space-separated scopes to request. */
  scope?: string | undefined;
  /** The `audience` parameter some servers (Auth0, Okta...) need. */
  audience?: string | undefined;
  /** Further form parameters of the token request. */
  extraParams?: Record<string, string> | undefined;
  /**
   * How the client authenticates to the token endpoint: `basic` sends `Authorization: Basic
   * base64(id:secret)` (RFC 6749 2.3.1, the default), `body` sends `client_id`/`client_secret` as
   * form fields (what Microsoft Entra ID documents).
   */
  clientAuth?: "body" | "basic";
  /** undici dispatcher for the token requests (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
  /** Clock in ms since the epoch (default `Date.now`); tests inject one to move time. */
  clock?: (() => number) | undefined;
  /** The provider's `kind` (default `oauth-client-credentials`). */
  kind?: string | undefined;
  /** Service name used in errors (default `oauth`). */
  service?: string | undefined;
  /** Per-attempt timeout of a token request in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** Retry policy of token requests (retried on 408/429/5xx and resets: token POSTs are safe to repeat). */
  retry?: Partial<RetryOptions> | undefined;
  /**
   * Ms before expiry at which a cached token is replaced, given the token's lifetime in ms.
   * Default: 10% of the lifetime but at least 60 s, and never more than half the lifetime.
   */
  refreshWindowMs?: ((lifetimeMs: number) => number) | undefined;
}

/** A credential provider for the OAuth 2.0 client credentials grant, with token caching. */
export interface OAuth2ClientCredentialsProvider extends CredentialProvider {
  /** Returns a valid access token, fetching one when the cache is empty, expiring or `forceRefresh` is set. */
  getToken(context?: AuthRequestContext): Promise<AccessToken>;
  /** Drops the cached token; the next call fetches a new one. */
  clearCache(): void;
  /** Closes the connections of the token client. */
  close(): Promise<void>;
}

/** The RFC 6749 section 5.1 response. `expires_in` is a string in Azure AD v1 answers, so both are accepted. */
const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/)]).optional(),
});

/** The RFC 6749 section 5.2 error body. */
const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  trace_id: z.string().optional(),
  correlation_id: z.string().optional(),
});

/** Default refresh window: 10% of the lifetime, at least 60 s, at most half the lifetime. */
export function defaultRefreshWindowMs(lifetimeMs: number): number {
  return Math.min(Math.max(60_000, lifetimeMs * 0.1), lifetimeMs / 2);
}

/** OAuth error codes (RFC 6749 5.2) that mean the client's credentials are not accepted. */
const UNAUTHORIZED_CODES = new Set(["invalid_client", "unauthorized_client", "invalid_grant"]);

/**
 * A credential provider that obtains access tokens with the OAuth 2.0 client credentials grant
 * (RFC 6749 section 4.4) and sends them as `Authorization: Bearer`.
 *
 * - Tokens are cached and replaced shortly before they expire (see `refreshWindowMs`); when a
 *   refresh fails while the cached token is still valid, the cached token is used.
 * - Concurrent callers share one token request.
 * - `forceRefresh` (sent by the transport after a 401) discards the cached token.
 * - The client secret, the Basic credentials and every fetched token are registered for redaction.
 *
 * `getAuthHeaders`/`getToken` throw `UnauthorizedError` when the endpoint rejects the client
 * (`invalid_client`, `unauthorized_client`, `invalid_grant` or HTTP 401), another `ApiError` for other
 * error answers (with the OAuth `error` as `serviceCode`), `ValidationError` for a malformed token
 * response, `NetworkError`/`TimeoutError`, and `AbortError` when the caller's signal aborts.
 *
 * @throws ConfigError (synchronously) when the client id or secret is empty.
 */
export function oauth2ClientCredentials(
  options: OAuth2ClientCredentialsOptions,
): OAuth2ClientCredentialsProvider {
  const kind = options.kind ?? "oauth-client-credentials";
  const service = options.service ?? "oauth";
  if (!options.clientId) throw new ConfigError(`${kind}: the client id is empty`);
  if (!options.clientSecret) throw new ConfigError(`${kind}: the client secret is empty`);
  registerSecret(options.clientSecret);
  const clientAuth = options.clientAuth ?? "basic";
  const basic =
    clientAuth === "basic"
      ? Buffer.from(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`, "utf8").toString(
          "base64",
        )
      : undefined;
  registerSecret(basic);
  const clock = options.clock ?? Date.now;
  const refreshWindow = options.refreshWindowMs ?? defaultRefreshWindowMs;

  let cached: AccessToken | undefined;
  let inflight: Promise<AccessToken> | undefined;
  let endpoint: Promise<URL> | undefined;
  let http: HttpClient | undefined;

  function resolveEndpoint(): Promise<URL> {
    if (!endpoint) {
      const source = options.tokenUrl;
      endpoint = (async () => {
        const raw = typeof source === "function" ? await source() : source;
        try {
          return new URL(String(raw));
        } catch {
          throw new ConfigError(`${kind}: the token endpoint "${String(raw)}" is not a valid URL`);
        }
      })();
      // A failed discovery is retried by the next caller rather than cached forever.
      endpoint.catch(() => {
        endpoint = undefined;
      });
    }
    return endpoint;
  }

  function client(url: URL): HttpClient {
    if (!http) {
      http = new HttpClient({
        baseUrl: url.origin,
        service,
        dispatcher: options.dispatcher,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        mapError: mapTokenError,
      });
    }
    return http;
  }

  function mapTokenError(info: ErrorResponseInfo): ReturnType<NonNullable<HttpClientOptions["mapError"]>> {
    if (info.status >= 500 || info.status === 429 || info.status === 408) return undefined;
    const parsed = tokenErrorSchema.safeParse(info.bodyJson);
    const code = parsed.success ? parsed.data.error : undefined;
    const kindOfError: ApiErrorKind =
      info.status === 401 || (code !== undefined && UNAUTHORIZED_CODES.has(code))
        ? "unauthorized"
        : info.status === 403
          ? "forbidden"
          : info.status === 400
            ? "bad-request"
            : "other";
    const error = createApiError(
      {
        service,
        status: info.status,
        method: info.method,
        url: info.url,
        serviceCode: code,
        serviceMessage: parsed.success ? parsed.data.error_description : undefined,
        requestId: info.requestId ?? (parsed.success ? parsed.data.trace_id : undefined),
        hint:
          kindOfError === "unauthorized"
            ? `The token endpoint rejected client "${options.clientId}": check the client id and secret and that they have not expired`
            : `The token endpoint refused the request: check the scope and the client's permissions`,
      },
      kindOfError,
    );
    return { error, retryable: false };
  }

  async function fetchToken(): Promise<AccessToken> {
    const url = await resolveEndpoint();
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (clientAuth === "body") {
      form.set("client_id", options.clientId);
      form.set("client_secret", options.clientSecret);
    }
    if (options.scope) form.set("scope", options.scope);
    if (options.audience) form.set("audience", options.audience);
    for (const [k, v] of Object.entries(options.extraParams ?? {})) form.set(k, v);
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (basic) headers.authorization = `Basic ${basic}`;
    const requestedAt = clock();
    const body = await client(url).json({
      method: "POST",
      path: url.href,
      headers,
      body: form.toString(),
      retrySafe: true,
      schema: tokenResponseSchema,
    });
    registerSecret(body.access_token);
    const expiresIn = body.expires_in === undefined ? undefined : Number(body.expires_in);
    return {
      token: body.access_token,
      tokenType: body.token_type ?? "Bearer",
      expiresAt: expiresIn === undefined ? undefined : requestedAt + expiresIn * 1000,
      obtainedAt: requestedAt,
    };
  }

  function needsRefresh(token: AccessToken, now: number): boolean {
    if (token.expiresAt === undefined) return false;
    const lifetime = token.expiresAt - token.obtainedAt;
    return now >= token.expiresAt - refreshWindow(lifetime);
  }

  function shared(): Promise<AccessToken> {
    if (!inflight) {
      const previous = cached;
      inflight = fetchToken()
        .then(
          (token) => {
            cached = token;
            return token;
          },
          (error: unknown) => {
            // Keep serving a token that is still valid when its early refresh fails.
            if (
              previous &&
              previous === cached &&
              previous.expiresAt !== undefined &&
              clock() < previous.expiresAt
            )
              return previous;
            throw error;
          },
        )
        .finally(() => {
          inflight = undefined;
        });
    }
    return inflight;
  }

  async function getToken(context: AuthRequestContext = {}): Promise<AccessToken> {
    const { signal, forceRefresh } = context;
    if (signal?.aborted) throw new AbortError("The token request was aborted");
    if (forceRefresh) cached = undefined;
    if (cached && !needsRefresh(cached, clock())) return cached;
    return raceAbort(shared(), signal);
  }

  return {
    kind,
    getToken,
    async getAuthHeaders(context?: AuthRequestContext) {
      const token = await getToken(context);
      return { authorization: `Bearer ${token.token}` };
    },
    clearCache() {
      cached = undefined;
    },
    async close() {
      const h = http;
      http = undefined;
      await h?.close();
    },
  };
}

/** Lets one caller stop waiting for a shared token request without cancelling it for the others. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError("The token request was aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** `application/x-www-form-urlencoded` encoding of one value (RFC 6749 appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams([["v", value]]).toString().slice(2);
}
