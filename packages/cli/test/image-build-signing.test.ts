/**
 * `modeltrail image build --signing-key` without the servers: a key that cannot sign is a usage
 * error (exit 2, one line and a hint) before anything is read or built, naming the file and never
 * the key; and the action's `signing-key` input (PEM text written to a private file for the step
 * and removed, masked; or a path). Signing itself (into an OCI layout, into a registry, then the
 * deploy gate) is tested against real servers in deploy-gate.int.test.ts and cli-pipeline.int.test.ts.
 */

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeActionCredentials } from "../src/action/action-credentials.js";
import { readActionInputs, secretInputValues } from "../src/action/action-inputs.js";
import { readSigningKey } from "../src/config/signing-key.js";
import { runCaptured } from "./helpers/run-cli-capture.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-signing-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const pkcs8 = (k: KeyObject) => k.export({ type: "pkcs8", format: "pem" }).toString();
const ed25519 = generateKeyPairSync("ed25519");
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ED_PEM = pkcs8(ed25519.privateKey);

/** The base64 lines of a PEM text: what must never be printed or thrown. */
const bodyLines = (pem: string) => pem.split("\n").filter((l) => l.length >= 8 && !l.startsWith("-----"));

/** Every key of a bad kind, as a file's text; the expected message. */
function badKeys(): Array<[string, string, RegExp]> {
  const halves = ED_PEM.split("\n");
  const cut = halves.slice(0, Math.ceil(halves.length / 2)).join("\n");
  const p256Pem = pkcs8(p256.privateKey);
  const p256Cut = p256Pem.slice(0, Math.floor(p256Pem.length / 2));
  return [
    ["an Ed25519 key cut in half", cut, /is not a readable PEM private key/],
    ["a P-256 key cut in half (mid-line)", p256Cut, /is not a readable PEM private key/],
    ["an empty file", "", /is not a readable PEM private key/],
    ["text that is no key", "password: hunter2-s3cr3t-v4lue\n", /is not a readable PEM private key/],
    [
      "a public key",
      ed25519.publicKey.export({ type: "spki", format: "pem" }).toString(),
      /is a public key; signing needs the private key/,
    ],
    [
      "an RSA key",
      pkcs8(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey),
      /is rsa; provenance is signed with Ed25519 or ECDSA P-256/,
    ],
    [
      "a P-384 key",
      pkcs8(generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey),
      /is ec \(secp384r1\); provenance is signed with Ed25519 or ECDSA P-256/,
    ],
    [
      "an encrypted PKCS#8 key",
      ed25519.privateKey
        .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw-1234" })
        .toString(),
      /is encrypted \(PKCS#8 with a password\); modeltrail signs with an unencrypted key only/,
    ],
    [
      "an encrypted cosign key",
      `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(
        JSON.stringify({
          kdf: { name: "scrypt" },
          cipher: { name: "nacl/secretbox" },
          ciphertext: "c2VjcmV0LWJ5dGVzLWhlcmU=",
        }),
      )
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`,
      /is encrypted \(a cosign key\); modeltrail signs with an unencrypted key only/,
    ],
  ];
}

const build = (keyArgs: string[], env: Record<string, string> = {}, extra: string[] = []) =>
  runCaptured(
    [...extra, "image", "build", "--run-id", "1795788642450001", "--layout", "images", ...keyArgs],
    { env: { MODELTRAIL_HOME: join(work, "home"), ...env }, cwd: work },
  );

describe("image build --signing-key: a key that cannot sign", () => {
  it.each(badKeys())(
    "%s: exit 2, one line naming the file and a hint, no key material",
    async (name, text, message) => {
      const file = join(work, `${name.replace(/\W+/g, "-")}.key`);
      await writeFile(file, text, { mode: 0o600 });
      const secrets = [...bodyLines(text), ...(text.includes("hunter2") ? ["hunter2-s3cr3t-v4lue"] : [])];

      const r = await build(["--signing-key", file]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^modeltrail image build: error: The signing key /);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^hint: /);
      expect(r.stdout).toBe("");
      expect(existsSync(join(work, "images"))).toBe(false); // nothing built

      // --json and --debug (the stack) say no more of the key either
      const json = await build(["--signing-key", file], {}, ["--json"]);
      expect(json.code).toBe(2);
      expect(json.json().error).toMatchObject({ code: "USAGE" });
      const debug = await build(["--signing-key", file], {}, ["--debug"]);
      expect(debug.code).toBe(2);
      const thrown = await readSigningKey(file, work).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(thrown).toBeInstanceOf(Error);
      const everything = [
        r.stdout,
        r.stderr,
        json.stdout,
        json.stderr,
        debug.stdout,
        debug.stderr,
        inspect(thrown, { depth: 10, showHidden: true }),
        JSON.stringify(thrown),
        String((thrown as Error).stack),
      ].join("\n");
      for (const secret of secrets) expect(everything).not.toContain(secret);
    },
  );

  it("a file that cannot be read: its path and errno", async () => {
    const r = await build(["--signing-key", "missing.key"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^modeltrail image build: error: Cannot read the signing key .*missing\.key: ENOENT$/m,
    );
    expect(r.stderr).toMatch(/^hint: give --signing-key FILE \(or MODELTRAIL_SIGNING_KEY\)/m);
  });

  it("MODELTRAIL_SIGNING_KEY stands for --signing-key", async () => {
    const r = await build([], { MODELTRAIL_SIGNING_KEY: "from-env.key" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot read the signing key .*from-env\.key: ENOENT/);
    // the flag wins over the variable
    const both = await build(["--signing-key", "from-flag.key"], { MODELTRAIL_SIGNING_KEY: "from-env.key" });
    expect(both.stderr).toMatch(/from-flag\.key: ENOENT/);
  });

  it("reads the keys that sign: Ed25519 PKCS#8, P-256 PKCS#8 and SEC1", async () => {
    const cases: Array<[string, string, string]> = [
      ["ed.key", ED_PEM, "ed25519"],
      ["p256.key", pkcs8(p256.privateKey), "ec"],
      ["p256-sec1.key", p256.privateKey.export({ type: "sec1", format: "pem" }).toString(), "ec"],
    ];
    for (const [file, text, type] of cases) {
      await writeFile(join(work, file), text, { mode: 0o600 });
      const key = await readSigningKey(file, work);
      expect(key.type).toBe("private");
      expect(key.asymmetricKeyType).toBe(type);
    }
    // past the key, the build goes on to MLflow (not configured here): the key was accepted
    const r = await build(["--signing-key", "ed.key"]);
    expect(r.stderr).not.toMatch(/signing key/);
  });
});

describe("the action's signing-key input", () => {
  const actionEnv = (key: string) => ({ INPUT_COMMAND: "image build", "INPUT_SIGNING-KEY": key });

  it("PEM text: masked line by line, written to a private file under RUNNER_TEMP for the step, then removed", async () => {
    const runnerTemp = await mkdtemp(join(work, "runner-"));
    const env = { ...actionEnv(ED_PEM), RUNNER_TEMP: runnerTemp };
    const masked = secretInputValues(env);
    expect(masked).toContain(ED_PEM.trim());
    for (const line of bodyLines(ED_PEM)) expect(masked).toContain(line);

    const inputs = readActionInputs(env);
    expect(inputs.argv).toEqual(["image", "build"]);
    const creds = await writeActionCredentials(inputs, env);
    const file = creds.env.MODELTRAIL_SIGNING_KEY!;
    expect(file.startsWith(`${runnerTemp}/`)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(file, ".."))).mode & 0o777).toBe(0o700);
    expect(await readFile(file, "utf8")).toBe(`${ED_PEM.trim()}\n`);
    expect((await readSigningKey(file, work)).asymmetricKeyType).toBe("ed25519");
    await creds.remove();
    expect(await readdir(runnerTemp)).toEqual([]);
  });

  it("a path: passed as MODELTRAIL_SIGNING_KEY, nothing written, not masked", async () => {
    const runnerTemp = await mkdtemp(join(work, "runner-"));
    const env = { ...actionEnv("keys/signing.key"), RUNNER_TEMP: runnerTemp };
    expect(secretInputValues(env)).toEqual([]);
    const creds = await writeActionCredentials(readActionInputs(env), env);
    expect(creds.env).toEqual({ MODELTRAIL_SIGNING_KEY: "keys/signing.key" });
    expect(await readdir(runnerTemp)).toEqual([]);
    await creds.remove();
  });
});
