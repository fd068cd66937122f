/**
 * `modeltrail trace HANDLE --html FILE` through the built command (a separate Node process), against
 * a fake Databricks workspace on a loopback port: the page is written whole or not at all.
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBuilt } from "./helpers/run-built-cli.js";

const RUN_ID = "455644833";
/** A PAT that must never be printed, nor end up in the page. */
const TOKEN = "dapi7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a";

let server: MswServer;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modeltrail-cli-html-"));
  const run = JSON.parse(
    readFileSync(
      new URL("../../databricks/test/fixtures/api/runs-get-success.json", import.meta.url),
      "utf8",
    ),
  );
  server = await startMswServer(
    http.get("*/api/2.2/jobs/runs/get", ({ request }) => {
      const id = new URL(request.url).searchParams.get("run_id");
      if (id !== RUN_ID)
        return HttpResponse.json({ error_code: "RESOURCE_DOES_NOT_EXIST", message: "no" }, { status: 404 });
      // a hostile workspace: markup in the job's name
      return HttpResponse.json({
        ...run,
        run_name: `<script>alert(1)</script>"><img src=x onerror=alert(2)>`,
      });
    }),
  );
});

afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const env = () => ({ DATABRICKS_HOST: server.url, DATABRICKS_TOKEN: TOKEN, HOME: work });

describe("modeltrail trace --html", () => {
  it("writes the trace page, says where, and leaves no temporary file", async () => {
    const r = await runBuilt(["--json", "trace", RUN_ID, "--html", "page.html"], { env: env(), cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.html).toBe(join(work, "page.html"));
    const html = await readFile(join(work, "page.html"), "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain(`data-node-id="job-run:${RUN_ID}"`);
    expect(html).toContain("Content-Security-Policy");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain(TOKEN);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect((await readdir(work)).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    // people get the path at the end of the answers
    const human = await runBuilt(["trace", RUN_ID, "--html", "again.html"], { env: env(), cwd: work });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`trace page: ${join(work, "again.html")}`);
    // the same trace gives the same page (the report's time aside)
    const strip = (s: string) => s.replaceAll(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "T");
    expect(strip(await readFile(join(work, "again.html"), "utf8"))).toBe(strip(html));
  });

  it("replaces an existing page whole", async () => {
    await writeFile(join(work, "old.html"), "an old page");
    const r = await runBuilt(["--json", "trace", RUN_ID, "--html", "old.html"], { env: env(), cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(work, "old.html"), "utf8")).toMatch(/^<!DOCTYPE html>[\s\S]*<\/html>\n$/);
  });

  it("fails with a configuration error and writes nothing when the directory cannot take the page", async () => {
    const r = await runBuilt(["--json", "trace", RUN_ID, "--html", "missing/dir/page.html"], {
      env: env(),
      cwd: work,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Cannot write missing\/dir\/page\.html/);
    expect(r.stderr).not.toContain(TOKEN);
    await mkdir(join(work, "ro"), { mode: 0o500 });
    const ro = await runBuilt(["--json", "trace", RUN_ID, "--html", "ro/page.html"], {
      env: env(),
      cwd: work,
    });
    // root may write anywhere; anyone else gets the same clear error
    if (process.getuid?.() !== 0) expect(ro.stderr).toMatch(/Cannot write ro\/page\.html/);
    const left = (await readdir(join(work, "ro"))).filter((f) => f.endsWith(".tmp"));
    expect(left).toEqual([]);
  });
});
