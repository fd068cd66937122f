import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** A publishable workspace package: its name and directory. */
export interface PublishedPackage {
  name: string;
  dir: string;
}

/** Every package under packages/ that is published (not `private`), core first. */
export function publishedPackages(root: string = REPO_ROOT): PublishedPackage[] {
  const out: PublishedPackage[] = [];
  for (const entry of readdirSync(join(root, "packages")).sort()) {
    const dir = join(root, "packages", entry);
    let manifest: { name?: string; private?: boolean };
    try {
      manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as typeof manifest;
    } catch {
      continue;
    }
    if (manifest.private || !manifest.name) continue;
    out.push({ name: manifest.name, dir });
  }
  return out.sort((a, b) => Number(b.name === "@modeltrail/core") - Number(a.name === "@modeltrail/core"));
}

/** Every entry point a published package exports (`@modeltrail/core`, `@modeltrail/core/internal`, ...). */
export function publishedEntries(root: string = REPO_ROOT): string[] {
  return publishedPackages(root).flatMap((pkg) => {
    const manifest = JSON.parse(readFileSync(join(pkg.dir, "package.json"), "utf8")) as {
      exports?: Record<string, unknown>;
    };
    return Object.entries(manifest.exports ?? { ".": {} })
      .filter(([, target]) => typeof target !== "string")
      .map(([subpath]) => (subpath === "." ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, "")}`));
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Packages whose dist is missing or older than a file of their src/, package.json or tsup config. */
export function staleBuilds(root: string = REPO_ROOT): PublishedPackage[] {
  const sharedConfig = statSync(join(root, "tsup.shared.ts")).mtimeMs;
  return publishedPackages(root).filter((pkg) => {
    const outputs = ["index.js", "index.cjs", "index.d.ts", "index.d.cts"].map((f) =>
      join(pkg.dir, "dist", f),
    );
    if (!outputs.every((f) => existsSync(f))) return true;
    const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
    const inputs = Math.max(
      newestMtime(join(pkg.dir, "src")),
      statSync(join(pkg.dir, "package.json")).mtimeMs,
      sharedConfig,
    );
    return inputs > built;
  });
}

/**
 * Global setup of the `dist` test project: the dist tests check what users install, so they need a
 * build of the current sources. CI runs `pnpm build` before `pnpm test` and nothing happens here;
 * locally a missing or stale build is rebuilt first (the whole workspace, core first), so that the
 * tests never pass or fail on an old build.
 */
export async function setup(): Promise<void> {
  const stale = staleBuilds();
  if (stale.length === 0) return;
  const tsup = join(REPO_ROOT, "node_modules", "tsup", "dist", "cli-default.js");
  console.log(`dist tests: building ${stale.map((p) => p.name).join(", ")} (dist missing or older than src)`);
  // Dependents are built against core's declarations: rebuild everything in order once anything is stale.
  for (const pkg of publishedPackages()) {
    execFileSync(process.execPath, [tsup], { cwd: pkg.dir, stdio: ["ignore", "ignore", "inherit"] });
  }
}
