/**
 * Browser tests: Debian's Chromium driven by playwright-core (which never downloads a browser).
 * Without /usr/bin/chromium the tests skip with a message, unless GROUPGATE_REQUIRE_BROWSER=1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; GROUPGATE_CHROMIUM_PATH points elsewhere (another distribution's build). */
export const CHROMIUM = process.env.GROUPGATE_CHROMIUM_PATH || '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where screenshots go: never into the repository (GROUPGATE_TEST_OUTPUT_DIR picks the place). */
export const OUTPUT_DIR = join(process.env.GROUPGATE_TEST_OUTPUT_DIR || join(tmpdir(), 'groupgate-test-output'), 'dashboard');

/**
 * Why browser tests must skip, or undefined when they can run. Under GROUPGATE_REQUIRE_BROWSER=1
 * a missing browser is not a reason to skip: the tests run and fail.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM) || process.env.GROUPGATE_REQUIRE_BROWSER === '1') return undefined;
  const reason = `browser tests skipped: ${CHROMIUM} not found (apt-get install -y chromium; GROUPGATE_REQUIRE_BROWSER=1 makes this a failure)`;
  console.log(reason);
  return reason;
}

/** Builds the dashboard into dist/dashboard when it is missing or older than its sources (the server serves it). */
export function ensureDashboardBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'dashboard', 'build.js'), '--if-needed'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page: a test asserts there are none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile and one page. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`GROUPGATE_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'groupgate-chromium-'));
  // The profile goes in as the persistent context's directory (Playwright's way of --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot as <OUTPUT_DIR>/<name>.png; answers its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const path = join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
