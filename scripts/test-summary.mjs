// Prints vitest JSON results as one plain closing line: "<label>: N passed, N failed, N skipped".
// Exits 1 when a test failed, a suite failed to load, or no test ran at all.
// Usage: node scripts/test-summary.mjs LABEL results.json [more.json ...]
import { readFileSync } from "node:fs";

const [label, ...files] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenSuites = 0;
/** Failed tests and suites, printed last so that the tail of a CI log names them. */
const failures = [];
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    console.error(`${label}: cannot read test results ${file}: ${err.message}`);
    process.exit(1);
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    if (suite.status === "failed" && (suite.assertionResults?.length ?? 0) === 0) {
      brokenSuites += 1;
      failures.push(`${suite.name}: ${firstLine(suite.message)}`);
    }
    for (const test of suite.assertionResults ?? []) {
      if (test.status === "failed") {
        failures.push(`${suite.name} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
      }
    }
  }
}
for (const failure of failures) console.log(`${label}: FAILED ${failure}`);
if (brokenSuites > 0) console.log(`${label}: ${brokenSuites} test file(s) failed to load`);
console.log(`${label}: ${passed} passed, ${failed + brokenSuites} failed, ${skipped} skipped`);
process.exit(failed + brokenSuites > 0 || passed === 0 ? 1 : 0);

/** The first non-empty line of a failure message, cut to 300 characters. */
function firstLine(message) {
  const line =
    String(message ?? "")
      .split("\n")
      .find((l) => l.trim() !== "") ?? "(no message)";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
