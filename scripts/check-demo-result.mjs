#!/usr/bin/env node
// Checks the result of `pnpm demo --json` (examples/lib/result.ts) and fails loudly on any gap:
//   - the demo finished (ok), with two runs whose images are tagged with their run ids, carry their
//     GIT_SHA and RUN_ID, and have verified signed provenance;
//   - all five sections of the trace answered;
//   - every step passed, with nothing left undone (each gap the demo reports is one failure here);
//   - verify ran, with at least one check, every check passing;
//   - after the rollback, what serves carries the first run's GIT_SHA and RUN_ID: the serving
//     process's answer, and with --k8s the Deployment's live trace too.
//
// Usage: node scripts/check-demo-result.mjs RESULT.json [--allow-gap TEXT]...
//   --allow-gap TEXT  a reported gap containing TEXT is printed as a known gap instead of failing
//                     (for pieces that have not landed yet; each one is listed in the output)
// Exit code: 0 when every check passes, 1 when one fails (each failure is printed), 2 on bad usage.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

let file;
let allowed;
try {
  const { values, positionals } = parseArgs({
    options: { "allow-gap": { type: "string", multiple: true, default: [] } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new Error("expected one result file");
  file = positionals[0];
  allowed = values["allow-gap"];
} catch (err) {
  console.error(
    `check-demo-result: ${err.message}\nUsage: node scripts/check-demo-result.mjs RESULT.json [--allow-gap TEXT]...`,
  );
  process.exit(2);
}

const failures = [];
const known = [];
const passed = [];
const check = (ok, what) => (ok ? passed : failures).push(what);

let result;
try {
  result = JSON.parse(readFileSync(file, "utf8"));
} catch (err) {
  console.error(`check-demo-result: FAIL: ${file} is not a demo result: ${err.message}`);
  process.exit(1);
}

check(
  result.schema === "modeltrail.demo.result/v1",
  `schema is modeltrail.demo.result/v1 (got ${result.schema})`,
);
check(result.ok === true, `the demo finished${result.error ? ` (it failed: ${result.error})` : ""}`);

const runs = Array.isArray(result.runs) ? result.runs : [];
check(runs.length === 2, `two training runs (got ${runs.length})`);
for (const [i, run] of runs.entries()) {
  const n = i + 1;
  check(/^[0-9a-f]{40}$/.test(run.gitSha ?? ""), `run ${n}: a 40-hex GIT_SHA (${run.gitSha})`);
  check(Boolean(run.jobRunId), `run ${n}: a job run id`);
  check(/^[0-9a-f]{32}$/.test(run.mlflowRunId ?? ""), `run ${n}: an MLflow run id`);
  check(
    run.image?.tag === run.jobRunId,
    `run ${n}: image tagged with the run id (${run.image?.tag} vs ${run.jobRunId})`,
  );
  check(/^sha256:[0-9a-f]{64}$/.test(run.image?.digest ?? ""), `run ${n}: image digest`);
  check(
    run.image?.env?.GIT_SHA === run.gitSha && run.image?.env?.RUN_ID === run.jobRunId,
    `run ${n}: image Env carries its GIT_SHA and RUN_ID`,
  );
  check(run.image?.provenance?.verified === true, `run ${n}: signed provenance verified`);
}
if (runs.length === 2) {
  check(runs[0].jobRunId !== runs[1].jobRunId, "the two runs have different run ids");
  check(runs[0].image?.digest !== runs[1].image?.digest, "the two runs have different images");
}

const sections = result.trace?.sections ?? {};
for (const name of ["code", "infrastructure", "environment", "artifacts", "data"]) {
  check(
    sections[name]?.answered === true,
    `trace: the ${name} question answered${sections[name]?.answer ? ` (${sections[name].answer})` : ""}`,
  );
}

for (const step of result.steps ?? [])
  check(
    step.status === "passed" || (step.status === "partial" && step.gaps?.length > 0),
    `step ${step.n} (${step.title}): ${step.status}${step.status === "partial" ? `, ${step.gaps.length} thing(s) not done (below)` : ""}`,
  );
check((result.steps ?? []).length === 7, `seven steps reported (got ${(result.steps ?? []).length})`);
for (const gap of result.gaps ?? []) {
  if (allowed.some((a) => gap.includes(a))) known.push(gap);
  else failures.push(`not done: ${gap}`);
}

const first = runs[0];
const verifyAllowed = (result.gaps ?? []).some(
  (g) => g.includes("verify(") && allowed.some((a) => g.includes(a)),
);
if (result.verify === null && verifyAllowed) {
  // reported above as a known gap
} else {
  const checks = result.verify?.checks ?? [];
  check(checks.length > 0, `verify ran checks (got ${checks.length})`);
  for (const c of checks) check(c.ok === true, `verify: ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
}

const servingAllowed = (result.gaps ?? []).some(
  (g) => g.includes("serving process") && allowed.some((a) => g.includes(a)),
);
if (result.serving === null && servingAllowed) {
  // reported above as a known gap
} else {
  check(
    result.serving?.gitSha === first?.gitSha && result.serving?.runId === first?.jobRunId,
    `after the rollback the serving process answers with run 1's GIT_SHA and RUN_ID (got ${result.serving?.gitSha} / ${result.serving?.runId}, want ${first?.gitSha} / ${first?.jobRunId})`,
  );
}
if (result.deploy?.target === "kubernetes") {
  const final = result.deploy.final;
  check(
    final?.gitSha === first?.gitSha &&
      final?.runId === first?.jobRunId &&
      final?.imageDigest === first?.image?.digest,
    `after the rollback the Deployment runs run 1 (commit, run id, image digest; got ${final?.runId} ${final?.imageDigest})`,
  );
  for (const [i, d] of [...(result.deploy.deployments ?? []), ...(result.deploy.rollbacks ?? [])].entries())
    check(d.matches === true, `kubernetes rollout ${i + 1}: the live trace matches the run deployed`);
}

for (const p of passed) console.log(`ok    ${p}`);
for (const k of known) console.log(`GAP   ${k}  (allowed: not landed yet)`);
for (const f of failures) console.log(`FAIL  ${f}`);
console.log(
  `\ncheck-demo-result: ${passed.length} passed, ${failures.length} failed, ${known.length} known gap(s) allowed`,
);
process.exit(failures.length > 0 ? 1 : 0);
