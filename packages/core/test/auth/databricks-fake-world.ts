/**
 * A fake of everything Databricks auth talks to, served by one msw server on a loopback port and told
 * apart by the `host` header: Databricks workspaces and account consoles (host metadata, OIDC
 * discovery, the OAuth token endpoint, the `/aad/auth` redirect to the Entra ID tenant), Microsoft
 * Entra ID (v1 and v2 token endpoints) and Azure Resource Manager (workspace look-up). databricks-sdk
 * reaches it through the `modeltrail_loopback` guard, modeltrail through `loopbackDispatcher`.
 *
 * Every token it issues names what it was issued for, so comparing the Authorization header two
 * clients send compares the credential they used: `m2m:{token endpoint host+path}:{client id}:{secret
 * digest}` for Databricks OAuth, `aad:{authority}:{tenant}:{client id}:{secret digest}:{resource}` for
 * Entra ID. Answers follow what the services document (RFC 8414 metadata, RFC 6749 token answers,
 * `/.well-known/databricks-config` as databricks-sdk-go's tests show it).
 */
import { createHash } from "node:crypto";
import { HttpResponse, http } from "msw";

/** Entra ID tenants of the fake Azure workspaces, by host name. */
export const WORKSPACE_TENANTS: Readonly<Record<string, string>> = {
  "adb-1111111111111111.11.azuredatabricks.net": "aaaaaaaa-1111-4111-8111-000000000001",
  "adb-2222222222222222.2.databricks.azure.us": "bbbbbbbb-2222-4222-8222-000000000002",
  "adb-3333333333333333.3.databricks.azure.cn": "cccccccc-3333-4333-8333-000000000003",
  "accounts.azuredatabricks.net": "dddddddd-4444-4444-8444-000000000004",
};

/** Azure resource ids of the fake workspaces and their host names. */
export const AZURE_RESOURCES: Readonly<Record<string, string>> = {
  "/subscriptions/0f8fad5b-d9cb-469f-a165-70867728950e/resourceGroups/ml-rg/providers/Microsoft.Databricks/workspaces/ml-ws":
    "adb-1111111111111111.11.azuredatabricks.net",
};

const LOGIN_HOSTS: Record<string, string> = {
  ".azuredatabricks.net": "login.microsoftonline.com",
  ".databricks.azure.us": "login.microsoftonline.us",
  ".databricks.azure.cn": "login.chinacloudapi.cn",
};
const ENTRA_HOSTS = new Set(Object.values(LOGIN_HOSTS));
const ARM_HOSTS = new Set([
  "management.azure.com",
  "management.usgovcloudapi.net",
  "management.chinacloudapi.cn",
]);

/** A short digest of a secret, so tokens say which secret was used without containing it. */
export function secretDigest(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 10);
}

function cloudOf(host: string): string {
  if (/\.(azuredatabricks\.net|databricks\.azure\.(us|cn))$/.test(host)) return "Azure";
  if (host.endsWith(".gcp.databricks.com")) return "GCP";
  return "AWS";
}

function isAccountsHost(host: string): boolean {
  return host.startsWith("accounts.") || host.startsWith("accounts-dod.");
}

/** The client id and secret of a token request: Basic header or form fields. */
function clientOf(request: Request, form: URLSearchParams): { id: string; secret: string } {
  const basic = /^Basic (.+)$/i.exec(request.headers.get("authorization") ?? "");
  if (basic) {
    const [id, ...rest] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
    return {
      id: decodeURIComponent(id!.replace(/\+/g, " ")),
      secret: decodeURIComponent(rest.join(":").replace(/\+/g, " ")),
    };
  }
  return { id: form.get("client_id") ?? "", secret: form.get("client_secret") ?? "" };
}

const notHere = (host: string, path: string) =>
  HttpResponse.json({ error_code: "ENDPOINT_NOT_FOUND", message: `no ${path} on ${host}` }, { status: 404 });

/** The msw handlers of the fake world. */
export function fakeWorldHandlers() {
  return [
    http.all("*", async ({ request }) => {
      const host = (request.headers.get("host") ?? "").toLowerCase();
      const url = new URL(request.url);
      // Clients join base URLs and paths carelessly (`https://management.azure.com/` + `/subscriptions/...`).
      const path = url.pathname.replace(/^\/{2,}/, "/");

      if (ENTRA_HOSTS.has(host)) {
        const m = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token$/.exec(path);
        if (request.method !== "POST" || !m) return notHere(host, path);
        const form = new URLSearchParams(await request.text());
        const client = clientOf(request, form);
        const resource = m[2]
          ? (form.get("scope") ?? "").replace(/\/\.default$/, "")
          : (form.get("resource") ?? "");
        return HttpResponse.json({
          token_type: "Bearer",
          expires_in: 3599,
          access_token: `aad:${host}:${m[1]}:${client.id}:${secretDigest(client.secret)}:${resource}`,
        });
      }

      if (ARM_HOSTS.has(host)) {
        if (!request.headers.get("authorization")?.startsWith("Bearer aad:"))
          return HttpResponse.json({ error: { code: "AuthenticationFailed" } }, { status: 401 });
        const workspace = AZURE_RESOURCES[path];
        if (!workspace)
          return HttpResponse.json(
            { error: { code: "ResourceNotFound", message: "not found" } },
            { status: 404 },
          );
        return HttpResponse.json({ id: path, properties: { workspaceUrl: workspace } });
      }

      // A Databricks workspace or account console.
      if (request.method === "GET" && path === "/.well-known/databricks-config") {
        return HttpResponse.json(
          isAccountsHost(host)
            ? { oidc_endpoint: `https://${host}/oidc/accounts/{account_id}` }
            : {
                oidc_endpoint: `https://${host}/oidc`,
                workspace_id: "1111111111",
                cloud: cloudOf(host),
                host_type: "workspace",
              },
        );
      }
      const discovery = /^\/oidc(\/accounts\/[^/]+)?\/\.well-known\/oauth-authorization-server$/.exec(path);
      if (request.method === "GET" && discovery) {
        const base = `https://${host}/oidc${discovery[1] ?? ""}`;
        return HttpResponse.json({
          issuer: base,
          authorization_endpoint: `${base}/v1/authorize`,
          token_endpoint: `${base}/v1/token`,
          grant_types_supported: ["client_credentials", "authorization_code", "refresh_token"],
        });
      }
      if (request.method === "POST" && /^\/oidc(\/accounts\/[^/]+)?\/v1\/token$/.test(path)) {
        const form = new URLSearchParams(await request.text());
        const client = clientOf(request, form);
        return HttpResponse.json({
          access_token: `m2m:${host}${path}:${client.id}:${secretDigest(client.secret)}`,
          token_type: "Bearer",
          expires_in: 3600,
          scope: form.get("scope") ?? "",
        });
      }
      if (request.method === "GET" && path === "/aad/auth") {
        const tenant = WORKSPACE_TENANTS[host];
        const zone = Object.keys(LOGIN_HOSTS).find((z) => host.endsWith(z));
        if (!tenant || !zone) return notHere(host, path);
        return new HttpResponse(null, {
          status: 302,
          headers: { location: `https://${LOGIN_HOSTS[zone]}/${tenant}/oauth2/authorize?response_type=code` },
        });
      }
      return notHere(host, path);
    }),
  ];
}
