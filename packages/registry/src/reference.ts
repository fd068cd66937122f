import { ValidationError } from "@modeltrail/core";
import { redactedExcerpt } from "@modeltrail/core/internal";
import { parseDigest } from "./digest.js";

/** The registry that a reference without a registry host names (Docker Hub). */
export const DOCKER_HUB_REGISTRY = "docker.io";
/** The host Docker Hub's registry API answers on. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** Most characters of a repository name together with its registry host (distribution's limit). */
export const MAX_NAME_LENGTH = 255;

/**
 * A parsed image reference: `registry/repository[:tag][@digest]`. `registry` is normalized
 * (Docker Hub aliases become `docker.io`), `repository` has Docker Hub's `library/` prefix when
 * the reference named an official image (`ubuntu` -> `library/ubuntu`).
 */
export interface ImageReference {
  /** Registry host, with the port when given: `myacr.azurecr.io`, `127.0.0.1:5000`, `docker.io`. */
  readonly registry: string;
  /** Repository path: `models/churn`, `library/ubuntu`. */
  readonly repository: string;
  /** The tag, when the reference has one. */
  readonly tag?: string | undefined;
  /** The digest (`sha256:<hex>`), when the reference has one. */
  readonly digest?: string | undefined;
}

/** Options of {@link parseReference}. */
export interface ParseReferenceOptions {
  /**
   * What a reference with neither tag nor digest means: `"latest"` adds the tag `latest` (what a
   * pull does, the default), `"none"` leaves both empty (a repository, for tag listing or a push
   * target).
   */
  defaultTag?: "latest" | "none";
}

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|-+)";
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:.]+(?:%[a-zA-Z0-9._~-]+)?\]$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Parses an image reference by the grammar of the OCI distribution / Docker reference library:
 * `[host[:port]/]path-component[/path-component...][:tag][@algorithm:hex]`. The first component
 * is a registry host when it contains `.` or `:`, is `localhost`, or has an upper-case letter;
 * otherwise the registry is Docker Hub (`docker.io`, with `library/` for one-component names).
 *
 * @throws ValidationError naming the part that is wrong (registry host, port, a repository path
 *   component, the tag or the digest) and the rule it breaks.
 */
export function parseReference(input: string, options: ParseReferenceOptions = {}): ImageReference {
  if (typeof input !== "string" || input.trim() === "") {
    throw refError(
      String(input),
      "reference",
      "is empty",
      "Give an image reference such as registry.example.com/models/churn:1234",
    );
  }
  const ref = input;
  if (ref !== ref.trim() || /\s/.test(ref)) {
    throw refError(
      ref,
      "reference",
      "contains whitespace",
      "Remove spaces and line breaks from the reference",
    );
  }

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    const rawDigest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      digest = parseDigest(rawDigest);
    } catch (err) {
      throw refError(
        ref,
        "digest",
        `"${rawDigest}" ${(err as ValidationError).issues?.[0]?.message ?? "is not a valid digest"}`,
        'A digest is "sha256:" followed by 64 lowercase hexadecimal characters',
      );
    }
  }

  // The tag is after the last ':' that follows the last '/'.
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw refError(
        ref,
        "tag",
        `"${tag}" is not a valid tag`,
        "A tag is 1 to 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'",
      );
    }
  }
  if (rest === "") throw refError(ref, "repository", "is missing", "Name a repository, e.g. models/churn");

  let registry: string;
  let path: string;
  const firstSlash = rest.indexOf("/");
  const first = firstSlash >= 0 ? rest.slice(0, firstSlash) : rest;
  const looksLikeHost =
    firstSlash >= 0 &&
    (first.includes(".") ||
      first.includes(":") ||
      first === "localhost" ||
      first !== first.toLowerCase() ||
      first.startsWith("["));
  if (looksLikeHost) {
    registry = validateHost(ref, first);
    path = rest.slice(firstSlash + 1);
  } else {
    registry = DOCKER_HUB_REGISTRY;
    path = rest;
  }
  if (path === "")
    throw refError(
      ref,
      "repository",
      "is missing after the registry host",
      "Name a repository, e.g. models/churn",
    );

  const components = path.split("/");
  for (const component of components) {
    if (component === "") {
      throw refError(
        ref,
        "repository",
        `"${path}" has an empty path component`,
        "Remove doubled or trailing '/'",
      );
    }
    if (!PATH_COMPONENT.test(component)) {
      const why =
        component !== component.toLowerCase()
          ? "has upper-case letters (repository names are lower case)"
          : "may only hold lower-case letters and digits, separated by '.', '_', '__' or dashes";
      throw refError(
        ref,
        "repository",
        `path component "${component}" ${why}`,
        "Use a name such as models/churn-classifier",
      );
    }
  }
  registry = normalizeRegistry(registry);
  if (registry === DOCKER_HUB_REGISTRY && components.length === 1) path = `library/${path}`;
  if (registry.length + 1 + path.length > MAX_NAME_LENGTH) {
    throw refError(
      ref,
      "repository",
      `the name is longer than ${MAX_NAME_LENGTH} characters`,
      "Use a shorter repository name",
    );
  }
  if (tag === undefined && digest === undefined && (options.defaultTag ?? "latest") === "latest")
    tag = "latest";
  return freezeRef({ registry, repository: path, tag, digest });
}

/** Host name rules of the reference grammar; returns the host as given. */
function validateHost(ref: string, host: string): string {
  let name = host;
  let port: string | undefined;
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0)
      throw refError(
        ref,
        "registry host",
        `"${host}" has an unclosed IPv6 bracket`,
        "Write an IPv6 host as [::1]:5000",
      );
    name = host.slice(0, end + 1);
    const after = host.slice(end + 1);
    if (after !== "") {
      if (!after.startsWith(":"))
        throw refError(
          ref,
          "registry host",
          `"${host}" has text after the IPv6 address`,
          "Write an IPv6 host as [::1]:5000",
        );
      port = after.slice(1);
    }
    if (!IPV6.test(name))
      throw refError(
        ref,
        "registry host",
        `"${name}" is not an IPv6 address`,
        "Write an IPv6 host as [::1]:5000",
      );
  } else {
    const colon = host.indexOf(":");
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    const labels = name.split(".");
    if (name === "" || labels.some((l) => !DOMAIN_COMPONENT.test(l))) {
      throw refError(
        ref,
        "registry host",
        `"${name}" is not a valid host name`,
        "A host is dot-separated labels of letters, digits and inner dashes, e.g. myregistry.azurecr.io",
      );
    }
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!/^[0-9]{1,5}$/.test(port) || n < 1 || n > 65535) {
      throw refError(ref, "port", `"${port}" is not a port number`, "A port is a number from 1 to 65535");
    }
  }
  return host;
}

/** Maps Docker Hub's aliases to `docker.io` and lower-cases a host name (ports and IPv6 kept). */
export function normalizeRegistry(host: string): string {
  const h = host.toLowerCase();
  if (h === "index.docker.io" || h === "registry-1.docker.io" || h === "registry.hub.docker.com")
    return DOCKER_HUB_REGISTRY;
  return h;
}

/**
 * Formats a reference: `registry/repository[:tag][@digest]`. Docker Hub references keep
 * `docker.io/` so that the result names the same image everywhere.
 */
export function formatReference(ref: ImageReference): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag) out += `:${ref.tag}`;
  if (ref.digest) out += `@${ref.digest}`;
  return out;
}

/** The repository part of a reference, `registry/repository`, without tag or digest. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/**
 * Returns a copy of `ref` with a tag or digest (or both) replaced. Validates the tag and digest.
 * @throws ValidationError when the tag or digest is malformed.
 */
export function withReference(
  ref: ImageReference,
  change: { tag?: string | null; digest?: string | null },
): ImageReference {
  let tag = ref.tag;
  let digest = ref.digest;
  if (change.tag !== undefined) {
    if (change.tag !== null && !TAG.test(change.tag)) {
      throw refError(
        `${repositoryName(ref)}:${change.tag}`,
        "tag",
        `"${change.tag}" is not a valid tag`,
        "A tag is 1 to 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'",
      );
    }
    tag = change.tag ?? undefined;
  }
  if (change.digest !== undefined) digest = change.digest === null ? undefined : parseDigest(change.digest);
  return freezeRef({ registry: ref.registry, repository: ref.repository, tag, digest });
}

/** True when `tag` is a valid tag by the distribution grammar. Never throws. */
export function isValidTag(tag: string): boolean {
  return typeof tag === "string" && TAG.test(tag);
}

/** Accepts a reference string or object and returns the parsed object. */
export function toReference(ref: string | ImageReference, options?: ParseReferenceOptions): ImageReference {
  return typeof ref === "string" ? parseReference(ref, options) : ref;
}

function freezeRef(ref: ImageReference): ImageReference {
  const out: ImageReference = { registry: ref.registry, repository: ref.repository };
  if (ref.tag !== undefined) (out as { tag?: string }).tag = ref.tag;
  if (ref.digest !== undefined) (out as { digest?: string }).digest = ref.digest;
  return Object.freeze(out);
}

function refError(ref: string, part: string, problem: string, hint: string): ValidationError {
  return new ValidationError(
    `Invalid image reference "${redactedExcerpt(ref, 300)}": the ${part} ${problem}`,
    {
      issues: [{ path: part, message: problem }],
      hint,
    },
  );
}
