import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, ValidationError } from "@modeltrail/core";
import { z } from "zod";
import { isRunning, type ProcessHandle, startTicks } from "./serving-process.js";

/** The state file's schema name. */
export const LOCAL_STATE_SCHEMA = "modeltrail.local-deployment/v1";

const processSchema = z.object({ pid: z.number().int().positive(), startTicks: z.string().optional() });

/** One revision as the state file keeps it. */
export const localRevisionStateSchema = z.object({
  revision: z.number().int().positive(),
  /** sha256 (16 hex) of what makes the revision: image digest, command, env. The rootfs directory's name. */
  templateHash: z.string().regex(/^[0-9a-f]{16}$/),
  image: z.object({ ref: z.string().min(1), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/) }),
  /** The TraceContext JSON of what the revision serves (image trace + image + deployment sections). */
  context: z.record(z.string(), z.unknown()),
  /** Env given at deploy time besides the image's and the trace's. */
  env: z.record(z.string(), z.string()),
  cmd: z.array(z.string()).optional(),
  interpreters: z
    .object({ python: z.string().optional(), commands: z.record(z.string(), z.string()).optional() })
    .optional(),
  changeCause: z.string(),
  createdAt: z.string(),
  /** The process while it runs (the current revision only). */
  process: processSchema.optional(),
  startedAt: z.string().optional(),
  /** How its last start ended when it never became ready. */
  failure: z.string().optional(),
});

/** One revision as the state file keeps it. */
export type LocalRevisionState = z.output<typeof localRevisionStateSchema>;

/** A deployment's state file. */
export const localDeploymentStateSchema = z.object({
  schema: z.literal(LOCAL_STATE_SCHEMA),
  name: z.string(),
  namespace: z.string(),
  host: z.string(),
  port: z.number().int().min(1).max(65535),
  readinessPath: z.union([z.string(), z.literal(false)]),
  revisionHistoryLimit: z.number().int().positive(),
  /** The revision that serves (or should), undefined before the first successful deploy. */
  current: z.number().int().positive().optional(),
  revisions: z.array(localRevisionStateSchema),
});

/** A deployment's state file. */
export type LocalDeploymentState = z.output<typeof localDeploymentStateSchema>;

/** A deployment name: a DNS-1123 label, as a Kubernetes Deployment's (it names a directory). */
export const DEPLOYMENT_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks a deployment name. @throws ValidationError. */
export function checkDeploymentName(name: string): string {
  if (typeof name !== "string" || !DEPLOYMENT_NAME.test(name))
    throw new ValidationError(`"${String(name)}" cannot be a deployment name`, {
      issues: [{ path: "name", message: "must be a lowercase DNS-1123 label (a-z, 0-9, -; at most 63)" }],
      hint: "Use a name like churn-api",
    });
  return name;
}

/** The files of one deployment under the state directory. */
export function deploymentPaths(stateDir: string, name: string) {
  const dir = join(stateDir, "deployments", checkDeploymentName(name));
  return {
    dir,
    state: join(dir, "deployment.json"),
    lock: join(dir, "lock"),
    home: join(dir, "home"),
    revisionDir: (hash: string) => join(dir, "revisions", hash),
    rootfs: (hash: string) => join(dir, "revisions", hash, "rootfs"),
    logFile: (hash: string) => join(dir, "revisions", hash, "serving.log"),
  };
}

/** Reads a deployment's state; undefined when it was never deployed. @throws ValidationError when the file is not one. */
export async function readDeploymentState(file: string): Promise<LocalDeploymentState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ValidationError(`${file} is not JSON`, {
      hint: "Remove the deployment's directory and deploy again",
    });
  }
  const parsed = localDeploymentStateSchema.safeParse(json);
  if (!parsed.success)
    throw new ValidationError(`${file} is not a local deployment's state`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      hint: "Remove the deployment's directory and deploy again",
    });
  return parsed.data;
}

/** Writes a deployment's state atomically (temporary file, then rename), readable by its owner only. */
export async function writeDeploymentState(file: string, state: LocalDeploymentState): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await writeFile(temp, `${JSON.stringify(localDeploymentStateSchema.parse(state), null, 2)}\n`, {
      mode: 0o600,
      flag: "wx",
    });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The names of the deployments under a state directory. */
export async function listDeploymentNames(stateDir: string): Promise<string[]> {
  try {
    return (await readdir(join(stateDir, "deployments"))).filter((n) => DEPLOYMENT_NAME.test(n)).sort();
  } catch {
    return [];
  }
}

/**
 * Takes a deployment's lock (a file holding this process's pid), so that two deploys or rollbacks
 * of one deployment never interleave; a lock whose process is gone is taken over. Returns the
 * release function.
 * @throws ConfigError when another running process holds it.
 */
export async function lockDeployment(lockFile: string, dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const me: ProcessHandle = { pid: process.pid, startTicks: await startTicks(process.pid) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(lockFile, "wx", 0o600);
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      return () => rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: ProcessHandle | undefined;
      try {
        holder = processSchema.parse(JSON.parse(await readFile(lockFile, "utf8")));
      } catch {
        holder = undefined;
      }
      if (holder && (await isRunning(holder)))
        throw new ConfigError(`Another modeltrail process (pid ${holder.pid}) is changing this deployment`, {
          hint: `Wait for it to finish; if it is stuck, stop it (the lock is ${lockFile})`,
        });
      await rm(lockFile, { force: true });
    }
  }
  throw new ConfigError(`Could not take the lock ${lockFile}`, { hint: "Try again" });
}
