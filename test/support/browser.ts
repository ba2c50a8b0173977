import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian, Ubuntu and Google install Chromium or Chrome. */
const SYSTEM_BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/**
 * The browser the page tests drive: `CHROME_PATH` when set, else a system Chromium or Chrome, else
 * the one `npx playwright-core install chromium` downloads (undefined lets Playwright find it).
 */
export function browserExecutable(): string | undefined {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  return SYSTEM_BROWSERS.find((candidate) => existsSync(candidate));
}

/**
 * Headless Chromium through playwright-core. `--no-sandbox` because CI runs as root, where
 * Chromium refuses its sandbox.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = browserExecutable();
  try {
    return await chromium.launch({ headless: true, args: ['--no-sandbox'], ...(executablePath ? { executablePath } : {}) });
  } catch (error) {
    throw new Error(
      `No browser for the page tests (${error instanceof Error ? error.message.split('\n')[0] : String(error)}). ` +
        'Set CHROME_PATH, install Chromium (`apt-get install -y chromium`), or run `npx playwright-core install chromium`.',
    );
  }
}
