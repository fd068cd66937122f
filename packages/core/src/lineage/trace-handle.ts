import { z } from "zod";
import { type CodecOptions, conventionsOf } from "../codecs/codec-support.js";
import { ValidationError } from "../errors/validation-error.js";
import { redactedExcerpt } from "../redact.js";
import { SCALAR_FIELDS } from "../trace/conventions.js";
import { zodIssuesToValidationIssues } from "../trace/validation-issues.js";

/** A full git commit SHA, lowercase. */
const GIT_SHA = /^[0-9a-f]{40}$/;
/** An image manifest digest. */
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** A DNS-1123 name as Kubernetes names namespaces, Deployments and Pods. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Databricks run ids are decimal; MLflow run ids are 32 hex characters. */
const RUN_ID = /^([0-9]{1,19}|[0-9a-f]{32})$/;
/** What an image reference may contain (the registry package validates the grammar in full). */
const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

const k8sName = z.string().regex(K8S_NAME, "must be a Kubernetes name (lowercase DNS-1123, e.g. churn-api)");

/**
 * What `trace()` and `verify()` start from. Each kind names one thing a user has in hand during an
 * incident:
 * - `log-line`: the trace fields of a prediction's log line (`git_sha`, `run_id`, `model_name`, ...,
 *   as `toLogFields` writes them); only the fields the conventions name are kept, so a log line's
 *   payload never ends up in a report;
 * - `deployment` / `pod`: a Kubernetes object by namespace and name;
 * - `image`: an image reference (`registry/repo:tag`, `registry/repo@sha256:...`) or a bare digest;
 * - `model-version`: a registered model version;
 * - `run`: a run id of either kind (a Databricks job run id, decimal, or an MLflow run id, 32 hex);
 * - `commit`: a full git commit SHA.
 */
export const traceHandleSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("log-line"),
    fields: z.record(z.string(), z.union([z.string(), z.boolean()])),
  }),
  z.strictObject({ kind: z.literal("deployment"), namespace: k8sName, name: k8sName }),
  z.strictObject({ kind: z.literal("pod"), namespace: k8sName, name: k8sName }),
  z.strictObject({
    kind: z.literal("image"),
    ref: z
      .string()
      .max(1024)
      .regex(IMAGE_REF, "must be an image reference (registry/repository:tag or @sha256:...) or a digest"),
  }),
  z.strictObject({
    kind: z.literal("model-version"),
    name: z.string().min(1).max(1024),
    version: z.string().regex(/^[0-9]{1,19}$/, "must be a model version number"),
  }),
  z.strictObject({
    kind: z.literal("run"),
    runId: z.string().regex(RUN_ID, "must be a Databricks job run id (decimal) or an MLflow run id (32 hex)"),
  }),
  z.strictObject({
    kind: z.literal("commit"),
    gitSha: z.string().regex(GIT_SHA, "must be a full 40-character lowercase git commit SHA"),
  }),
]);

/** What `trace()` and `verify()` start from (see {@link traceHandleSchema}). */
export type TraceHandle = z.output<typeof traceHandleSchema>;

/** The kinds of {@link TraceHandle}. */
export type TraceHandleKind = TraceHandle["kind"];

/** A handle of one kind. */
export type TraceHandleOf<K extends TraceHandleKind> = Extract<TraceHandle, { kind: K }>;

/** Options of {@link parseTraceHandle}. */
export interface ParseTraceHandleOptions extends CodecOptions {}

/**
 * Reads a handle from what a user types or pastes:
 * - a JSON object (a prediction's log line) or an object of log fields: kept are the fields the
 *   log-field conventions name (`git_sha`, `run_id`, `model_name`, `model_version`, `image_digest`,
 *   `deployment_name`, ...), dropped is everything else;
 * - `models:/<name>/<version>` : a model version;
 * - `deployment/<namespace>/<name>`, `pod/<namespace>/<name>` (also `deploy/`, `deployments/`, `pods/`);
 * - 40 hex characters: a commit; decimal digits or 32 hex characters: a run id;
 * - `sha256:<64 hex>` or anything else shaped like an image reference: an image;
 * - a prefix forces the kind: `commit:`, `run:`, `image:`, `model:<name>/<version>`.
 * An already-built {@link TraceHandle} object (with `kind`) is validated and returned.
 * Throws ValidationError saying what was not understood and which forms are accepted.
 */
export function parseTraceHandle(input: unknown, options?: ParseTraceHandleOptions): TraceHandle {
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    if ("kind" in input) return validateHandle(input);
    return logLineHandle(input as Record<string, unknown>, options);
  }
  if (typeof input !== "string") throw notAHandle(String(input), "expected a string or an object");
  const text = input.trim();
  if (text === "") throw notAHandle(text, "the handle is empty");
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw notAHandle(text, "it starts with { but is not valid JSON (a log line is one JSON object)");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw notAHandle(text, "a log line must be one JSON object");
    }
    return logLineHandle(parsed as Record<string, unknown>, options);
  }
  const prefixed = /^(commit|run|image|model):(.*)$/s.exec(text);
  if (prefixed) {
    const [, kind, rest = ""] = prefixed;
    if (kind === "commit") return validateHandle({ kind: "commit", gitSha: rest.trim().toLowerCase() });
    if (kind === "run") return validateHandle({ kind: "run", runId: rest.trim() });
    if (kind === "image") return validateHandle({ kind: "image", ref: rest.trim() });
    if (kind === "model") return modelVersionHandle(text, rest.trim());
  }
  if (text.startsWith("models:/")) return modelVersionHandle(text, text.slice("models:/".length));
  const k8s = /^(deploy|deployment|deployments|pod|pods)\/(.*)$/.exec(text);
  if (k8s) {
    const kind = k8s[1]?.startsWith("pod") ? "pod" : "deployment";
    const parts = (k8s[2] ?? "").split("/");
    if (parts.length !== 2) {
      throw notAHandle(text, `a ${kind} handle is ${kind}/<namespace>/<name>`);
    }
    return validateHandle({ kind, namespace: parts[0], name: parts[1] });
  }
  if (GIT_SHA.test(text.toLowerCase())) {
    return { kind: "commit", gitSha: text.toLowerCase() };
  }
  if (RUN_ID.test(text)) return { kind: "run", runId: text };
  if (/^[0-9a-fA-F]{7,39}$/.test(text) && /[a-fA-F]/.test(text)) {
    throw notAHandle(
      text,
      "it looks like an abbreviated commit or run id; give the full 40-character commit SHA or the full run id",
    );
  }
  if (DIGEST.test(text) || (IMAGE_REF.test(text) && /[/:@]/.test(text))) {
    return validateHandle({ kind: "image", ref: text });
  }
  throw notAHandle(text, "it is none of the accepted forms");
}

function modelVersionHandle(text: string, rest: string): TraceHandle {
  const slash = rest.lastIndexOf("/");
  const name = slash > 0 ? rest.slice(0, slash) : "";
  const version = slash > 0 ? rest.slice(slash + 1) : "";
  if (!name || !/^[0-9]{1,19}$/.test(version)) {
    throw notAHandle(
      text,
      "a model version is models:/<name>/<version> with a version number (aliases and stages are not handles: look the version up first)",
    );
  }
  return validateHandle({ kind: "model-version", name, version });
}

function validateHandle(value: unknown): TraceHandle {
  const parsed = traceHandleSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError("Invalid trace handle", {
    issues: zodIssuesToValidationIssues(parsed.error.issues),
    hint: ACCEPTED_FORMS,
  });
}

/** Keeps the trace fields of a log line, by the names the log-field conventions give them. */
function logLineHandle(record: Record<string, unknown>, options?: ParseTraceHandleOptions): TraceHandle {
  const c = conventionsOf(options).logFields;
  const names = new Set<string>();
  for (const field of SCALAR_FIELDS) for (const n of c.fields[field]) names.add(n);
  if (c.runId) names.add(c.runId);
  const fields: Record<string, string | boolean> = {};
  for (const name of names) {
    const v = record[name];
    if (typeof v === "string" && v.trim() !== "") fields[name] = v.trim();
    else if (typeof v === "boolean") fields[name] = v;
  }
  if (Object.keys(fields).length === 0) {
    throw new ValidationError("The log line carries no trace fields", {
      issues: [
        {
          path: "(root)",
          message: `none of ${[...names].slice(0, 8).join(", ")}, ... is set`,
        },
      ],
      hint: "Pass a log line written with toLogFields (git_sha, run_id, model_name, model_version, ...), or give the conventions its fields were written with",
    });
  }
  return { kind: "log-line", fields };
}

const ACCEPTED_FORMS =
  "Accepted: a log line (JSON), models:/<name>/<version>, deployment/<namespace>/<name>, pod/<namespace>/<name>, an image reference or sha256: digest, a run id (decimal or 32 hex), a 40-character commit SHA, or commit:/run:/image:/model: followed by one of those";

function notAHandle(text: string, why: string): ValidationError {
  const shown = redactedExcerpt(text, 80);
  return new ValidationError(`Not a trace handle: ${JSON.stringify(shown)}`, {
    issues: [{ path: "(root)", message: why }],
    hint: ACCEPTED_FORMS,
  });
}
