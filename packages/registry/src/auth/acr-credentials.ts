import {
  azureCredentialFromEnv,
  ConfigError,
  type CredentialProvider,
  type RetryOptions,
} from "@modeltrail/core";
import { createApiError, HttpClient, redactedExcerpt, registerSecret } from "@modeltrail/core/internal";
import type { Dispatcher } from "undici";
import { z } from "zod";
import { normalizeRegistry } from "../reference.js";
import { registryBaseUrl } from "../registry-url.js";
import type {
  RegistryCredential,
  RegistryCredentialContext,
  RegistryCredentialSource,
} from "./registry-credentials.js";

/** The Azure AD scope of tokens that Azure Container Registry exchanges (public cloud). */
export const ACR_AAD_SCOPE = "https://containerregistry.azure.net/.default";

/** The user name ACR expects with a refresh token from `/oauth2/exchange` (as `az acr login` writes it). */
export const ACR_REFRESH_TOKEN_USER = "00000000-0000-0000-0000-000000000000";

/** Options of {@link acrCredentials}. */
export interface AcrCredentialsOptions {
  /** The registry host, e.g. `myacr.azurecr.io`. Credentials are only given to this host. */
  registry: string;
  /**
   * An Azure AD credential provider from @modeltrail/core (e.g. `azureClientSecretCredential` or
   * `azureCredentialFromEnv` with `scope: ACR_AAD_SCOPE`) whose bearer token is exchanged.
   */
  azureCredential: CredentialProvider;
  /** The tenant of the identity, sent with the exchange (optional; ACR infers it from the token). */
  tenantId?: string | undefined;
  /** Use plain http for the exchange (tests against a loopback fake; default: https except loopback). */
  plainHttp?: boolean | undefined;
  /** undici dispatcher for the exchange requests. */
  dispatcher?: Dispatcher | undefined;
  /** Per-attempt timeout of the exchange in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** Retry policy of the exchange (a POST that is safe to repeat). */
  retry?: Partial<RetryOptions> | undefined;
  /** Clock in ms since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
}

const exchangeResponse = z.object({ refresh_token: z.string().min(1) });

/**
 * Azure Container Registry with an Azure AD identity (service principal, managed identity, ...):
 * the identity's Azure AD access token is exchanged at `https://<registry>/oauth2/exchange` for an
 * ACR refresh token, which the registry client then trades at `/oauth2/token` for access tokens
 * scoped to a repository and action (the token flow every registry uses). The refresh token is
 * cached until it expires or the registry rejects it; then a fresh Azure AD token is exchanged.
 * Answers only for `options.registry`; other registries get no credentials from it.
 *
 * `credentialsFor` throws UnauthorizedError/ForbiddenError when ACR refuses the exchange (the
 * identity lacks the AcrPull/AcrPush role, or the registry has Azure AD auth disabled), plus what
 * the Azure credential provider throws.
 * @throws ConfigError when the registry is empty.
 */
export function acrCredentials(options: AcrCredentialsOptions): RegistryCredentialSource {
  if (!options.registry)
    throw new ConfigError("acrCredentials needs the registry host, e.g. myacr.azurecr.io");
  const registry = normalizeRegistry(options.registry);
  const clock = options.clock ?? Date.now;
  let cached: { token: string; expiresAt: number | undefined } | undefined;
  let inflight: Promise<string> | undefined;
  const http = new HttpClient({
    baseUrl: registryBaseUrl(registry, options.plainHttp),
    service: "acr",
    dispatcher: options.dispatcher,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    mapError: (info) => {
      if (info.status !== 401 && info.status !== 403) return undefined;
      return {
        retryable: false,
        error: createApiError({
          service: "acr",
          status: info.status,
          method: info.method,
          url: info.url,
          serviceMessage: redactedExcerpt(info.bodyText, 300),
          requestId: info.requestId,
          hint: `Azure Container Registry ${registry} refused the Azure AD token: give the identity the AcrPull or AcrPush role on the registry, and check that the token was issued for ${ACR_AAD_SCOPE}`,
        }),
      };
    },
  });

  async function exchange(context: RegistryCredentialContext): Promise<string> {
    const headers = await options.azureCredential.getAuthHeaders({
      signal: context.signal,
      forceRefresh: context.forceRefresh,
    });
    const aad = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1];
    if (!aad) {
      throw new ConfigError(
        `The Azure credential (${options.azureCredential.kind}) gave no bearer token to exchange at ${registry}`,
      );
    }
    registerSecret(aad);
    const form = new URLSearchParams({ grant_type: "access_token", service: registry, access_token: aad });
    if (options.tenantId) form.set("tenant", options.tenantId);
    const body = await http.json({
      method: "POST",
      path: "/oauth2/exchange",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      retrySafe: true,
      signal: context.signal,
      schema: exchangeResponse,
    });
    registerSecret(body.refresh_token);
    cached = { token: body.refresh_token, expiresAt: jwtExpiry(body.refresh_token) };
    return body.refresh_token;
  }

  return {
    kind: "acr",
    async credentialsFor(host, context = {}): Promise<RegistryCredential | undefined> {
      if (normalizeRegistry(host) !== registry) return undefined;
      if (context.forceRefresh) cached = undefined;
      const fresh = cached && (cached.expiresAt === undefined || clock() < cached.expiresAt - 5 * 60_000);
      let token: string;
      if (fresh && cached) token = cached.token;
      else {
        inflight ??= exchange(context).finally(() => {
          inflight = undefined;
        });
        token = await inflight;
      }
      return { kind: "identity-token", identityToken: token, username: ACR_REFRESH_TOKEN_USER };
    },
  };
}

/** Options of {@link acrCredentialsFromEnv}. */
export interface AcrCredentialsFromEnvOptions extends Omit<AcrCredentialsOptions, "azureCredential"> {
  /** Environment to read `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_TENANT_ID` from (default `process.env`). */
  env?: Record<string, string | undefined> | undefined;
  /** The Azure AD scope to request (default {@link ACR_AAD_SCOPE}). */
  scope?: string | undefined;
}

/**
 * {@link acrCredentials} with a service principal read from `AZURE_CLIENT_ID`,
 * `AZURE_CLIENT_SECRET`, `AZURE_TENANT_ID` (and `AZURE_AUTHORITY_HOST`), through core's
 * `azureCredentialFromEnv`.
 * @throws ConfigError naming each missing variable.
 */
export function acrCredentialsFromEnv(options: AcrCredentialsFromEnvOptions): RegistryCredentialSource {
  const env = options.env ?? process.env;
  const azureCredential = azureCredentialFromEnv({
    scope: options.scope ?? ACR_AAD_SCOPE,
    env,
    dispatcher: options.dispatcher,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
  });
  return acrCredentials({ ...options, azureCredential, tenantId: options.tenantId ?? env.AZURE_TENANT_ID });
}

/** The `exp` claim of a JWT in ms, when the token is a JWT with one. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
