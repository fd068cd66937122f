import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's chromium (scripts/install-chromium.sh installs it); `MODELTRAIL_CHROMIUM` points elsewhere. */
export const CHROMIUM = process.env.MODELTRAIL_CHROMIUM ?? "/usr/bin/chromium";

/** Flags for a headless Chromium that talks to nobody on its own. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A running Chromium with a fresh profile; `close()` stops it and removes the profile. */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium with a fresh `--user-data-dir`. Throws naming the install script when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/install-chromium.sh (apt-get install chromium)`);
  }
  const profile = mkdtempSync(join(tmpdir(), "modeltrail-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: 120_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a page did while it loaded: every request it tried (all refused) and every console message. */
export interface PageLog {
  requests: string[];
  console: string[];
  errors: string[];
}

/**
 * Opens `html` in a new page of the browser with every request routed and refused (and recorded),
 * console messages and page errors recorded, and waits until it has loaded.
 */
export async function openHtml(browser: Browser, html: string): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.context.newPage();
  const log: PageLog = { requests: [], console: [], errors: [] };
  page.on("request", (r) => {
    log.requests.push(r.url());
  });
  page.on("console", (m) => {
    log.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => {
    log.errors.push(String(e));
  });
  await page.route("**/*", async (route) => {
    await route.abort("blockedbyclient");
  });
  await page.setContent(html, { waitUntil: "load", timeout: 60_000 });
  return { page, log };
}
