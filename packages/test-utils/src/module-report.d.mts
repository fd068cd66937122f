/** What a module exports, as `describeModule` reports it. */
export interface ModuleReport {
  exports: Record<string, { type: string; name?: string }>;
  errors: Record<string, { chain: string[]; sample?: ErrorReport; constructionFailed?: string }>;
}

/** How one error instance looks to a user. */
export interface ErrorReport {
  name: string;
  code: string;
  isModelTrailError: boolean;
  instanceOfModelTrailError: boolean;
  jsonName: string;
  jsonCode: string;
  stackHead: string;
  inspectHead: string;
  string: string;
  constructorName: string;
}

/** The parts of @modeltrail/core the report needs. */
export interface CoreLike {
  ModelTrailError: abstract new (...args: never[]) => Error;
  ApiError: abstract new (...args: never[]) => Error;
  TimeoutError: abstract new (...args: never[]) => Error;
  NetworkError: abstract new (...args: never[]) => Error;
  ResponseTooLargeError?: abstract new (...args: never[]) => Error;
  isModelTrailError(value: unknown): boolean;
}

/** A sample instance of an error class, built with the constructor shape of its core base class. */
export function sampleError(Cls: abstract new (...args: never[]) => Error, core: CoreLike): Error;
/** Describes one error instance. */
export function describeError(err: Error, core: CoreLike): ErrorReport;
/** Describes a module's exports and its error classes. */
export function describeModule(mod: Record<string, unknown>, core: CoreLike): ModuleReport;
