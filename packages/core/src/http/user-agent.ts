import { VERSION } from "../version.js";

/** The user agent modeltrail sends: `modeltrail/<version> node/<version> (<platform>; <arch>)` plus an optional product. */
export function userAgent(product?: string): string {
  const base = `modeltrail/${VERSION} node/${process.versions.node} (${process.platform}; ${process.arch})`;
  return product ? `${base} ${product}` : base;
}
