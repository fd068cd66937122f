// Prints vitest JSON results as one plain closing line: "<label>: N passed, N failed, N skipped".
// Exits 1 when a test failed, a suite failed to load, or no test ran at all.
// Usage: node scripts/test-summary.mjs LABEL results.json [more.json ...]
import { readFileSync } from "node:fs";

const [label, ...files] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenSuites = 0;
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
  brokenSuites += (report.testResults ?? []).filter(
    (s) => s.status === "failed" && s.assertionResults?.length === 0,
  ).length;
}
if (brokenSuites > 0) console.log(`${label}: ${brokenSuites} test file(s) failed to load`);
console.log(`${label}: ${passed} passed, ${failed + brokenSuites} failed, ${skipped} skipped`);
process.exit(failed + brokenSuites > 0 || passed === 0 ? 1 : 0);
