// Describes what a module exports, in a form that can be compared between a package's sources and its
// built dist (ESM and CJS): every export's type and `name`, and for every error class one sample
// instance's name, code, brand and how it prints. Plain JavaScript, so that a bare `node` (any
// version) can run it on dist without a TypeScript loader; see dist-probe.mjs.
import { inspect } from "node:util";

/**
 * A sample instance of an error class, built with the constructor shape of its core base class.
 * `core` is the @modeltrail/core module the class belongs to (the same build).
 */
export function sampleError(Cls, core) {
  const is = (Base) => Cls === Base || Cls.prototype instanceof Base;
  if (is(core.ApiError)) {
    return new Cls({ service: "probe", status: 500, method: "GET", url: "http://127.0.0.1/probe" });
  }
  if (core.ResponseTooLargeError && is(core.ResponseTooLargeError)) {
    return new Cls({ service: "probe", method: "GET", url: "http://127.0.0.1/probe", limitBytes: 1024 });
  }
  if (is(core.TimeoutError)) return new Cls("probe message", 1000);
  if (is(core.NetworkError)) return new Cls("probe message", "ECONNRESET");
  if (Cls === core.ModelTrailError) return new Cls("CONFIG_ERROR", "probe message");
  return new Cls("probe message");
}

/** The class names from `Cls` up to (and including) `Error`. */
function classChain(Cls) {
  const names = [];
  for (let c = Cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    names.push(c.name);
    if (c === Error) break;
  }
  return names;
}

function firstLine(text) {
  return String(text).split("\n")[0];
}

/** Describes one error instance: the fields a user sees. */
export function describeError(err, core) {
  const json = typeof err.toJSON === "function" ? err.toJSON() : {};
  return {
    name: err.name,
    code: err.code,
    isModelTrailError: core.isModelTrailError(err),
    instanceOfModelTrailError: err instanceof core.ModelTrailError,
    jsonName: json.name,
    jsonCode: json.code,
    stackHead: firstLine(err.stack),
    inspectHead: firstLine(inspect(err)),
    string: String(err),
    constructorName: err.constructor.name,
  };
}

/**
 * Describes a module's exports: `exports` maps every export to its type and (for functions and
 * classes) its `name`; `errors` maps every exported error class (a subclass of core's
 * ModelTrailError) to its class chain and a sample instance's description.
 */
export function describeModule(mod, core) {
  const exports = {};
  const errors = {};
  for (const key of Object.keys(mod).sort()) {
    if (key === "__esModule" || key === "default") continue;
    const value = mod[key];
    exports[key] =
      typeof value === "function" ? { type: "function", name: value.name } : { type: typeof value };
    const isError =
      typeof value === "function" &&
      value.prototype !== undefined &&
      (value === core.ModelTrailError || value.prototype instanceof core.ModelTrailError);
    if (!isError) continue;
    try {
      errors[key] = { chain: classChain(value), sample: describeError(sampleError(value, core), core) };
    } catch (err) {
      errors[key] = { chain: classChain(value), constructionFailed: String(err) };
    }
  }
  return { exports, errors };
}
