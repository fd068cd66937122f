import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, TimeoutError } from "@modeltrail/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  configKeyToRegistry,
  dockerConfigCredentials,
  dockerConfigPath,
  runCredentialHelper,
} from "../src/index.js";

let root: string;
let bin: string;
let env: Record<string, string | undefined>;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "modeltrail-docker-config-"));
  bin = join(root, "bin");
  await mkdir(bin);
  env = { PATH: `${bin}:${process.env.PATH}`, HOME: root };
  // A real helper: answers for two servers, records what it was asked, fails for "broken.example".
  await helper(
    "fake",
    `read server
echo "$1 $server" >> "${root}/fake.log"
case "$server" in
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hubuser","Secret":"hub-Secret-123456"}' "$server" ;;
  ghcr.io) printf '{"ServerURL":"%s","Username":"<token>","Secret":"ghcr-Identity-Token-123456"}' "$server" ;;
  broken.example) echo "keychain exploded: hub-Secret-123456" >&2; exit 3 ;;
  garbage.example) echo "this is not json" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac`,
  );
  await helper("slow", "sleep 5");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function helper(name: string, body: string) {
  const file = join(bin, `docker-credential-${name}`);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
}

async function configDir(name: string, config: unknown): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
  return dir;
}

describe("Docker config credentials", () => {
  it("reads auths entries in each of their forms, keyed however docker login wrote them", async () => {
    const dir = await configDir("auths", {
      auths: {
        "https://index.docker.io/v1/": { auth: Buffer.from("hubuser:hub-Pass-0001").toString("base64") },
        "myacr.azurecr.io": {
          username: "00000000-0000-0000-0000-000000000000",
          identitytoken: "acr-Refresh-0002",
        },
        "http://localhost:5000/v2/": { username: "u", password: "local-Pass-0003" },
        "registry.example.com": { registrytoken: "registry-Token-0004" },
        "empty.example.com": {},
      },
    });
    const source = dockerConfigCredentials({ configDir: dir, env });
    expect(await source.credentialsFor("docker.io")).toEqual({
      kind: "basic",
      username: "hubuser",
      password: "hub-Pass-0001",
    });
    expect(await source.credentialsFor("index.docker.io")).toEqual({
      kind: "basic",
      username: "hubuser",
      password: "hub-Pass-0001",
    });
    expect(await source.credentialsFor("MyACR.azurecr.io")).toMatchObject({
      kind: "identity-token",
      identityToken: "acr-Refresh-0002",
    });
    expect(await source.credentialsFor("localhost:5000")).toEqual({
      kind: "basic",
      username: "u",
      password: "local-Pass-0003",
    });
    expect(await source.credentialsFor("registry.example.com")).toEqual({
      kind: "registry-token",
      token: "registry-Token-0004",
    });
    expect(await source.credentialsFor("empty.example.com")).toBeUndefined();
    expect(await source.credentialsFor("localhost:5001")).toBeUndefined();
  });

  it("finds the file through DOCKER_CONFIG, else ~/.docker; a missing file means anonymous", async () => {
    const dir = await configDir("via-env", {
      auths: { "a.example": { username: "x", password: "via-Env-0005" } },
    });
    expect(dockerConfigPath({ env: { DOCKER_CONFIG: dir } })).toBe(join(dir, "config.json"));
    expect(dockerConfigPath({ env: { HOME: "/home/someone" } })).toBe("/home/someone/.docker/config.json");
    expect(
      await dockerConfigCredentials({ env: { ...env, DOCKER_CONFIG: dir } }).credentialsFor("a.example"),
    ).toMatchObject({ password: "via-Env-0005" });
    expect(
      await dockerConfigCredentials({ configDir: join(root, "nope"), env }).credentialsFor("a.example"),
    ).toBeUndefined();
  });

  it("asks credHelpers for their registry and credsStore for the rest, then falls back to auths", async () => {
    const dir = await configDir("helpers", {
      credsStore: "fake",
      credHelpers: { "special.example": "fake" },
      auths: { "fallback.example": { auth: Buffer.from("fb:fallback-Pass-0006").toString("base64") } },
    });
    const source = dockerConfigCredentials({ configDir: dir, env });
    expect(await source.credentialsFor("docker.io")).toEqual({
      kind: "basic",
      username: "hubuser",
      password: "hub-Secret-123456",
    });
    expect(await source.credentialsFor("ghcr.io")).toEqual({
      kind: "identity-token",
      identityToken: "ghcr-Identity-Token-123456",
    });
    expect(await source.credentialsFor("fallback.example")).toEqual({
      kind: "basic",
      username: "fb",
      password: "fallback-Pass-0006",
    });
    expect(await source.credentialsFor("special.example")).toBeUndefined();
    // cached: the helper is not run again for docker.io until the registry rejects the credentials
    await source.credentialsFor("docker.io");
    await source.credentialsFor("docker.io", { forceRefresh: true });
    const { readFile } = await import("node:fs/promises");
    const log = (await readFile(join(root, "fake.log"), "utf8"))
      .split("\n")
      .filter((l) => l.includes("index.docker.io"));
    expect(log).toHaveLength(2);
  });

  it("reports a failing, garbled, missing or hanging helper clearly, without the secret", async () => {
    const err = await runCredentialHelper("fake", "broken.example", { env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/exit code 3/);
    expect((err as Error).message).toMatch(/keychain exploded/);
    expect((err as Error).message).not.toContain("hub-Secret-123456");
    await expect(runCredentialHelper("fake", "garbage.example", { env })).rejects.toThrow(/not JSON/);
    await expect(runCredentialHelper("missing", "x", { env })).rejects.toThrow(/could not be started/);
    await expect(runCredentialHelper("slow", "x", { env, timeoutMs: 200 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    await expect(runCredentialHelper("../evil", "x", { env })).rejects.toThrow(
      /Invalid Docker credential helper name/,
    );
    const abort = new AbortController();
    const pending = runCredentialHelper("slow", "x", { env, signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toThrow(/aborted/);
  });

  it("names the file and the entry for malformed configs", async () => {
    const bad = await configDir("bad-json", "{ not json");
    await expect(dockerConfigCredentials({ configDir: bad, env }).credentialsFor("x")).rejects.toThrow(
      /not valid JSON/,
    );
    const badAuth = await configDir("bad-auth", { auths: { "x.example": { auth: "bm9jb2xvbg==" } } });
    const err = await dockerConfigCredentials({ configDir: badAuth, env })
      .credentialsFor("x.example")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/x\.example/);
    expect((err as Error).message).toMatch(/user:password/);
    const badHelpers = await configDir("bad-helpers", { credHelpers: { a: 5 } });
    await expect(dockerConfigCredentials({ configDir: badHelpers, env }).credentialsFor("a")).rejects.toThrow(
      /credHelpers/,
    );
  });

  it("normalizes the keys docker login writes", () => {
    expect(configKeyToRegistry("https://index.docker.io/v1/")).toBe("docker.io");
    expect(configKeyToRegistry("HTTPS://MyACR.azurecr.io")).toBe("myacr.azurecr.io");
    expect(configKeyToRegistry("127.0.0.1:5000/v2/")).toBe("127.0.0.1:5000");
  });
});
