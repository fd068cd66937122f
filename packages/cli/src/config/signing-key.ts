import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../cli/usage-error.js";

/** The signing key file: `--signing-key`, else `MODELTRAIL_SIGNING_KEY`; undefined when neither is set. */
export function signingKeyFile(
  opts: { signingKey?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return opts.signingKey ?? (env.MODELTRAIL_SIGNING_KEY?.trim() || undefined);
}

const KEY_HINT =
  "give --signing-key FILE (or MODELTRAIL_SIGNING_KEY): an unencrypted PEM private key, PKCS#8 or SEC1, Ed25519 or ECDSA P-256 (e.g. openssl genpkey -algorithm ed25519 -out signing.key; its public half, openssl pkey -in signing.key -pubout, is what deploy --public-key takes)";

/**
 * Reads the private key provenance is signed with: an unencrypted PEM key (PKCS#8, or SEC1 for
 * EC), Ed25519 or ECDSA P-256, the key types the DSSE signer takes. The errors name the file and
 * what is wrong with it, never the key's bytes (not even a parser's message about them).
 * @throws UsageError (exit 2) for a file that cannot be read, an encrypted key (cosign's
 *   `ENCRYPTED SIGSTORE PRIVATE KEY` or an encrypted PKCS#8 one), a public key, anything that
 *   does not parse as a private key, or another key type.
 */
export async function readSigningKey(file: string, cwd: string): Promise<KeyObject> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`Cannot read the signing key ${path}: ${code}`, { hint: KEY_HINT });
  }
  if (/-----BEGIN ENCRYPTED [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new UsageError(
      `The signing key ${path} is encrypted (${/SIGSTORE/.test(text) ? "a cosign key" : "PKCS#8 with a password"}); modeltrail signs with an unencrypted key only`,
      {
        hint: "keep the key in a CI secret and give it unencrypted: for a PKCS#8 key, openssl pkcs8 -in KEY -out signing.key; a cosign-encrypted key cannot be decrypted here, so generate a new pair (openssl genpkey -algorithm ed25519) and publish its public half",
      },
    );
  if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(text) && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new UsageError(
      `The signing key ${path} is a public key; signing needs the private key it belongs to`,
      {
        hint: "give the private key to image build --signing-key, and the public key to deploy --public-key",
      },
    );
  let key: KeyObject;
  try {
    // no passphrase: an encrypted key fails here rather than prompting
    key = createPrivateKey({ key: text, format: "pem", passphrase: "" });
  } catch {
    throw new UsageError(
      `The signing key ${path} is not a readable PEM private key (cut short, or not a key)`,
      { hint: KEY_HINT },
    );
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== "ed25519" && !(key.asymmetricKeyType === "ec" && curve === "prime256v1"))
    throw new UsageError(
      `The signing key ${path} is ${key.asymmetricKeyType ?? "an unknown type"}${curve ? ` (${curve})` : ""}; provenance is signed with Ed25519 or ECDSA P-256`,
      { hint: KEY_HINT },
    );
  return key;
}
