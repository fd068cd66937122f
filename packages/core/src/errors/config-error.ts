import { ModelTrailError, type ModelTrailErrorOptions } from "./model-trail-error.js";

/** Options of a ConfigError: which setting was missing or wrong, and where it could come from. */
export interface ConfigErrorOptions extends ModelTrailErrorOptions {
  /** Environment variables or files that would provide the setting, e.g. `["MLFLOW_TRACKING_URI"]`. */
  sources?: string[];
}

/** A setting is missing or malformed. The message names the variable or file that would provide it. */
export class ConfigError extends ModelTrailError {
  /** Variables or files that would provide the missing setting. */
  readonly sources: string[];

  constructor(message: string, options: ConfigErrorOptions = {}) {
    const sources = options.sources ?? [];
    const hint =
      options.hint ??
      (sources.length > 0 ? `Set ${sources.join(" or ")}, or pass the option explicitly` : undefined);
    super("CONFIG_ERROR", message, { ...options, hint });
    this.sources = sources;
  }
}
