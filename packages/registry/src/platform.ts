import { NotFoundError, ValidationError } from "@modeltrail/core";
import type { Descriptor, ImageIndex, Platform } from "./manifest-schemas.js";

/** The platform an index entry is chosen for: `os`, `architecture`, optional `variant`. */
export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

const NODE_ARCH: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
};

/** The platform of this process in OCI terms (`linux/amd64`, `linux/arm64`, ...). */
export function currentPlatform(): PlatformSpec {
  return {
    os: process.platform === "win32" ? "windows" : process.platform,
    architecture: NODE_ARCH[process.arch] ?? process.arch,
  };
}

/**
 * Parses `os/architecture[/variant]`.
 * @throws ValidationError for anything else.
 */
export function parsePlatform(value: string): PlatformSpec {
  const parts = value.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new ValidationError(`Invalid platform "${value}"`, {
      hint: "Write a platform as os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8",
    });
  }
  return { os: parts[0]!, architecture: parts[1]!, variant: parts[2] };
}

/** `os/architecture[/variant]`. */
export function formatPlatform(p: PlatformSpec | Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Normalized variant: `arm64` means `v8` when none is given, `arm` means `v7`. */
function variantOf(p: { architecture: string; variant?: string | undefined }): string | undefined {
  if (p.variant) return p.variant;
  if (p.architecture === "arm64") return "v8";
  if (p.architecture === "arm") return "v7";
  return undefined;
}

/** True when the index entry's platform serves `wanted`. */
export function platformMatches(entry: Platform | undefined, wanted: PlatformSpec): boolean {
  if (!entry) return false;
  if (entry.os !== wanted.os || entry.architecture !== wanted.architecture) return false;
  const want = variantOf(wanted);
  return want === undefined || variantOf(entry) === want;
}

/**
 * Picks the manifest of `platform` from an index (an OCI image index or Docker manifest list),
 * skipping attestation entries (`vnd.docker.reference.type` annotations, `unknown/unknown`).
 * @throws NotFoundError listing the platforms the index offers when none matches.
 */
export function selectPlatform(index: ImageIndex, platform: PlatformSpec, what: string): Descriptor {
  const candidates = index.manifests.filter(
    (m) => m.annotations?.["vnd.docker.reference.type"] === undefined && m.platform?.os !== "unknown",
  );
  const match = candidates.find((m) => platformMatches(m.platform, platform));
  if (match) return match;
  const offered = candidates.map((m) => (m.platform ? formatPlatform(m.platform) : "(no platform)"));
  throw new NotFoundError({
    service: "oci-registry",
    status: 404,
    method: "GET",
    url: what,
    message: `${what} has no manifest for platform ${formatPlatform(platform)}; it offers ${offered.length > 0 ? offered.join(", ") : "no platforms"}`,
    hint: "Pass the platform option with one of the offered platforms",
  });
}
