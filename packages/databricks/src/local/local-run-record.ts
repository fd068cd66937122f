import { randomUUID } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, ValidationError } from "@modeltrail/core";
import { z } from "zod";
import { type Run, runSchema } from "../schemas/api/run.js";
import { localRunEnvironmentSchema } from "./local-run-environment.js";

/** The `kind` of a local run record file. */
export const LOCAL_RUN_RECORD_KIND = "modeltrail.local-job-run" as const;

/**
 * What a `LocalJobRunner` keeps of one run for `trace()`: the run in the shape of `jobs/runs/get`
 * (job and task parameters as resolved, task run ids, states, times) and the environment it ran in
 * (host, Python and its packages, Node, the git checkout). Written as `<dir>/<run id>.json`.
 */
export const localRunRecordSchema = z.strictObject({
  kind: z.literal(LOCAL_RUN_RECORD_KIND),
  schemaVersion: z.literal(1),
  run: runSchema.refine((r) => Number.isSafeInteger(r.run_id), {
    message: "run.run_id must be a numeric id",
  }),
  environment: localRunEnvironmentSchema,
});

/** One local run and its environment (see {@link localRunRecordSchema}). */
export type LocalRunRecord = z.output<typeof localRunRecordSchema> & { run: Run };

/** Largest record file read (a run with thousands of tasks and packages stays far below). */
const MAX_RECORD_BYTES = 32 * 1024 * 1024;

/** The file of run `runId` in `dir`; undefined for anything but a decimal id (no path can be smuggled in). */
export function localRunRecordPath(dir: string, runId: string | number): string | undefined {
  const id = String(runId);
  if (!/^[0-9]{1,19}$/.test(id)) return undefined;
  return join(dir, `${id}.json`);
}

/**
 * Writes a run record to `<dir>/<run id>.json` (creating `dir`): into a temporary file in `dir`,
 * flushed, then renamed over the final name, so a reader never sees half a record. Throws
 * ConfigError when the directory or file cannot be written (the message names the path and why).
 */
export async function writeLocalRunRecord(dir: string, record: LocalRunRecord): Promise<string> {
  const path = localRunRecordPath(dir, record.run.run_id);
  if (!path)
    throw new ValidationError("Invalid local run record", {
      issues: [{ path: "run.run_id", message: "must be a numeric id" }],
    });
  const tmp = join(dir, `.${record.run.run_id}.${randomUUID()}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    return path;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new ConfigError(
      `Could not write the local run record ${path}: ${(err as Error).message}. Make the record directory writable, or leave out LocalJobRunner's records.dir`,
      { cause: err },
    );
  }
}

/**
 * Reads `<dir>/<run id>.json`. Resolves undefined when there is no such file (or the id is not a
 * numeric run id); throws ValidationError when the file is not a local run record (the message
 * names the file and the first problems), ConfigError when it cannot be read.
 */
export async function readLocalRunRecord(dir: string, runId: string): Promise<LocalRunRecord | undefined> {
  const path = localRunRecordPath(dir, runId);
  if (!path) return undefined;
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      if (size > MAX_RECORD_BYTES)
        throw new ValidationError(`The local run record ${path} is too large`, {
          issues: [
            { path: "(file)", message: `${size} bytes, more than a run record can be (${MAX_RECORD_BYTES})` },
          ],
        });
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new ConfigError(`Could not read the local run record ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`The local run record ${path} is not JSON`, {
      issues: [{ path: "(file)", message: (err as Error).message }],
    });
  }
  const parsed = localRunRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((x) => ({ path: x.path.join(".") || "(root)", message: x.message }));
    throw new ValidationError(`The file ${path} is not a local run record of this release`, { issues });
  }
  if (String(parsed.data.run.run_id) !== runId)
    throw new ValidationError(
      `The local run record ${path} holds run ${parsed.data.run.run_id}, not ${runId}`,
      {
        issues: [{ path: "run.run_id", message: `expected ${runId}` }],
      },
    );
  return parsed.data as LocalRunRecord;
}
