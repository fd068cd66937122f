import { randomBytes } from "node:crypto";
import { ConfigError, UnauthorizedError } from "@modeltrail/core";
import { startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { bytesSource, RegistryClient, staticCredentials } from "../src/index.js";
import { type FakeRegistry, startFakeRegistry } from "./helpers/fake-registry.js";

const user = { username: "alice", password: "alice-S3cret-password" };
const fakes: FakeRegistry[] = [];
const clients: RegistryClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function fakeWithTokens(
  extra: Partial<Extract<Parameters<typeof startFakeRegistry>[0], object>> = {},
  lifetimeS = 300,
  clock?: () => number,
) {
  const f = await startFakeRegistry({ auth: { kind: "bearer", ...user, lifetimeS }, clock, ...extra });
  fakes.push(f);
  return f;
}
function clientFor(f: FakeRegistry, clock?: () => number) {
  const c = new RegistryClient({
    credentials: staticCredentials({ [f.host]: { kind: "basic", ...user } }),
    clock,
    retry: { maxRetries: 0 },
  });
  clients.push(c);
  return c;
}

describe("bearer token flow", () => {
  it("asks the realm for a token per scope, with the credentials, and reuses it until it expires", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const f = await fakeWithTokens({}, 60, clock);
    const c = clientFor(f, clock);
    const blob = randomBytes(100);
    await c.uploadBlob(`${f.host}/team/model`, bytesSource(blob));
    await c.uploadBlob(`${f.host}/team/model`, bytesSource(randomBytes(100)));
    await c.blobSize(`${f.host}/team/model`, `sha256:${"0".repeat(64)}`);
    await c.blobSize(`${f.host}/team/other`, `sha256:${"0".repeat(64)}`);
    expect(f.issued.map((t) => [t.grant, t.scopes.join(" ")])).toEqual([
      ["basic", "repository:team/model:pull,push"],
      ["basic", "repository:team/model:pull"],
      ["basic", "repository:team/other:pull"],
    ]);
    const tokenRequests = f.server.requests.filter((r) => r.path.startsWith("/token"));
    expect(tokenRequests[0]?.path).toContain("service=fake-registry");
    expect(tokenRequests[0]?.headers.authorization).toMatch(/^Basic /);
    // 59 s later the pull token is about to expire: a new one is fetched
    now += 55_000;
    await c.blobSize(`${f.host}/team/other`, `sha256:${"0".repeat(64)}`);
    expect(f.issued).toHaveLength(4);
  });

  it("retries once with a fresh token when the registry answers 401, and fails clearly on the second 401", async () => {
    const f = await fakeWithTokens();
    const c = clientFor(f);
    await c.blobSize(`${f.host}/a/b`, `sha256:${"1".repeat(64)}`);
    f.revoked.add(f.issued[0]!.token);
    expect(await c.blobSize(`${f.host}/a/b`, `sha256:${"1".repeat(64)}`)).toBeUndefined();
    expect(f.issued).toHaveLength(2);
    // every token revoked as soon as issued: one retry, then a clear error
    const original = f.issued.push.bind(f.issued);
    f.issued.push = (...items) => {
      for (const i of items) f.revoked.add(i.token);
      return original(...items);
    };
    const err = await c.blobSize(`${f.host}/a/c`, `sha256:${"1".repeat(64)}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toMatch(/even with fresh credentials/);
    expect(f.issued).toHaveLength(4);
  });

  it("asks for the scope the registry's challenge names (insufficient_scope)", async () => {
    const f = await fakeWithTokens();
    const c = clientFor(f);
    let first = true;
    f.server.use(
      http.get("*/v2/a/b/tags/list", ({ request }) => {
        const ok = f.issued.some(
          (t) =>
            request.headers.get("authorization") === `Bearer ${t.token}` &&
            t.scopes.includes("repository:a/b:pull,extra"),
        );
        if (ok) return HttpResponse.json({ name: "a/b", tags: ["x"] });
        first = false;
        return HttpResponse.json(
          { errors: [{ code: "DENIED" }] },
          {
            status: 401,
            headers: {
              "www-authenticate": `Bearer realm="${f.server.url}/token",service="fake-registry",scope="repository:a/b:pull,extra",error="insufficient_scope"`,
            },
          },
        );
      }),
    );
    expect(await c.tags(`${f.host}/a/b`)).toEqual(["x"]);
    expect(first).toBe(false);
    expect(f.issued.at(-1)?.scopes).toEqual(["repository:a/b:pull", "repository:a/b:pull,extra"]);
  });

  it("trades an identity token with an OAuth2 refresh_token POST", async () => {
    const f = await startFakeRegistry({
      auth: { kind: "bearer", identityToken: "refresh-Token-value-1234" },
    });
    fakes.push(f);
    const c = new RegistryClient({
      credentials: staticCredentials({
        [f.host]: { kind: "identity-token", identityToken: "refresh-Token-value-1234" },
      }),
    });
    clients.push(c);
    await c.uploadBlob(`${f.host}/x/y`, bytesSource(Buffer.from("hello")));
    expect(f.issued.map((t) => t.grant)).toEqual(["refresh_token"]);
    const post = f.server.requests.find((r) => r.method === "POST" && r.path === "/token");
    const form = new URLSearchParams(post?.body);
    expect(form.get("grant_type")).toBe("refresh_token");
    expect(form.get("scope")).toBe("repository:x/y:pull,push");
    expect(form.get("service")).toBe("fake-registry");
  });

  it("pulls anonymously with an anonymous token and says what to do when a push is refused", async () => {
    const f = await startFakeRegistry({ auth: { kind: "bearer", ...user, anonymousPull: true } });
    fakes.push(f);
    const authed = clientFor(f);
    await authed.putManifest(`${f.host}/pub/img:v1`, {
      bytes: Buffer.from(
        `{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"sha256:${"0".repeat(64)}","size":1},"layers":[]}`,
      ),
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    });
    const anon = new RegistryClient({ credentials: staticCredentials({}) });
    clients.push(anon);
    expect((await anon.getManifest(`${f.host}/pub/img:v1`)).kind).toBe("image");
    const err = await anon
      .uploadBlob(`${f.host}/pub/img`, bytesSource(Buffer.from("x")))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toMatch(/docker login/);
  });

  it("lets a loopback registry use a plain-http realm on another loopback port", async () => {
    const realm = await startMswServer(http.get("*/token", () => HttpResponse.json({ token: "t" })));
    const registry = await startMswServer(
      http.get(
        "*/v2/",
        () =>
          new HttpResponse(null, {
            status: 401,
            headers: {
              "www-authenticate": `Bearer realm="${realm.url.replace("127.0.0.1", "localhost")}/token",service="x"`,
            },
          }),
      ),
    );
    const c = new RegistryClient({
      credentials: staticCredentials({
        [`${registry.url.replace("http://", "")}`]: { kind: "basic", ...user },
      }),
      plainHttp: true,
    });
    clients.push(c);
    try {
      const host = registry.url.replace("http://127.0.0.1", "127.0.0.1");
      await c.blobSize(`${host}/a/b`, `sha256:${"0".repeat(64)}`).catch(() => {});
      expect(realm.requests.length).toBeGreaterThan(0);
    } finally {
      await realm.close();
      await registry.close();
    }
  });

  it("refuses to send a non-loopback registry's credentials to an http realm elsewhere", async () => {
    const { RegistryTokenFlow } = await import("../src/index.js");
    const { HttpClient } = await import("@modeltrail/core/internal");
    const http = new HttpClient({ baseUrl: "https://registry.example.com", service: "t" });
    const flow = new RegistryTokenFlow({
      registry: "registry.example.com",
      credentials: staticCredentials({ "registry.example.com": { kind: "basic", ...user } }),
      http,
    });
    flow.setChallenge([
      { scheme: "bearer", params: { realm: "http://evil.example.net/token", service: "x" } },
    ]);
    const err = await flow.headers(["repository:a:pull"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/plain http/);
    await http.close();
  });

  it("keeps the password and tokens out of errors and debug logs", async () => {
    const f = await fakeWithTokens();
    const lines: string[] = [];
    const wrong = "Wrong-Password-Value-987";
    const c = new RegistryClient({
      credentials: staticCredentials({
        [f.host]: { kind: "basic", username: user.username, password: wrong },
      }),
      logger: (e) => lines.push(JSON.stringify(e)),
    });
    clients.push(c);
    const err = await c.tags(`${f.host}/a/b`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    const everything = `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack} ${lines.join("\n")}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(Buffer.from(`${user.username}:${wrong}`).toString("base64"));
    // a good client's tokens never reach the log either
    const good = new RegistryClient({
      credentials: staticCredentials({ [f.host]: { kind: "basic", ...user } }),
      logger: (e) => lines.push(JSON.stringify(e)),
    });
    clients.push(good);
    await good.blobSize(`${f.host}/a/b`, `sha256:${"0".repeat(64)}`);
    for (const t of f.issued) expect(lines.join("\n")).not.toContain(t.token);
  });
});
