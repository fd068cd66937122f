// Used by check-packages.mjs; tested in packages/test-utils/test/dependency-ranges.test.ts.

/**
 * What a published manifest declares too tightly: a runtime dependency pinned to one version (or
 * given as a URL, path or tag) instead of a semver range. Sibling packages (`workspace:*`) are exact
 * on purpose: they use `@modeltrail/core/internal`, which has no semver promise.
 */
export function dependencyRangeProblems(manifest) {
  const problems = [];
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
      if (spec.startsWith("workspace:")) continue;
      const range = /^(\^|~|>=)\s*\d+(\.\d+){0,2}(-[\w.]+)?(\s*<\s*\d+(\.\d+){0,2})?$/.test(spec);
      if (!range)
        problems.push(
          `${field}.${dep} is "${spec}": declare a range (e.g. "^${spec.replace(/^[=v\s]+/, "")}") so users' trees can share one copy; the lockfile pins what CI tests`,
        );
    }
  }
  return problems;
}
