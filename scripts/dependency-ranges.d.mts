/** The problems of a published manifest whose runtime dependencies are pinned instead of ranged. */
export function dependencyRangeProblems(manifest: {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}): string[];
