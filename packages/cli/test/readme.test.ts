import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgsStringToArgv } from "string-argv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCaptured } from "./helpers/run-cli-capture.js";

/**
 * The README's command lines stay true: every `modeltrail ...` line of its sh blocks names a command
 * the CLI has and only flags that command takes, and the commands table lists every command.
 */
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const lines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => (m[1] ?? "").replace(/\\\n\s*/g, " ").split("\n"))
  .map((l) => l.replace(/\s+#.*$/, "").trim())
  .filter((l) => /(^|\s)modeltrail\s/.test(l))
  .map((l) => l.slice(l.search(/(^|\s)modeltrail\s/)).trim())
  .map((l) => l.split(/\s[|>]/)[0]!.trim());

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-cli-readme-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The words of a command line that name the command (before the first argument or flag). */
async function commandWords(argv: string[]): Promise<string[]> {
  const words: string[] = [];
  for (const w of argv) {
    if (w.startsWith("-")) break;
    const help = await runCaptured([...words, w, "--help"], { env: {}, cwd: work });
    if (help.code !== 0 || !help.stdout.startsWith(`Usage: modeltrail ${[...words, w].join(" ")}`)) break;
    words.push(w);
  }
  return words;
}

describe("packages/cli/README.md", () => {
  it("has command lines to check", () => {
    expect(lines.length).toBeGreaterThanOrEqual(20);
  });

  it("every modeltrail command line uses a real command and its flags", async () => {
    for (const line of lines) {
      const argv = parseArgsStringToArgv(line).slice(1);
      const words = await commandWords(argv);
      expect(words.length, line).toBeGreaterThan(0);
      const help = await runCaptured([...words, "--help"], { env: {}, cwd: work });
      for (const flag of argv.filter((a) => /^--?[a-z]/.test(a)))
        expect(`${help.stdout}\n--json --debug`, `${line}: ${flag}`).toContain(flag.split("=")[0]);
    }
  }, 120_000);

  it("the commands table lists every command of modeltrail --help", async () => {
    const help = await runCaptured(["--help"], { env: {}, cwd: work });
    const top = [...help.stdout.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(top.length).toBeGreaterThan(5);
    for (const c of top) expect(readme, c).toMatch(new RegExp(`^\\| \`${c}[ \`]`, "m"));
  });
});
