import { ValidationError } from "@modeltrail/core";

/**
 * A command line that cannot be run as written: a malformed option value, a missing argument, two
 * options that exclude each other. The command exits with code 2 and names the option at fault.
 */
export class UsageError extends ValidationError {
  constructor(message: string, options: { hint?: string | undefined } = {}) {
    super(message, options.hint === undefined ? {} : { hint: options.hint });
    this.name = "UsageError";
  }
}
