import {
  type CallOptions,
  type DebugLogger,
  type RetryOptions,
  UnauthorizedError,
  ValidationError,
} from "@modeltrail/core";
import {
  HttpClient,
  type HttpResponse,
  type RequestOptions,
  registerSecret,
} from "@modeltrail/core/internal";
import type { Dispatcher } from "undici";
import type { RegistryCredentialSource } from "./auth/registry-credentials.js";
import { mergeScopes, RegistryTokenFlow } from "./auth/token-flow.js";
import { parseWwwAuthenticate } from "./auth/www-authenticate.js";
import { mapRegistryError, REGISTRY_SERVICE } from "./registry-errors.js";
import { registryBaseUrl } from "./registry-url.js";

/** Options shared by every registry host of a client. */
export interface RegistryTransportOptions {
  credentials: RegistryCredentialSource;
  plainHttp?: boolean | ((registry: string) => boolean) | undefined;
  dispatcher?: Dispatcher | undefined;
  timeoutMs?: number | undefined;
  retry?: Partial<RetryOptions> | undefined;
  logger?: DebugLogger | undefined;
  userAgent?: string | undefined;
  insecureTls?: boolean | undefined;
  ca?: string | Buffer | undefined;
  clock?: (() => number) | undefined;
}

/** One request to a registry: the transport's options plus the token scopes it needs. */
export interface RegistryRequest extends RequestOptions {
  /** Token scopes, e.g. `["repository:models/churn:pull"]`. */
  scopes: readonly string[];
  /** Follow 3xx redirects (blob downloads): credentials are dropped when the origin changes. */
  followRedirects?: boolean;
}

const REDIRECTS = [301, 302, 303, 307, 308];
const MAX_REDIRECTS = 5;

/**
 * The HTTP side of one registry host: the `/v2/` ping that learns how the registry authenticates,
 * authorization of every request (Basic or a bearer token for its scopes), one retry with fresh
 * credentials after a 401, and redirects that never carry credentials to another origin.
 */
export class RegistryTransport {
  /** The registry host (normalized). */
  readonly registry: string;
  /** The underlying HTTP client (base URL `https://<registry>` or `http://` for loopback). */
  readonly http: HttpClient;
  /** The registry's authorization state. */
  readonly auth: RegistryTokenFlow;
  /**
   * Whether the registry answers the referrers API (`/v2/<name>/referrers/<digest>`), as learnt from
   * its answers: `missing` after it answered 404 without a registry error (the route does not exist),
   * so later listings go straight to the fallback tag. Per registry host, for the client's lifetime.
   */
  referrersApi: "unknown" | "present" | "missing" = "unknown";
  private pinged: Promise<void> | undefined;
  private readonly credentialsKind: string;
  private readonly credentials: RegistryCredentialSource;

  constructor(registry: string, options: RegistryTransportOptions) {
    this.registry = registry;
    this.credentialsKind = options.credentials.kind;
    this.credentials = options.credentials;
    this.http = new HttpClient({
      baseUrl: registryBaseUrl(registry, options.plainHttp),
      service: REGISTRY_SERVICE,
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      logger: options.logger,
      userAgent: options.userAgent,
      insecureTls: options.insecureTls,
      ca: options.ca,
      mapError: mapRegistryError,
    });
    this.auth = new RegistryTokenFlow({
      registry,
      credentials: options.credentials,
      http: this.http,
      clock: options.clock,
    });
  }

  /** Asks `GET /v2/` once to learn whether and how the registry wants authorization. */
  ping(options: CallOptions = {}): Promise<void> {
    if (!this.pinged) {
      this.pinged = (async () => {
        const res = await this.http.request({
          ...options,
          method: "GET",
          path: "/v2/",
          okStatuses: [401, 404],
        });
        await res.dump();
        if (res.status === 404) {
          throw new ValidationError(
            `${this.http.baseUrl.origin} does not serve the OCI distribution API (GET /v2/ answered 404)`,
            {
              hint: "Check the registry host and port",
            },
          );
        }
        if (res.status === 401) this.auth.setChallenge(parseWwwAuthenticate(res.headers["www-authenticate"]));
      })();
      this.pinged.catch(() => {
        this.pinged = undefined;
      });
    }
    return this.pinged;
  }

  /**
   * Sends an authorized request. On a 401 the challenge is read, the token for the request's scopes
   * (plus any scope the challenge names) is fetched afresh and the request is sent once more.
   * Throws UnauthorizedError when the registry still refuses, or when the body is a stream that
   * cannot be sent twice; plus everything `HttpClient.request` throws.
   */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    await this.ping(req);
    const callerOk = req.okStatuses ?? [];
    let scopes = [...req.scopes];
    // An absolute URL on another origin (an upload location some registries hand out) gets no credentials.
    const crossOrigin =
      /^https?:\/\//i.test(req.path) && new URL(req.path).origin !== this.http.baseUrl.origin;
    const okStatuses = [
      ...callerOk,
      ...(crossOrigin ? [] : [401]),
      ...(req.followRedirects ? REDIRECTS : []),
    ];
    for (let attempt = 0; ; attempt++) {
      const auth = crossOrigin
        ? {}
        : await this.auth.headers(scopes, { signal: req.signal, forceRefresh: attempt > 0 });
      const res = await this.http.request({ ...req, headers: { ...req.headers, ...auth }, okStatuses });
      if (res.status === 401 && !callerOk.includes(401) && !crossOrigin) {
        await res.dump();
        const challenges = parseWwwAuthenticate(res.headers["www-authenticate"]);
        const replayable =
          req.body === undefined || typeof req.body !== "object" || req.body instanceof Uint8Array;
        if (attempt > 0 || !replayable) {
          const anonymous = await this.credentials.credentialsFor(this.registry, { signal: req.signal }).then(
            (c) => c === undefined,
            () => false,
          );
          throw new UnauthorizedError({
            service: REGISTRY_SERVICE,
            status: 401,
            method: req.method ?? "GET",
            url: res.url,
            serviceCode: challenges[0]?.params.error,
            serviceMessage: challenges[0]?.params.error_description,
            hint: anonymous
              ? `Registry ${this.registry} needs credentials and none were found (from ${this.credentialsKind}): run docker login ${this.registry}, or pass credentials`
              : `Registry ${this.registry} refused the request even with fresh credentials (from ${this.credentialsKind}): log in again, or check that the identity may access this repository`,
          });
        }
        if (challenges.length > 0) this.auth.setChallenge(challenges);
        const bearer = challenges.find((c) => c.scheme === "bearer");
        scopes = mergeScopes(scopes, bearer?.params.scope);
        this.auth.invalidate(scopes);
        continue;
      }
      if (req.followRedirects && REDIRECTS.includes(res.status)) return this.follow(res, req, auth);
      return res;
    }
  }

  private async follow(
    first: HttpResponse,
    req: RegistryRequest,
    auth: Record<string, string>,
  ): Promise<HttpResponse> {
    let res = first;
    const origin = new URL(res.url).origin;
    for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
      const location = res.headers.location;
      await res.dump();
      if (!location) {
        throw new ValidationError(
          `${this.registry} answered ${res.status} without a Location header (${new URL(res.url).pathname})`,
        );
      }
      const target = new URL(location, res.url);
      if (target.protocol !== "https:" && target.protocol !== "http:") {
        throw new ValidationError(`${this.registry} redirected to a ${target.protocol} URL`);
      }
      const sameOrigin = target.origin === origin;
      if (!sameOrigin) {
        // Pre-signed storage URLs carry their credentials in the query: keep them out of messages.
        for (const value of target.searchParams.values()) if (value.length >= 16) registerSecret(value);
      }
      const headers = sameOrigin ? { ...req.headers, ...auth } : { ...req.headers };
      if (!sameOrigin) delete headers.authorization;
      res = await this.http.request({
        ...req,
        path: target.href,
        query: undefined,
        headers,
        okStatuses: [...(req.okStatuses ?? []), ...REDIRECTS],
      });
      if (!REDIRECTS.includes(res.status)) return res;
    }
    await res.dump();
    throw new ValidationError(
      `${this.registry} redirected more than ${MAX_REDIRECTS} times (${new URL(first.url).pathname})`,
    );
  }

  /** Closes the connection pool. */
  close(): Promise<void> {
    return this.http.close();
  }
}
