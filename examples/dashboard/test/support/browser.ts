import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, which the tests drive headless. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Starts headless Chromium, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` ` +
        '(or set CHROMIUM_PATH to a Chromium or Chrome binary)',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What went wrong in a page: uncaught errors, console errors (CSP violations among them) and dialogs opened. */
export interface PageProblems {
  /** Uncaught exceptions. */
  errors: string[];
  /** Console messages of type error. */
  consoleErrors: string[];
  /** Messages of alert/confirm/prompt dialogs (dismissed). */
  dialogs: string[];
}

/** Records a page's problems (see {@link PageProblems}). */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], consoleErrors: [], dialogs: [] };
  page.on('pageerror', (error) => problems.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    problems.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return problems;
}

/** Calls `read` until `accept` holds for what it returns; fails after `timeoutMs` with the last value. */
export async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms; last value ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The text of the first element matching `selector` (trimmed), or `undefined` when there is none. */
export async function textOf(page: Page, selector: string): Promise<string | undefined> {
  const locator = page.locator(selector).first();
  if ((await locator.count()) === 0) return undefined;
  return (await locator.textContent())?.trim();
}

/** A status count as a number: `#total-<status>`, or `count-<status>` inside `within`. */
export async function countOf(page: Page, status: string, within?: string): Promise<number | undefined> {
  const selector = within === undefined ? `#total-${status}` : `${within} [data-testid="count-${status}"]`;
  const text = await textOf(page, selector);
  return text === undefined ? undefined : Number(text);
}

/** Signs in on the dashboard page with `token`. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.locator('#token-input').fill(token);
  await page.locator('#token-submit').click();
}
