/**
 * Response bodies shaped as the services document them.
 *
 * - Microsoft identity platform, client credentials flow (v2.0 token endpoint): a success carries
 *   `token_type`, `expires_in`, `ext_expires_in`, `access_token`; an error carries `error`,
 *   `error_description` (with "AADSTS..." codes, trace and correlation ids), `error_codes`,
 *   `timestamp`, `trace_id`, `correlation_id`. A bad client secret answers 401 `invalid_client`
 *   (AADSTS7000215), a bad scope 400 `invalid_scope` (AADSTS70011).
 * - Databricks workspace OAuth: `GET /oidc/.well-known/oauth-authorization-server` returns RFC 8414
 *   metadata whose `token_endpoint` is `https://<host>/oidc/v1/token`; the token endpoint answers
 *   `{access_token, scope, token_type, expires_in}`.
 */
import { HttpResponse, http } from "msw";

/** A successful Microsoft identity platform v2.0 token answer. */
export function azureTokenBody(accessToken: string, expiresIn = 3599) {
  return {
    token_type: "Bearer",
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    access_token: accessToken,
  };
}

/** A Microsoft identity platform error answer. */
export function azureErrorBody(error: string, aadsts: number, text: string) {
  const trace = "0d3c4f4e-8d7a-4e3b-9a21-6c1f0e2b7a00";
  const correlation = "6b8a2a45-1f5c-4a3c-8c7e-2f9e1c0d5b11";
  const timestamp = "2026-11-27 07:42:27Z";
  return {
    error,
    error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: trace,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  };
}

/** A Databricks workspace's OAuth authorization server metadata. */
export function databricksOidcMetadata(host: string) {
  return {
    issuer: `${host}/oidc`,
    authorization_endpoint: `${host}/oidc/v1/authorize`,
    token_endpoint: `${host}/oidc/v1/token`,
    jwks_uri: `${host}/oidc/jwks.json`,
    scopes_supported: ["all-apis", "email", "offline_access", "openid", "profile", "sql"],
    response_types_supported: ["code", "id_token"],
    response_modes_supported: ["query", "fragment", "form_post"],
    grant_types_supported: ["client_credentials", "authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    request_uri_parameter_supported: false,
  };
}

/** A Databricks token endpoint success. */
export function databricksTokenBody(accessToken: string, expiresIn = 3600) {
  return { access_token: accessToken, scope: "all-apis", token_type: "Bearer", expires_in: expiresIn };
}

/**
 * Handlers of a Databricks workspace's OIDC metadata and token endpoint issuing numbered tokens;
 * `reset()` restarts the numbering.
 */
export function databricksOidcHandlers(tokenPrefix = "databricks-oauth-token") {
  let issued = 0;
  const handlers = [
    http.get("*/oidc/.well-known/oauth-authorization-server", ({ request }) =>
      HttpResponse.json(databricksOidcMetadata(new URL(request.url).origin)),
    ),
    http.post("*/oidc/v1/token", () => {
      issued++;
      return HttpResponse.json(databricksTokenBody(`${tokenPrefix}-${issued}`));
    }),
  ];
  return {
    handlers,
    reset: () => {
      issued = 0;
    },
  };
}

/** Decodes a recorded form body into a plain object. */
export function formOf(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}
