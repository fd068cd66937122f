import { ConfigError, UnauthorizedError, ValidationError } from "@modeltrail/core";
import { createApiError, type HttpClient, redactedExcerpt, registerSecret } from "@modeltrail/core/internal";
import { z } from "zod";
import { isLoopbackRegistry } from "../registry-url.js";
import type {
  RegistryCredential,
  RegistryCredentialContext,
  RegistryCredentialSource,
} from "./registry-credentials.js";
import type { AuthChallenge } from "./www-authenticate.js";

/** Lifetime assumed for a token whose response has no `expires_in` (the Docker token spec says 60 s). */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** The OAuth `client_id` sent with token requests. */
export const TOKEN_CLIENT_ID = "modeltrail";

const tokenResponse = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
    issued_at: z.string().optional(),
    refresh_token: z.string().optional(),
  })
  .refine((r) => r.token !== undefined || r.access_token !== undefined, "has neither token nor access_token");

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** Options of a {@link RegistryTokenFlow}. */
export interface RegistryTokenFlowOptions {
  /** The registry host (normalized) these tokens are for. */
  registry: string;
  /** Where this registry's credentials come from. */
  credentials: RegistryCredentialSource;
  /** The transport that sends the token requests. */
  http: HttpClient;
  /** Clock in ms since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
}

/**
 * The authorization of one registry host: Basic auth or the bearer token flow of the distribution
 * spec (ask the realm from the `WWW-Authenticate` challenge for a token scoped to repositories and
 * actions; anonymously, with Basic credentials, or trading an identity/refresh token with an OAuth2
 * POST). Tokens are cached per scope set until shortly before they expire. Credentials are asked
 * for this registry only, and sent to a token realm on another host only over https.
 */
export class RegistryTokenFlow {
  private challenge: AuthChallenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly options: RegistryTokenFlowOptions;
  private readonly clock: () => number;

  constructor(options: RegistryTokenFlowOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
  }

  /** Records the challenge of a 401 (or of the `/v2/` ping). Unknown schemes are kept and refused on use. */
  setChallenge(challenges: AuthChallenge[]): void {
    this.challenge =
      challenges.find((c) => c.scheme === "bearer") ??
      challenges.find((c) => c.scheme === "basic") ??
      challenges[0];
  }

  /** True once a challenge is known (a request needs authorization). */
  get needsAuth(): boolean {
    return this.challenge !== undefined;
  }

  /** Drops cached tokens of a scope set (after the registry answered 401 with them). */
  invalidate(scopes: readonly string[]): void {
    this.tokens.delete(scopeKey(scopes));
  }

  /**
   * The `authorization` header for a request needing `scopes` (e.g. `repository:models/churn:pull`),
   * or none when the registry asked for no auth. `forceRefresh` skips the cache and asks the
   * credential source afresh.
   */
  async headers(
    scopes: readonly string[],
    context: RegistryCredentialContext = {},
  ): Promise<Record<string, string>> {
    const challenge = this.challenge;
    if (!challenge) return {};
    if (challenge.scheme === "basic") {
      const credential = await this.credential(context);
      if (!credential) return {};
      if (credential.kind !== "basic") {
        throw new ConfigError(
          `Registry ${this.options.registry} asks for Basic auth, but its credentials are a ${credential.kind} (from ${this.options.credentials.kind})`,
          { hint: "Configure a user name and password for this registry" },
        );
      }
      const value = Buffer.from(`${credential.username}:${credential.password}`).toString("base64");
      registerSecret(value);
      return { authorization: `Basic ${value}` };
    }
    if (challenge.scheme !== "bearer") {
      throw new ConfigError(
        `Registry ${this.options.registry} asks for the unsupported auth scheme "${challenge.scheme}"`,
        {
          hint: "modeltrail speaks Basic auth and the bearer token flow of the distribution spec",
        },
      );
    }
    const token = await this.token(challenge, scopes, context);
    return { authorization: `Bearer ${token}` };
  }

  private async credential(context: RegistryCredentialContext): Promise<RegistryCredential | undefined> {
    return this.options.credentials.credentialsFor(this.options.registry, context);
  }

  private async token(
    challenge: AuthChallenge,
    scopes: readonly string[],
    context: RegistryCredentialContext,
  ): Promise<string> {
    const wanted = mergeScopes(scopes, undefined);
    const key = scopeKey(wanted);
    if (context.forceRefresh) this.tokens.delete(key);
    const cached = this.tokens.get(key);
    if (cached && this.clock() < cached.expiresAt) return cached.value;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(challenge, wanted, context).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(
    challenge: AuthChallenge,
    scopes: readonly string[],
    context: RegistryCredentialContext,
  ): Promise<string> {
    const { registry } = this.options;
    const realmText = challenge.params.realm;
    if (!realmText) {
      throw new ValidationError(`Registry ${registry} sent a Bearer challenge without a realm`, {
        hint: "The registry's token service is misconfigured",
      });
    }
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new ValidationError(
        `Registry ${registry} sent a token realm that is not a URL: "${redactedExcerpt(realmText, 200)}"`,
      );
    }
    if (realm.protocol !== "https:" && realm.protocol !== "http:") {
      throw new ValidationError(`Registry ${registry} sent a token realm with scheme ${realm.protocol}`);
    }
    const credential = await this.credential(context);
    if (credential?.kind === "registry-token") return credential.token;
    if (credential && !realmMayReceiveSecrets(realm, registry)) {
      // Never send a password or refresh token in clear text to another host.
      throw new ConfigError(
        `Registry ${registry} sends its token requests to ${realm.origin} over plain http; modeltrail does not send ${registry}'s credentials there`,
        { hint: "Use an https token realm (or one on the registry's own loopback host)" },
      );
    }
    const service = challenge.params.service;
    const requestedAt = this.clock();
    let body: z.infer<typeof tokenResponse>;
    if (credential?.kind === "identity-token") {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: credential.identityToken,
        client_id: TOKEN_CLIENT_ID,
      });
      if (service) form.set("service", service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      body = await this.tokenRequest(
        realm,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
          retrySafe: true,
        },
        context,
      );
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set("service", service);
      for (const s of scopes) url.searchParams.append("scope", s);
      const headers: Record<string, string> = {};
      if (credential?.kind === "basic") {
        const value = Buffer.from(`${credential.username}:${credential.password}`).toString("base64");
        registerSecret(value);
        headers.authorization = `Basic ${value}`;
        url.searchParams.set("account", credential.username);
      }
      url.searchParams.set("client_id", TOKEN_CLIENT_ID);
      body = await this.tokenRequest(url, { method: "GET", headers }, context);
    }
    const value = (body.token ?? body.access_token)!;
    registerSecret(value);
    if (body.refresh_token) registerSecret(body.refresh_token);
    const lifetimeS = body.expires_in ?? DEFAULT_TOKEN_LIFETIME_S;
    const issuedAt = body.issued_at ? Date.parse(body.issued_at) : Number.NaN;
    // Trust our own clock for the start unless the server's issued_at is close to it.
    const start =
      Number.isFinite(issuedAt) && Math.abs(issuedAt - requestedAt) < 60_000
        ? Math.min(issuedAt, requestedAt)
        : requestedAt;
    const margin = Math.min(10_000, (lifetimeS * 1000) / 10);
    this.tokens.set(scopeKey(scopes), { value, expiresAt: start + lifetimeS * 1000 - margin });
    return value;
  }

  private async tokenRequest(
    url: URL,
    init: { method: "GET" | "POST"; headers: Record<string, string>; body?: string; retrySafe?: boolean },
    context: RegistryCredentialContext,
  ): Promise<z.infer<typeof tokenResponse>> {
    const { registry } = this.options;
    const res = await this.options.http.request({
      method: init.method,
      path: url.href,
      headers: { accept: "application/json", ...init.headers },
      body: init.body,
      retrySafe: init.retrySafe,
      signal: context.signal,
      okStatuses: [401, 403],
    });
    const text = (await res.text()).slice(0, 1024 * 1024);
    if (res.status === 401 || res.status === 403) {
      throw createApiError({
        service: "oci-registry-auth",
        status: res.status,
        method: init.method,
        url: url.origin + url.pathname,
        serviceMessage: redactedExcerpt(text, 300),
        hint:
          res.status === 401
            ? `The token service of ${registry} rejected the credentials from ${this.options.credentials.kind}: log in again (docker login) or check the configured user, password or token`
            : `The credentials for ${registry} are valid but may not access the requested scope`,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ValidationError(
        `The token service of ${registry} (${url.origin}${url.pathname}) answered with something that is not JSON`,
      );
    }
    const parsed = tokenResponse.safeParse(json);
    if (!parsed.success)
      throw ValidationError.fromZod(`token response of ${url.origin}${url.pathname}`, parsed.error);
    return parsed.data;
  }
}

/** An https realm, or an http realm on the registry's own host, or any loopback realm for a loopback registry. */
function realmMayReceiveSecrets(realm: URL, registry: string): boolean {
  if (realm.protocol === "https:") return true;
  if (realm.host === registry) return true;
  return isLoopbackRegistry(registry) && isLoopbackRegistry(realm.host);
}

/** The scopes of a request plus any the challenge asked for, deduplicated and sorted. */
export function mergeScopes(scopes: readonly string[], challengeScope: string | undefined): string[] {
  const all = new Set(scopes);
  for (const s of (challengeScope ?? "").split(" ")) if (s) all.add(s);
  return [...all].sort();
}

function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(" ");
}

/** The scope of a repository action: `repository:models/churn:pull,push`. */
export function repositoryScope(
  repository: string,
  actions: "pull" | "push" | "delete" | "pull,push",
): string {
  return `repository:${repository}:${actions}`;
}

/** The 401 a registry answered even with fresh credentials: what to tell the user. */
export function unauthorizedAfterRefresh(
  registry: string,
  method: string,
  url: string,
  kind: string,
): UnauthorizedError {
  return new UnauthorizedError({
    service: "oci-registry",
    status: 401,
    method,
    url,
    hint: `Registry ${registry} refused the request even with fresh credentials (from ${kind}); log in again, or check that the identity may push/pull this repository`,
  });
}
