/**
 * The exit codes of the `modeltrail` command. They are part of its interface: scripts and CI gates
 * rely on them, so they never change meaning.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | the command did what was asked |
 * | 1 | it failed (a service error, a failed run or rollout, bad configuration, ...) |
 * | 2 | usage error: unknown command or option, missing or malformed argument |
 * | 3 | `verify` ran and at least one check failed, or `deploy --verify`'s gate refused the image |
 * | 4 | `reproduce` ran the training again and something differs from the original |
 * | 130 | interrupted (Ctrl-C) |
 */
export const EXIT_CODES = Object.freeze({
  ok: 0,
  failure: 1,
  usage: 2,
  /** `verify` found a failing check, or the deploy gate refused the image (nothing deployed). */
  verifyFailed: 3,
  reproduceDiffers: 4,
  interrupted: 130,
});

/** One of the {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
