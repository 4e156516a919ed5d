import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './process.js';
import { SERVICES_REQUIRED } from './services.js';

/** Debian's Chromium: the only browser the tests use (never a downloaded build). */
export const CHROMIUM = '/usr/bin/chromium';
/** Where screenshots go: git-ignored, kept as CI artefacts. */
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

/**
 * Launches headless Chromium, or returns why the browser suites skip. In CI
 * (`.ci/run` installs the package) a missing browser fails the run.
 */
export async function launchBrowser(): Promise<Browser | string> {
  if (!existsSync(CHROMIUM)) {
    const reason = `${CHROMIUM} not found (apt-get install chromium): browser suites skipped`;
    if (SERVICES_REQUIRED) throw new Error(reason);
    process.stderr.write(`notice: ${reason}\n`);
    return reason;
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  // No sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Closes what {@link launchBrowser} gave; nothing when it gave a skip reason or, in CI without Chromium, threw (the suite's server must still stop). */
export async function closeBrowser(browser: Browser | string | undefined): Promise<void> {
  if (browser !== undefined && typeof browser !== 'string') await browser.close();
}

/** Collects console errors and uncaught page errors: a page must produce none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}
