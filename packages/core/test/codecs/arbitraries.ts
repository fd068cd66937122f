import fc from "fast-check";
import { createTraceContext, type TraceContext, type TraceContextInput } from "../../src/index.js";

/** Characters that stress every codec: separators, escapes, non-ASCII, emoji. */
const tricky = fc.constantFrom(
  "a",
  "Z",
  "0",
  "9",
  "-",
  ".",
  "_",
  " ",
  "%",
  ",",
  ";",
  "=",
  '"',
  "\\",
  "/",
  ":",
  "@",
  "#",
  "?",
  "é",
  "ß",
  "😀",
  "中",
  "+",
  "'",
  "~",
);

/** A valid trimmed, non-empty, printable string. */
export const textArb = (maxLength = 24): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(tricky, fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 })), {
      minLength: 1,
      maxLength,
    })
    .map((chars) => chars.join(""))
    .filter((s) => s.trim() === s && s.length > 0 && !/[\p{Cc}\p{Cs}]/u.test(s));

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
/** Decimal ids shaped like Databricks' (job, job run, task run). */
export const decimalIdArb: fc.Arbitrary<string> = fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String);
/** 32 lowercase hex characters, the shape of an MLflow run id. */
export const mlflowRunIdArb: fc.Arbitrary<string> = hex(32);
/**
 * Any run id: decimal, MLflow-shaped (also as a job run id, the case shape alone gets wrong), or any
 * other text (`local-<uuid>`, odd characters).
 */
export const anyRunIdArb: fc.Arbitrary<string> = fc.oneof(decimalIdArb, mlflowRunIdArb, textArb());
const key = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,15}$/);
const map = fc.dictionary(key, textArb(), { maxKeys: 4 });

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Arbitrary valid `createTraceContext` input, every section and field optional. */
export const traceInputArb: fc.Arbitrary<TraceContextInput> = fc.record(
  {
    code: fc.record(
      { gitSha: hex(40), repoUrl: textArb(), branch: textArb(), dirty: fc.boolean() },
      { requiredKeys: [] },
    ),
    ci: fc.record(
      {
        provider: fc.oneof(fc.constantFrom("github-actions", "azure-pipelines", "local"), textArb()),
        runId: textArb(),
        runAttempt: textArb(3),
        runUrl: textArb(),
        workflow: textArb(),
      },
      { requiredKeys: [] },
    ),
    job: fc.record(
      {
        platform: fc.constantFrom("databricks" as const, "local" as const),
        jobId: fc.oneof(decimalIdArb, textArb()),
        runId: anyRunIdArb,
        taskRunId: fc.oneof(decimalIdArb, textArb()),
        taskKey: textArb(),
        workspaceUrl: textArb(),
      },
      { requiredKeys: [] },
    ),
    model: fc.record(
      { name: textArb(), version: textArb(4), mlflowRunId: anyRunIdArb, uri: textArb() },
      { requiredKeys: [] },
    ),
    image: fc.record({ ref: textArb(), digest: hex(64).map((h) => `sha256:${h}`) }, { requiredKeys: [] }),
    deployment: fc.record(
      { platform: textArb(), cluster: textArb(), namespace: textArb(), name: textArb(), revision: textArb() },
      { requiredKeys: [] },
    ),
    environment: fc.record({ name: textArb(), runtime: map }, { requiredKeys: [] }),
    data: fc.uniqueArray(
      fc.record(
        { name: textArb(), uri: opt(textArb()), version: opt(textArb()), digest: opt(textArb()) },
        { requiredKeys: ["name"] },
      ),
      { selector: (d) => d.name, maxLength: 3 },
    ),
    extra: map,
  },
  { requiredKeys: [] },
);

/** Arbitrary valid TraceContext. */
export const traceContextArb: fc.Arbitrary<TraceContext> = traceInputArb.map((input) =>
  createTraceContext(input),
);

/** Property runs per property: enough to find edge cases, cheap on a shared machine. */
export const NUM_RUNS = 200;
