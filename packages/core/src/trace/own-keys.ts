/**
 * Writing keys that come from outside (env JSON, tags, baggage, patches) into plain objects without
 * JavaScript's special keys taking effect: `obj["__proto__"] = v` would replace the prototype instead
 * of adding a key, and `"constructor" in obj` is true for every object. These helpers keep such keys
 * ordinary, so that validation can see them and say what is wrong with them.
 */

/** Sets an own, enumerable property, also for `__proto__`. Never throws on a plain object. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True when `target` has `key` as an own property (not inherited, as `constructor` is). */
export function hasOwn(target: object, key: string): boolean {
  return Object.hasOwn(target, key);
}

/** The message for a `__proto__` key, which no map of a TraceContext accepts. */
export const PROTO_KEY_MESSAGE =
  'key "__proto__" is not allowed: keys must match /^[a-z][a-z0-9_.-]{0,62}$/ (lowercase, start with a letter)';
