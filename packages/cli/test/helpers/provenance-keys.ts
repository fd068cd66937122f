import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TraceContext } from "@modeltrail/core";
import { attachLayoutProvenance, modelProvenance } from "@modeltrail/registry";

/** The deploy gate tests' keys: the one provenance is signed with, and another one. */
export interface ProvenanceKeys {
  signing: { privateKey: KeyObject; publicKey: KeyObject };
  other: { privateKey: KeyObject; publicKey: KeyObject };
  /** The signing key's public half as PEM (what `cosign.pub` holds). */
  publicPem: string;
  /** The signing key itself as unencrypted PEM PKCS#8 (what `signing.key` holds). */
  privatePem: string;
  /** Writes `cosign.pub` (the signing key's), `other.pub` and `signing.key` (0600) into a directory. */
  write(dir: string): Promise<void>;
}

/** Two fresh Ed25519 key pairs, as `cosign generate-key-pair` would give. */
export function provenanceKeys(): ProvenanceKeys {
  const signing = generateKeyPairSync("ed25519");
  const other = generateKeyPairSync("ed25519");
  const pem = (k: KeyObject) => k.export({ type: "spki", format: "pem" }).toString();
  return {
    signing,
    other,
    publicPem: pem(signing.publicKey),
    privatePem: signing.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    async write(dir) {
      await writeFile(join(dir, "cosign.pub"), pem(signing.publicKey));
      await writeFile(join(dir, "other.pub"), pem(other.publicKey));
      await writeFile(
        join(dir, "signing.key"),
        signing.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        { mode: 0o600 },
      );
    },
  };
}

/** Signs the provenance of an image of an OCI layout and stores it there, as `cosign attest --key` would. */
export async function signLayoutImage(
  layout: string,
  digest: string,
  ctx: TraceContext,
  privateKey: KeyObject,
): Promise<void> {
  await attachLayoutProvenance(
    layout,
    digest,
    modelProvenance({ image: { repository: `oci:${layout}`, digest }, ctx }),
    privateKey,
  );
}
