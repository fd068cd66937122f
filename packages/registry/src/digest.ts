import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { ValidationError } from "@modeltrail/core";
import { redactedExcerpt } from "@modeltrail/core/internal";

/** Digest algorithms this package computes and verifies, with the length of their hex encoding. */
export const DIGEST_ALGORITHMS = { sha256: 64, sha512: 128 } as const;

/** A digest algorithm this package can verify. */
export type DigestAlgorithm = keyof typeof DIGEST_ALGORITHMS;

/**
 * Checks a digest string (`sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`) and returns it.
 * @throws ValidationError saying what is wrong: unknown algorithm, wrong length, upper case, other characters.
 */
export function parseDigest(value: string): string {
  const fail = (message: string) =>
    new ValidationError(`Invalid digest "${redactedExcerpt(String(value), 200)}"`, {
      issues: [{ path: "digest", message }],
      hint: 'A digest is "sha256:" followed by 64 lowercase hexadecimal characters',
    });
  if (typeof value !== "string") throw fail("must be a string");
  const colon = value.indexOf(":");
  if (colon <= 0) throw fail('must be "<algorithm>:<hex>"');
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  const length = DIGEST_ALGORITHMS[algorithm as DigestAlgorithm];
  if (length === undefined)
    throw fail(`uses the unsupported algorithm "${algorithm}" (supported: sha256, sha512)`);
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw fail("has characters other than hexadecimal digits");
  if (hex !== hex.toLowerCase()) throw fail("must use lower-case hexadecimal digits");
  if (hex.length !== length)
    throw fail(`must have ${length} hexadecimal digits after "${algorithm}:", not ${hex.length}`);
  return value;
}

/** True when `value` is a valid digest (see {@link parseDigest}). Never throws. */
export function isDigest(value: unknown): value is string {
  try {
    parseDigest(value as string);
    return true;
  } catch {
    return false;
  }
}

/** The algorithm and hex part of a valid digest. */
export function splitDigest(digest: string): { algorithm: DigestAlgorithm; hex: string } {
  parseDigest(digest);
  const colon = digest.indexOf(":");
  return { algorithm: digest.slice(0, colon) as DigestAlgorithm, hex: digest.slice(colon + 1) };
}

/** The sha256 digest (`sha256:<hex>`) of some bytes. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** A hash for the algorithm of `digest`. */
export function hasherFor(digest: string): Hash {
  return createHash(splitDigest(digest).algorithm);
}

/**
 * Checks bytes against a digest and an optional size.
 * @throws ValidationError naming `what` when the size or digest differs.
 */
export function verifyBytes(
  data: Uint8Array,
  expected: { digest: string; size?: number | undefined },
  what: string,
): void {
  if (expected.size !== undefined && data.length !== expected.size) {
    throw sizeMismatch(what, expected.size, data.length);
  }
  const actual = `${splitDigest(expected.digest).algorithm}:${hasherFor(expected.digest).update(data).digest("hex")}`;
  if (actual !== expected.digest) throw digestMismatch(what, expected.digest, actual);
}

/** The error for content whose digest differs from the one expected. */
export function digestMismatch(what: string, expected: string, actual: string): ValidationError {
  return new ValidationError(`${what}: content digest ${actual} does not match the expected ${expected}`, {
    issues: [{ path: "digest", message: `expected ${expected}, got ${actual}` }],
    hint: "The content was corrupted or replaced in transit or at rest; nothing was kept. Retry, and check the registry or layout if it persists",
  });
}

/** The error for content whose size differs from the one declared. */
export function sizeMismatch(
  what: string,
  expected: number,
  actual: number,
  atLeast = false,
): ValidationError {
  return new ValidationError(
    `${what}: ${atLeast ? "at least " : ""}${actual} bytes arrived where the descriptor declares ${expected}`,
    {
      issues: [
        { path: "size", message: `expected ${expected} bytes, got ${atLeast ? "more than " : ""}${actual}` },
      ],
      hint: "The server sent a different size than declared; nothing was kept",
    },
  );
}

/**
 * A pass-through stream that hashes what flows through it, fails as soon as more than `size`
 * bytes arrived, and at the end fails unless exactly `size` bytes with digest `digest` arrived.
 * Errors are ValidationErrors naming `what`. `initial` continues a hash of bytes seen before (a
 * resumed download).
 */
export class DigestVerifier extends Transform {
  /** Bytes seen so far (including `initialBytes`). */
  bytes: number;
  private readonly hash: Hash;
  private readonly expected: { digest: string; size?: number | undefined };
  private readonly what: string;

  constructor(
    expected: { digest: string; size?: number | undefined },
    what: string,
    initial?: { hash: Hash; bytes: number },
  ) {
    super();
    this.expected = expected;
    this.what = what;
    this.hash = initial?.hash ?? hasherFor(expected.digest);
    this.bytes = initial?.bytes ?? 0;
  }

  /** The running hash (for resuming after an interruption: it holds the bytes seen so far). */
  get runningHash(): Hash {
    return this.hash;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expected.size !== undefined && this.bytes > this.expected.size) {
      callback(sizeMismatch(this.what, this.expected.size, this.bytes, true));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expected.size !== undefined && this.bytes !== this.expected.size) {
      callback(sizeMismatch(this.what, this.expected.size, this.bytes));
      return;
    }
    const actual = `${splitDigest(this.expected.digest).algorithm}:${this.hash.digest("hex")}`;
    if (actual !== this.expected.digest) {
      callback(digestMismatch(this.what, this.expected.digest, actual));
      return;
    }
    callback();
  }
}
