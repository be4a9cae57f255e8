/**
 * A real headless browser for the dashboard's end-to-end tests: Debian's chromium (installed by
 * .ci/run), driven by playwright-core. Nothing is downloaded; a missing chromium fails the test.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SNAPSTACK_CHROMIUM || '/usr/bin/chromium';
/**
 * Where screenshots go: the README's docs/screenshots with SNAPSTACK_SCREENSHOTS=docs
 * (`npm run docs:screenshots`), otherwise a folder under the system's temporary directory, so a
 * test run leaves the checkout as it was.
 */
const SCREENSHOTS = process.env.SNAPSTACK_SCREENSHOTS === 'docs'
  ? path.join(__dirname, '..', '..', 'docs', 'screenshots')
  : path.join(os.tmpdir(), 'snapstack-e2e-screenshots');

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/**
 * A page as a user with reduced motion sees it: the dashboard turns antd's animations off then,
 * so an action never lands on a dialog still zooming in (a radio clicked mid-animation once
 * failed to change under load).
 */
export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page };
}

/** Opens the dashboard at `/` (which redirects) and logs in through the form. */
export async function dashboardLogin(page: Page, baseUrl: string, user: string, password: string, project = user): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.waitForURL(/\/dashboard\//);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Project').fill(project);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Instances' }).waitFor();
}

/** A screenshot for the README's dashboard section: <SCREENSHOTS>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.waitForTimeout(300); // let notifications and transitions settle
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** The table row holding `text`. */
export function rowWith(scope: Page | Locator, text: string): Locator {
  return scope.locator('tr.ant-table-row', { hasText: text });
}

export async function gotoMenu(page: Page, item: 'Instances' | 'Images' | 'Volumes' | 'Snapshots'): Promise<void> {
  await page.getByRole('menuitem', { name: item }).click();
  await page.getByRole('heading', { name: item, exact: true }).waitFor();
}

/** The success notification of a long action; a failure one fails the test with the service's text. */
export async function succeeded(page: Page, text: string | RegExp, timeoutMs = 120_000): Promise<void> {
  const done = page.locator('.long-action-done', { hasText: text });
  const failed = page.locator('.long-action-failed');
  for (const until = Date.now() + timeoutMs; ;) {
    if (await done.count()) return;
    if (await failed.count()) throw new Error(`action failed: ${await failed.first().innerText()}`);
    if (Date.now() > until) throw new Error(`no success message matching ${text}`);
    await page.waitForTimeout(250);
  }
}

/** The dashboard's session as the page keeps it (sessionStorage), or null when logged out. */
export async function storedSession(page: Page): Promise<{ token: string } | null> {
  return JSON.parse(await page.evaluate<string>("sessionStorage.getItem('snapstack.session') || 'null'"));
}

/**
 * A row's "More" menu, then one of its items. The tables re-render as they poll, so a click can
 * land on a button that is being replaced: the menu is opened again until the item shows.
 */
export async function rowMenu(page: Page, row: Locator, item: string): Promise<void> {
  const entry = page.locator('.ant-dropdown:not(.ant-dropdown-hidden)').getByRole('menuitem', { name: item });
  for (let attempt = 1; ; attempt++) {
    await row.getByRole('button', { name: /More/ }).click();
    try {
      await entry.first().waitFor({ state: 'visible', timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
  await entry.first().click();
}

/** Waits until no row matches (the tables poll: a deleted row goes at the next refresh). */
export async function gone(rows: Locator, timeoutMs = 30_000): Promise<number> {
  await rows.first().waitFor({ state: 'detached', timeout: timeoutMs });
  return rows.count();
}
