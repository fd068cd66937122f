import { execFileSync } from "node:child_process";
import { createPrivateKey, randomBytes, sign, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A token service for distribution's `auth: token`, as the registry tests run it. */
export interface RegistryTokenServer {
  /** The realm URL to configure, e.g. `http://127.0.0.1:41234/token`. */
  realm: string;
  /** The `service` (the token audience) to configure. */
  service: string;
  /** The `issuer` to configure. */
  issuer: string;
  /** PEM file with the self-signed certificate whose key signs the tokens (`rootcertbundle`). */
  certFile: string;
  /** Every token request received: method, scopes, account, grant type. */
  requests: TokenRequestRecord[];
  /** Stops the server and deletes the key material. */
  stop(): Promise<void>;
}

/** One token request as the server saw it. */
export interface TokenRequestRecord {
  method: string;
  scopes: string[];
  account: string | undefined;
  grantType: string | undefined;
  granted: boolean;
}

/** Options of {@link startRegistryTokenServer}. */
export interface RegistryTokenServerOptions {
  /** Users and their passwords. */
  users: Record<string, string>;
  /** Token lifetime in seconds (default 300). */
  lifetimeS?: number;
  /** Repositories anonymous users may pull (prefix match); default none. */
  anonymousPull?: string[];
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/**
 * Starts a token service of the distribution token spec on 127.0.0.1: `GET /token` with Basic
 * credentials (or none) and OAuth2 `POST /token` (`grant_type=password` returns a refresh token,
 * `grant_type=refresh_token` trades it). Tokens are JWTs signed with ES256 by a freshly generated
 * key whose self-signed certificate (made with `openssl`) the registry trusts through
 * `rootcertbundle`; the `x5c` header carries the certificate. Authenticated users get the actions
 * they ask for; anonymous ones only pull on `anonymousPull` prefixes.
 */
export async function startRegistryTokenServer(
  options: RegistryTokenServerOptions,
): Promise<RegistryTokenServer> {
  const dir = mkdtempSync(join(tmpdir(), "modeltrail-token-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=modeltrail-test-token-issuer",
    ],
    { stdio: "ignore" },
  );
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw.toString("base64");
  const service = "modeltrail-test-registry";
  const issuer = "modeltrail-test-issuer";
  const lifetimeS = options.lifetimeS ?? 300;
  const refreshTokens = new Map<string, string>();
  const requests: TokenRequestRecord[] = [];

  const issue = (account: string | undefined, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((scope) => {
      const [type, ...rest] = scope.split(":");
      const actions = rest.pop()?.split(",") ?? [];
      const name = rest.join(":");
      if (type !== "repository" || !name) return [];
      const allowed = account
        ? actions
        : actions.filter(
            (a) => a === "pull" && (options.anonymousPull ?? []).some((p) => name.startsWith(p)),
          );
      return allowed.length > 0 ? [{ type, name, actions: allowed }] : [];
    });
    const header = { typ: "JWT", alg: "ES256", x5c: [certDer] };
    const claims = {
      iss: issuer,
      sub: account ?? "",
      aud: service,
      exp: now + lifetimeS,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString("hex"),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    return `${input}.${b64url(signature)}`;
  };

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const deny = (status: number, message: string) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message }] }));
      };
      if (url.pathname !== "/token") return deny(404, "not found");
      let account: string | undefined;
      let scopes: string[];
      let grantType: string | undefined;
      let refresh: string | undefined;
      if (req.method === "GET") {
        scopes = url.searchParams
          .getAll("scope")
          .flatMap((s) => s.split(" "))
          .filter(Boolean);
        const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
        if (basic) {
          const decoded = Buffer.from(basic, "base64").toString("utf8");
          const colon = decoded.indexOf(":");
          const user = decoded.slice(0, colon);
          if (colon < 0 || options.users[user] !== decoded.slice(colon + 1)) {
            requests.push({ method: "GET", scopes, account: user, grantType, granted: false });
            return deny(401, "bad credentials");
          }
          account = user;
        }
      } else if (req.method === "POST") {
        const form = new URLSearchParams(await readBody(req));
        scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
        grantType = form.get("grant_type") ?? undefined;
        if (grantType === "password") {
          const user = form.get("username") ?? "";
          if (options.users[user] !== form.get("password")) {
            requests.push({ method: "POST", scopes, account: user, grantType, granted: false });
            return deny(401, "bad credentials");
          }
          account = user;
          refresh = randomBytes(24).toString("hex");
          refreshTokens.set(refresh, user);
        } else if (grantType === "refresh_token") {
          account = refreshTokens.get(form.get("refresh_token") ?? "");
          if (!account) {
            requests.push({ method: "POST", scopes, account, grantType, granted: false });
            return deny(401, "unknown refresh token");
          }
        } else {
          return deny(400, `unsupported grant_type ${grantType}`);
        }
      } else {
        return deny(405, "method not allowed");
      }
      requests.push({ method: req.method, scopes, account, grantType, granted: true });
      const token = issue(account, scopes);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          token,
          access_token: token,
          expires_in: lifetimeS,
          issued_at: new Date().toISOString(),
          ...(refresh ? { refresh_token: refresh } : {}),
        }),
      );
    })().catch(() => {
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
