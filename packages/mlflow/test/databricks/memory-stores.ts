import { createHmac } from "node:crypto";
import { HttpResponse, http, type RequestHandler } from "msw";
import type { CloudStore, StoredObject } from "./cloud-stores.js";

const SECRET = "fake-store-signing-key";

function sign(parts: string[]): string {
  return createHmac("sha256", SECRET).update(parts.join("\n")).digest("base64");
}

/** Serves a byte range of `data` as a GET would (206 with Content-Range, or the whole body). */
function serveBytes(data: Buffer, range: string | null): Response {
  const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? "");
  if (m) {
    const start = Number(m[1]);
    const end = m[2] === "" ? data.length - 1 : Math.min(Number(m[2]), data.length - 1);
    if (start >= data.length) return new HttpResponse(null, { status: 416 });
    return new HttpResponse(data.subarray(start, end + 1), {
      status: 206,
      headers: {
        "content-range": `bytes ${start}-${end}/${data.length}`,
        "content-length": String(end - start + 1),
        "accept-ranges": "bytes",
      },
    });
  }
  return new HttpResponse(data, {
    headers: { "content-length": String(data.length), "accept-ranges": "bytes" },
  });
}

/**
 * An in-memory ADLS Gen2 file system served on the fake's own port under `/__adls/<fs>/<path>`,
 * speaking the dfs endpoint's protocol (Path - Create `PUT ?resource=file`, Path - Update `PATCH
 * ?action=append&position=N` and `?action=flush&position=N`, Read `GET` with Range) with SAS-like
 * query signatures (`se`, `sp`, `sig`): Azurite has no dfs endpoint. Expired or wrong signatures
 * get 403 AuthenticationFailed, an append at a gap or a flush at the wrong position 400.
 */
export function memoryAdlsStore(
  baseUrl: () => string,
  fs: string,
): { store: CloudStore; handlers: RequestHandler[] } {
  const files = new Map<string, { data: Buffer; pending: Map<number, Buffer> }>();
  const denied = (message: string) =>
    HttpResponse.json({ error: { code: "AuthenticationFailed", message } }, { status: 403 });
  const check = (url: URL, path: string, write: boolean): Response | undefined => {
    const se = url.searchParams.get("se") ?? "";
    const sp = url.searchParams.get("sp") ?? "";
    if (url.searchParams.get("sig") !== sign([fs, path, se, sp])) return denied("Signature did not match");
    if (Date.parse(se) < Date.now()) return denied("Signed expiry time has passed");
    if (write && !sp.includes("w")) return denied("This request is not authorized to perform this operation");
    return undefined;
  };
  const route = `*/__adls/${fs}/*`;
  const pathOf = (url: URL) => decodeURIComponent(url.pathname.slice(`/__adls/${fs}/`.length));
  const handlers: RequestHandler[] = [
    http.put(route, ({ request }) => {
      const url = new URL(request.url);
      const path = pathOf(url);
      const refused = check(url, path, true);
      if (refused) return refused;
      if (url.searchParams.get("resource") !== "file")
        return HttpResponse.json({ error: { code: "InvalidQueryParameterValue" } }, { status: 400 });
      files.set(path, { data: Buffer.alloc(0), pending: new Map() });
      return new HttpResponse(null, { status: 201 });
    }),
    http.patch(route, async ({ request }) => {
      const url = new URL(request.url);
      const path = pathOf(url);
      const refused = check(url, path, true);
      if (refused) return refused;
      const file = files.get(path);
      if (!file)
        return HttpResponse.json(
          { error: { code: "PathNotFound", message: "The specified path does not exist." } },
          { status: 404 },
        );
      const position = Number(url.searchParams.get("position"));
      const flush = (at: number): Response | undefined => {
        let offset = file.data.length;
        const parts = [file.data];
        for (const p of [...file.pending.keys()].sort((a, b) => a - b)) {
          if (p !== offset)
            return HttpResponse.json({ error: { code: "InvalidFlushPosition" } }, { status: 400 });
          const chunk = file.pending.get(p) as Buffer;
          parts.push(chunk);
          offset += chunk.length;
        }
        if (offset !== at)
          return HttpResponse.json({ error: { code: "InvalidFlushPosition" } }, { status: 400 });
        file.data = Buffer.concat(parts);
        file.pending.clear();
        return undefined;
      };
      const action = url.searchParams.get("action");
      if (action === "append") {
        file.pending.set(position, Buffer.from(await request.arrayBuffer()));
        if (url.searchParams.get("flush") === "true") {
          const chunk = file.pending.get(position) as Buffer;
          const bad = flush(position + chunk.length);
          if (bad) return bad;
        }
        return new HttpResponse(null, { status: 202 });
      }
      if (action === "flush") return flush(position) ?? new HttpResponse(null, { status: 200 });
      return HttpResponse.json({ error: { code: "InvalidQueryParameterValue" } }, { status: 400 });
    }),
    http.get(route, ({ request }) => {
      const url = new URL(request.url);
      const path = pathOf(url);
      const refused = check(url, path, false);
      if (refused) return refused;
      const file = files.get(path);
      if (!file) return HttpResponse.json({ error: { code: "PathNotFound" } }, { status: 404 });
      return serveBytes(file.data, request.headers.get("range"));
    }),
  ];
  const store: CloudStore = {
    type: "AZURE_ADLS_GEN2_SAS_URI",
    async list(prefix) {
      return [...files]
        .filter(([k]) => k.startsWith(prefix))
        .map(([key, f]): StoredObject => ({ key, size: f.data.length }));
    },
    async signedUrl(key, mode, ttlSeconds) {
      const se = new Date(Date.now() + ttlSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
      const sp = mode === "read" ? "r" : "rcw";
      const sig = sign([fs, key, se, sp]);
      const q = new URLSearchParams({ sv: "2023-11-03", sr: "b", sp, se, sig });
      return `${baseUrl()}/__adls/${fs}/${key.split("/").map(encodeURIComponent).join("/")}?${q}`;
    },
    async read(key) {
      const f = files.get(key);
      if (!f) throw new Error(`no ADLS file ${key}`);
      return f.data;
    },
    async write(key, data) {
      files.set(key, { data, pending: new Map() });
    },
  };
  return { store, handlers };
}

/**
 * An in-memory GCS bucket served under `/__gcs/<bucket>/<key>`, reached through V4-style signed URLs
 * (`X-Goog-Date`, `X-Goog-Expires`, `X-Goog-Signature`): no GCS emulator runs here. A PUT stores
 * the whole object, a GET serves it (with Range). An expired URL gets 400 ExpiredToken as GCS sends.
 */
export function memoryGcsStore(
  baseUrl: () => string,
  bucket: string,
): { store: CloudStore; handlers: RequestHandler[] } {
  const objects = new Map<string, Buffer>();
  const route = `*/__gcs/${bucket}/*`;
  const keyOf = (url: URL) => decodeURIComponent(url.pathname.slice(`/__gcs/${bucket}/`.length));
  const check = (url: URL, key: string, method: string): Response | undefined => {
    const date = url.searchParams.get("X-Goog-Date") ?? "";
    const expires = url.searchParams.get("X-Goog-Expires") ?? "";
    if (
      url.searchParams.get("X-Goog-Signature") !==
      sign([bucket, key, method, date, expires]).replace(/[+/=]/g, "")
    ) {
      return new HttpResponse("<Error><Code>SignatureDoesNotMatch</Code></Error>", { status: 403 });
    }
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    const start = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : 0;
    if (start + Number(expires) * 1000 < Date.now()) {
      return new HttpResponse(
        "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>",
        {
          status: 400,
        },
      );
    }
    return undefined;
  };
  const handlers: RequestHandler[] = [
    http.put(route, async ({ request }) => {
      const url = new URL(request.url);
      const key = keyOf(url);
      const refused = check(url, key, "PUT");
      if (refused) return refused;
      objects.set(key, Buffer.from(await request.arrayBuffer()));
      return new HttpResponse(null, { status: 200, headers: { etag: '"x"' } });
    }),
    http.get(route, ({ request }) => {
      const url = new URL(request.url);
      const key = keyOf(url);
      const refused = check(url, key, "GET");
      if (refused) return refused;
      const data = objects.get(key);
      if (!data) return new HttpResponse("<Error><Code>NoSuchKey</Code></Error>", { status: 404 });
      return serveBytes(data, request.headers.get("range"));
    }),
  ];
  const store: CloudStore = {
    type: "GCP_SIGNED_URL",
    async list(prefix) {
      return [...objects].filter(([k]) => k.startsWith(prefix)).map(([key, d]) => ({ key, size: d.length }));
    },
    async signedUrl(key, mode, ttlSeconds) {
      const date = new Date()
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d+Z$/, "Z");
      const expires = String(ttlSeconds);
      const sig = sign([bucket, key, mode === "read" ? "GET" : "PUT", date, expires]).replace(/[+/=]/g, "");
      const q = new URLSearchParams({
        "X-Goog-Algorithm": "GOOG4-RSA-SHA256",
        "X-Goog-Credential": "fake-sa@project.iam.gserviceaccount.com/20240101/auto/storage/goog4_request",
        "X-Goog-Date": date,
        "X-Goog-Expires": expires,
        "X-Goog-SignedHeaders": "host",
        "X-Goog-Signature": sig,
      });
      return `${baseUrl()}/__gcs/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}?${q}`;
    },
    async read(key) {
      const d = objects.get(key);
      if (!d) throw new Error(`no GCS object ${key}`);
      return d;
    },
    async write(key, data) {
      objects.set(key, data);
    },
  };
  return { store, handlers };
}
