import { InvalidArgumentError } from "commander";

/**
 * Parsers for option values. Each throws commander's InvalidArgumentError, which the CLI reports as
 * a usage error (exit code 2) naming the option and the value.
 */

/** Collects `KEY=VALUE` pairs of a repeatable option into a record (the last one for a key wins). */
export function keyValue(
  value: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got "${value}"`);
  return { ...(previous ?? {}), [value.slice(0, eq).trim()]: value.slice(eq + 1) };
}

/** Collects the values of a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A positive integer (`--replicas 3`, `--limit 20`). */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return Number(value);
}

/** A TCP port (1-65535). */
export function port(value: string): number {
  const n = positiveInt(value);
  if (n > 65535) throw new InvalidArgumentError(`expected a port (1-65535), got "${value}"`);
  return n;
}

/** A Databricks job id: a positive decimal number. */
export function jobId(value: string): number {
  if (!/^\d{1,18}$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError(
      `expected a Databricks job id (a positive decimal number), got "${value}"`,
    );
  return Number(value);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration: `500ms`, `30s`, `10m`, `2h`, or a number of seconds. Returns milliseconds. */
export function duration(value: string): number {
  const m = DURATION.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration such as 90s, 10m or 1h, got "${value}"`);
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000);
  if (!Number.isFinite(ms) || ms < 1 || ms > 7 * 24 * 3_600_000)
    throw new InvalidArgumentError(`expected a duration between 1ms and 7 days, got "${value}"`);
  return Math.round(ms);
}

/** A 40-character git commit SHA, or a prefix of at least 4 hexadecimal characters. */
export function gitShaPrefix(value: string): string {
  const v = value.trim().toLowerCase();
  if (!/^[0-9a-f]{4,40}$/.test(v))
    throw new InvalidArgumentError(
      `expected a git commit SHA (4 to 40 hexadecimal characters), got "${value}"`,
    );
  return v;
}

/** A run id of either kind: a Databricks job run id (decimal) or an MLflow run id (32 hex characters). */
export function runId(value: string): string {
  const v = value.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(v))
    throw new InvalidArgumentError(
      `expected a run id (a Databricks job run id such as 1795788642450001, or a 32-character MLflow run id), got "${value}"`,
    );
  return v;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got "${value}"`);
    return value as T;
  };
}
