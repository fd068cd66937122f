import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { ConfigError, ValidationError } from "@modeltrail/core";

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse), as cosign and in-toto write it. */
export interface DsseEnvelope {
  payloadType: string;
  /** The payload, base64. */
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

/** A signing key: a node:crypto KeyObject, or a PEM string/Buffer (PKCS#8 or SEC1). */
export type SigningKey = KeyObject | string | Buffer;
/** A verification key: a KeyObject, or a PEM public key (SPKI, as `cosign.pub`). */
export type VerificationKey = KeyObject | string | Buffer;

/** The DSSE pre-authentication encoding: `DSSEv1 <len> <type> <len> <body>`. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    Buffer.from(payload),
  ]);
}

function keyKind(key: KeyObject): "ed25519" | "ecdsa-p256" {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return "ecdsa-p256";
  throw new ConfigError(
    `Unsupported signing key type ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ""}`,
    {
      hint: "Use an Ed25519 or ECDSA P-256 key (e.g. crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }))",
    },
  );
}

/**
 * Signs a payload into a DSSE envelope with an Ed25519 key or an ECDSA P-256 key (SHA-256, ASN.1
 * DER signature, as cosign expects).
 * @throws ConfigError for another key type or an unreadable key.
 */
export function signDsse(
  payloadType: string,
  payload: Uint8Array,
  key: SigningKey,
  keyid = "",
): DsseEnvelope {
  let k: KeyObject;
  try {
    k = typeof key === "string" || Buffer.isBuffer(key) ? createPrivateKey(key) : key;
  } catch {
    throw new ConfigError("The signing key is not a readable private key (PEM PKCS#8 or SEC1)");
  }
  const kind = keyKind(k);
  const pae = preAuthEncoding(payloadType, payload);
  const sig = kind === "ed25519" ? sign(null, pae, k) : sign("sha256", pae, { key: k, dsaEncoding: "der" });
  return {
    payloadType,
    payload: Buffer.from(payload).toString("base64"),
    signatures: [{ keyid, sig: sig.toString("base64") }],
  };
}

/**
 * Checks that one of an envelope's signatures verifies with `publicKey`; returns the payload.
 * @throws ValidationError when no signature verifies or the envelope is malformed; ConfigError for an unusable key.
 */
export function verifyDsse(envelope: DsseEnvelope, publicKey: VerificationKey): Buffer {
  let k: KeyObject;
  try {
    k =
      typeof publicKey === "string" || Buffer.isBuffer(publicKey)
        ? createPublicKey(publicKey)
        : publicKey.type === "private"
          ? createPublicKey(publicKey)
          : publicKey;
  } catch {
    throw new ConfigError("The verification key is not a readable public key (PEM SPKI, as cosign.pub)");
  }
  const kind = keyKind(k);
  if (
    typeof envelope?.payload !== "string" ||
    typeof envelope.payloadType !== "string" ||
    !Array.isArray(envelope.signatures)
  ) {
    throw new ValidationError("Not a DSSE envelope (payloadType, payload, signatures)");
  }
  const payload = Buffer.from(envelope.payload, "base64");
  const pae = preAuthEncoding(envelope.payloadType, payload);
  for (const s of envelope.signatures) {
    if (typeof s?.sig !== "string") continue;
    const sig = Buffer.from(s.sig, "base64");
    const ok =
      kind === "ed25519"
        ? verify(null, pae, k, sig)
        : verify("sha256", pae, { key: k, dsaEncoding: "der" }, sig);
    if (ok) return payload;
  }
  throw new ValidationError("No signature of the DSSE envelope verifies with the given public key", {
    hint: "The attestation was signed with another key, or it was altered",
  });
}
