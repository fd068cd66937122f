import { createHash, randomUUID } from "node:crypto";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";

/** How the fake registry authenticates. */
export type FakeAuth =
  | { kind: "none" }
  | { kind: "basic"; username: string; password: string }
  | {
      kind: "bearer";
      username?: string;
      password?: string;
      identityToken?: string;
      lifetimeS?: number;
      anonymousPull?: boolean;
    };

/** Options of {@link startFakeRegistry}. */
export interface FakeRegistryOptions {
  auth?: FakeAuth;
  /** Serve `GET /v2/<name>/referrers/<digest>` and answer `OCI-Subject` (default false). */
  referrersApi?: boolean;
  /** Tags per page when the client sends no `n` (default: all). */
  defaultPageSize?: number;
  /** The fake's clock in ms (token expiry). */
  clock?: () => number;
}

/** A token the fake issued. */
export interface IssuedToken {
  token: string;
  scopes: string[];
  account: string | undefined;
  grant: "basic" | "refresh_token" | "anonymous";
  expiresAt: number;
}

/** An in-memory OCI registry served by msw on a loopback port, faithful to the distribution spec. */
export interface FakeRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  server: MswServer;
  blobs: Map<string, Buffer>;
  /** repository -> digests it links. */
  links: Map<string, Set<string>>;
  manifests: Map<string, { bytes: Buffer; mediaType: string }>;
  /** repository -> tag -> digest. */
  tags: Map<string, Map<string, string>>;
  /** Every token issued. */
  issued: IssuedToken[];
  /** Tokens that are refused from now on (as if revoked). */
  revoked: Set<string>;
  /** Fail the next PATCH/PUT with a body: keep its first `keepBytes` bytes, then drop the connection. */
  breakNextUpload(keepBytes: number, method?: "PATCH" | "PUT"): void;
  /** Forget an upload session (as a registry that garbage-collected it). */
  dropUploads(): void;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const err = (
  status: number,
  code: string,
  message = code.toLowerCase(),
  headers: Record<string, string> = {},
) => HttpResponse.json({ errors: [{ code, message }] }, { status, headers });

/**
 * Starts a fake registry: blobs (HEAD/GET with Range, monolithic and chunked uploads with
 * `Range` status and resumption, mounts), manifests (GET/HEAD/PUT/DELETE by tag or digest), tags
 * with `n`/`last` and `Link`, optionally the referrers API, and Basic or bearer-token auth with a
 * token endpoint at `/token` that records each token's scopes.
 */
export async function startFakeRegistry(options: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const auth = options.auth ?? { kind: "none" };
  const clock = options.clock ?? Date.now;
  const blobs = new Map<string, Buffer>();
  const links = new Map<string, Set<string>>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const tags = new Map<string, Map<string, string>>();
  const uploads = new Map<string, { repo: string; data: Buffer }>();
  const issued: IssuedToken[] = [];
  const revoked = new Set<string>();
  let breakPlan: { keepBytes: number; method: string | undefined } | undefined;
  let base = "";

  const link = (repo: string, digest: string) => {
    const s = links.get(repo) ?? new Set<string>();
    links.set(repo, s);
    s.add(digest);
  };
  const has = (repo: string, digest: string) => links.get(repo)?.has(digest) === true;

  const challenge = (scope: string | undefined) => {
    if (auth.kind === "basic") return `Basic realm="fake"`;
    return `Bearer realm="${base}/token",service="fake-registry"${scope ? `,scope="${scope}"` : ""}`;
  };

  /** Checks the request's authorization for a scope; returns a 401 response or undefined. */
  const authorize = (
    request: Request,
    repo: string | undefined,
    action: "pull" | "push" | "delete" | "catalog",
  ) => {
    if (auth.kind === "none") return undefined;
    const scope = repo
      ? `repository:${repo}:${action === "pull" ? "pull" : action === "delete" ? "delete" : "pull,push"}`
      : undefined;
    const header = request.headers.get("authorization") ?? "";
    if (auth.kind === "basic") {
      const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
      return header === expected
        ? undefined
        : err(401, "UNAUTHORIZED", "authentication required", { "www-authenticate": challenge(scope) });
    }
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const found = token ? issued.find((t) => t.token === token) : undefined;
    const ok =
      found &&
      !revoked.has(found.token) &&
      clock() < found.expiresAt &&
      (repo === undefined
        ? action !== "catalog" || found.scopes.includes("registry:catalog:*")
        : found.scopes.some((s) => {
            const [, name, actions] = /^repository:(.+):([^:]+)$/.exec(s) ?? [];
            return (
              name === repo && (actions ?? "").split(",").includes(action === "catalog" ? "pull" : action)
            );
          }));
    return ok
      ? undefined
      : err(401, "UNAUTHORIZED", "authentication required", { "www-authenticate": challenge(scope) });
  };

  const tokenEndpoint = async (request: Request) => {
    if (auth.kind !== "bearer") return err(404, "NOT_FOUND");
    const url = new URL(request.url);
    let scopes: string[];
    let account: string | undefined;
    let grant: IssuedToken["grant"] = "anonymous";
    if (request.method === "POST") {
      const form = new URLSearchParams(await request.text());
      scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
      if (form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== auth.identityToken) {
        return HttpResponse.json({ error: "invalid_grant" }, { status: 401 });
      }
      grant = "refresh_token";
      account = "identity";
    } else {
      scopes = url.searchParams.getAll("scope");
      const header = request.headers.get("authorization");
      if (header) {
        const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
        if (header !== expected)
          return HttpResponse.json({ details: "incorrect username or password" }, { status: 401 });
        grant = "basic";
        account = auth.username;
      } else if (!auth.anonymousPull) {
        scopes = [];
      } else {
        scopes = scopes.map((s) => s.replace(/:[^:]*$/, ":pull"));
      }
    }
    const lifetimeS = auth.lifetimeS ?? 300;
    const token = `tok-${issued.length + 1}-${randomUUID()}`;
    issued.push({ token, scopes, account, grant, expiresAt: clock() + lifetimeS * 1000 });
    return HttpResponse.json({ token, expires_in: lifetimeS, issued_at: new Date(clock()).toISOString() });
  };

  const uploadResponse = (status: number, repo: string, id: string, extra: Record<string, string> = {}) => {
    const size = uploads.get(id)?.data.length ?? 0;
    return new HttpResponse(null, {
      status,
      headers: {
        location: `/v2/${repo}/blobs/uploads/${id}`,
        range: `0-${Math.max(0, size - 1)}`,
        "docker-upload-uuid": id,
        "content-length": "0",
        ...extra,
      },
    });
  };

  /** The body of a PATCH/PUT, or a response that drops the connection after keeping part of it. */
  const takeBody = async (request: Request, id: string): Promise<Buffer | Response> => {
    const body = Buffer.from(await request.arrayBuffer());
    const upload = uploads.get(id);
    if (
      breakPlan &&
      body.length > 0 &&
      (breakPlan.method === undefined || breakPlan.method === request.method) &&
      upload
    ) {
      const keep = Math.min(breakPlan.keepBytes, body.length);
      breakPlan = undefined;
      upload.data = Buffer.concat([upload.data, body.subarray(0, keep)]);
      // a body stream that fails before any byte: msw-server destroys the socket, headers unsent
      return new HttpResponse(
        new ReadableStream({
          start(controller) {
            controller.error(new Error("connection dropped by the fake"));
          },
        }),
        { status: 202 },
      );
    }
    return body;
  };

  const handler = http.all("*", async ({ request }) => {
    const url = new URL(request.url);
    const path = decodeURIComponent(url.pathname);
    const method = request.method;
    if (path === "/token") return tokenEndpoint(request);
    if (path === "/v2/" || path === "/v2") {
      if (auth.kind === "none") return HttpResponse.json({});
      const denied = authorize(request, undefined, "pull");
      return denied ?? HttpResponse.json({});
    }
    let m: RegExpExecArray | null = null;
    m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(path);
    if (m) {
      const repo = m[1]!;
      const id = m[2]!;
      const denied = authorize(request, repo, "push");
      if (denied) return denied;
      if (method === "POST" && id === "") {
        const mount = url.searchParams.get("mount");
        const from = url.searchParams.get("from");
        if (mount && from && has(from, mount)) {
          if (auth.kind === "bearer") {
            const fromDenied = authorize(request, from, "pull");
            if (fromDenied) return fromDenied;
          }
          link(repo, mount);
          return new HttpResponse(null, {
            status: 201,
            headers: { location: `/v2/${repo}/blobs/${mount}`, "docker-content-digest": mount },
          });
        }
        const newId = randomUUID();
        uploads.set(newId, { repo, data: Buffer.alloc(0) });
        return uploadResponse(202, repo, newId);
      }
      const upload = uploads.get(id);
      if (!upload || upload.repo !== repo) return err(404, "BLOB_UPLOAD_UNKNOWN");
      if (method === "GET") return uploadResponse(204, repo, id);
      if (method === "DELETE") {
        uploads.delete(id);
        return new HttpResponse(null, { status: 204 });
      }
      if (method === "PATCH") {
        const range = request.headers.get("content-range");
        if (range) {
          const start = Number(/^(\d+)-/.exec(range)?.[1]);
          if (start !== upload.data.length) return uploadResponse(416, repo, id);
        }
        const body = await takeBody(request, id);
        if (body instanceof Response) return body;
        upload.data = Buffer.concat([upload.data, body]);
        return uploadResponse(202, repo, id);
      }
      if (method === "PUT") {
        const body = await takeBody(request, id);
        if (body instanceof Response) return body;
        const data = Buffer.concat([upload.data, body]);
        const digest = url.searchParams.get("digest") ?? "";
        uploads.delete(id);
        if (sha256(data) !== digest)
          return err(400, "DIGEST_INVALID", "provided digest did not match uploaded content");
        blobs.set(digest, data);
        link(repo, digest);
        return new HttpResponse(null, {
          status: 201,
          headers: { location: `/v2/${repo}/blobs/${digest}`, "docker-content-digest": digest },
        });
      }
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
    if (m) {
      const [, repo, digest] = m as unknown as [string, string, string];
      const denied = authorize(request, repo, "pull");
      if (denied) return denied;
      if (!has(repo, digest)) return err(404, "BLOB_UNKNOWN");
      const data = blobs.get(digest)!;
      const headers = { "docker-content-digest": digest, "content-type": "application/octet-stream" };
      if (method === "HEAD")
        return new HttpResponse(null, {
          status: 200,
          headers: { ...headers, "content-length": String(data.length) },
        });
      const range = /^bytes=(\d+)-$/.exec(request.headers.get("range") ?? "");
      if (range) {
        const start = Number(range[1]);
        return new HttpResponse(data.subarray(start), {
          status: 206,
          headers: { ...headers, "content-range": `bytes ${start}-${data.length - 1}/${data.length}` },
        });
      }
      return new HttpResponse(data, { status: 200, headers });
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
    if (m) {
      const [, repo, ref] = m as unknown as [string, string, string];
      const denied = authorize(
        request,
        repo,
        method === "GET" || method === "HEAD" ? "pull" : method === "DELETE" ? "delete" : "push",
      );
      if (denied) return denied;
      const digest = ref.startsWith("sha256:") ? ref : tags.get(repo)?.get(ref);
      if (method === "PUT") {
        const bytes = Buffer.from(await request.arrayBuffer());
        const d = sha256(bytes);
        if (ref.startsWith("sha256:") && ref !== d) return err(400, "DIGEST_INVALID");
        const mediaType = request.headers.get("content-type") ?? "";
        manifests.set(`${repo}@${d}`, { bytes, mediaType });
        if (!ref.startsWith("sha256:")) {
          const t = tags.get(repo) ?? new Map<string, string>();
          tags.set(repo, t);
          t.set(ref, d);
        }
        const headers: Record<string, string> = {
          "docker-content-digest": d,
          location: `/v2/${repo}/manifests/${d}`,
        };
        const subject = (JSON.parse(bytes.toString("utf8")) as { subject?: { digest?: string } }).subject;
        if (options.referrersApi && subject?.digest) headers["oci-subject"] = subject.digest;
        return new HttpResponse(null, { status: 201, headers });
      }
      const stored = digest ? manifests.get(`${repo}@${digest}`) : undefined;
      if (!stored || !digest) return err(404, "MANIFEST_UNKNOWN");
      if (method === "DELETE") {
        manifests.delete(`${repo}@${digest}`);
        for (const [tag, d] of tags.get(repo) ?? []) if (d === digest) tags.get(repo)?.delete(tag);
        return new HttpResponse(null, { status: 202 });
      }
      const headers = {
        "docker-content-digest": digest,
        "content-type": stored.mediaType,
        "content-length": String(stored.bytes.length),
      };
      return new HttpResponse(method === "HEAD" ? null : stored.bytes, { status: 200, headers });
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    if (m) {
      const repo = m[1]!;
      const denied = authorize(request, repo, "pull");
      if (denied) return denied;
      const all = [...(tags.get(repo)?.keys() ?? [])].sort();
      if (!tags.has(repo)) return err(404, "NAME_UNKNOWN", "repository name not known to registry");
      const n = Number(url.searchParams.get("n") ?? options.defaultPageSize ?? all.length);
      const last = url.searchParams.get("last");
      const from = last ? all.findIndex((t) => t > last) : 0;
      const page = from < 0 ? [] : all.slice(from, from + n);
      const headers: Record<string, string> = {};
      if (from >= 0 && from + n < all.length) {
        headers.link = `</v2/${repo}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] ?? "")}>; rel="next"`;
      }
      return HttpResponse.json({ name: repo, tags: page }, { headers });
    }
    m = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})$/.exec(path);
    if (m) {
      if (!options.referrersApi) return new HttpResponse("404 page not found", { status: 404 });
      const [, repo, digest] = m as unknown as [string, string, string];
      const denied = authorize(request, repo, "pull");
      if (denied) return denied;
      const artifactType = url.searchParams.get("artifactType");
      const list = [];
      for (const [key, value] of manifests) {
        if (!key.startsWith(`${repo}@`)) continue;
        const json = JSON.parse(value.bytes.toString("utf8")) as {
          subject?: { digest?: string };
          artifactType?: string;
          config?: { mediaType?: string };
          annotations?: Record<string, string>;
        };
        if (json.subject?.digest !== digest) continue;
        const type = json.artifactType ?? json.config?.mediaType;
        if (artifactType && type !== artifactType) continue;
        list.push({
          mediaType: value.mediaType,
          digest: key.slice(repo.length + 1),
          size: value.bytes.length,
          artifactType: type,
          annotations: json.annotations,
        });
      }
      const headers: Record<string, string> = { "content-type": "application/vnd.oci.image.index.v1+json" };
      if (artifactType) headers["oci-filters-applied"] = "artifactType";
      return new HttpResponse(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.index.v1+json",
          manifests: list,
        }),
        {
          status: 200,
          headers,
        },
      );
    }
    return err(404, "NOT_FOUND", `fake registry: no route for ${method} ${path}`);
  });

  const server = await startMswServer(handler);
  base = server.url;
  return {
    host: server.url.replace(/^http:\/\//, ""),
    server,
    blobs,
    links,
    manifests,
    tags,
    issued,
    revoked,
    breakNextUpload(keepBytes, method) {
      breakPlan = { keepBytes, method };
    },
    dropUploads() {
      uploads.clear();
    },
    close: () => server.close(),
  };
}
