import { ValidationError } from "@modeltrail/core";

/** A container image reference, split into its parts. */
export interface ImageRef {
  /** Registry and repository, e.g. `myacr.azurecr.io/models/churn`. */
  name: string;
  tag: string | undefined;
  digest: string | undefined;
}

const NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+|__)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses an image reference (`[registry[:port]/]repo[:tag][@sha256:<64 hex>]`) as the OCI
 * distribution reference grammar has it. Throws ValidationError saying which part is wrong.
 */
export function parseImageRef(ref: string): ImageRef {
  const bad = (message: string) =>
    new ValidationError(`Invalid image reference "${ref}": ${message}`, {
      hint: "Use registry/repository[:tag][@sha256:<64 hex digits>], e.g. myacr.azurecr.io/models/churn:1795788642450001",
    });
  if (ref.length === 0 || ref.length > 512 || /\s/.test(ref))
    throw bad("it is empty, too long or contains whitespace");
  const at = ref.indexOf("@");
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  const rest = at === -1 ? ref : ref.slice(0, at);
  if (digest !== undefined && !DIGEST.test(digest))
    throw bad('the digest must be "sha256:" and 64 lowercase hex digits');
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  const tag = colon > slash ? rest.slice(colon + 1) : undefined;
  const name = colon > slash ? rest.slice(0, colon) : rest;
  if (tag !== undefined && !TAG.test(tag))
    throw bad(`the tag "${tag}" is not valid ([A-Za-z0-9_.-], at most 128 characters)`);
  const first = name.indexOf("/");
  const head = first === -1 ? undefined : name.slice(0, first);
  const hasDomain =
    head !== undefined &&
    (head.includes(".") || head.includes(":") || head === "localhost" || /[A-Z]/.test(head));
  const path = hasDomain ? name.slice(first + 1) : name;
  if (hasDomain && !DOMAIN.test(head!)) throw bad(`the registry "${head}" is not a valid host[:port]`);
  if (!NAME.test(path))
    throw bad(`the repository "${path}" must be lowercase path components of [a-z0-9._-]`);
  return { name, tag, digest };
}

/** Renders an image reference: `name[:tag][@digest]`. Never throws. */
export function formatImageRef(ref: ImageRef): string {
  return `${ref.name}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
