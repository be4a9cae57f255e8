/**
 * The dashboard's session in a real browser: the project switcher rescopes the token and shows
 * only that project's resources, a token that stops working (revoked, expired) sends the user
 * back to the login page with a notice, and logout revokes the token; a volume made and changed
 * through the API shows up with its new status in the open page without a reload.
 */
import type { Browser } from 'playwright-core';
import { startHarness, type Harness, type Session } from '../support/snapstack-harness';
import { randomName } from '../support/compute-helpers';
import { newVolume, VOL } from '../support/archive-helpers';
import { dashboardLogin, gotoMenu, launchBrowser, newPage, rowWith, screenshot, storedSession } from '../support/browser';

jest.setTimeout(120_000);

let h: Harness;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

async function grantMember(admin: Session, user: Session, projectId: string): Promise<void> {
  const role = (await admin.request('GET', '/identity/v3/roles?name=member')).body.roles[0];
  const res = await admin.request('PUT', `/identity/v3/projects/${projectId}/users/${user.userId}/roles/${role.id}`);
  expect(res.status).toBe(204);
}

test('project switcher, a token that stops working, logout', async () => {
  const admin = await h.login('admin');
  const demo = await h.login('demo');
  const alt = await h.login('alt_demo');
  await grantMember(admin, demo, alt.projectId);
  const demoVol = randomName('demo-vol');
  const altVol = randomName('alt-vol');
  await newVolume(demo, { name: demoVol, size: 1 });
  await newVolume(alt, { name: altVol, size: 1 });

  const { context, page } = await newPage(browser);
  await dashboardLogin(page, h.url, 'demo', 'demo-secret');
  await gotoMenu(page, 'Volumes');
  await rowWith(page, demoVol).waitFor();
  expect(await rowWith(page, altVol).count()).toBe(0);

  // Status changes appear without a refresh: the open page was not reloaded (the mark set on
  // its window survives) and still shows a volume created through the API, then its new status.
  await page.evaluate('window.__notReloaded = true');
  const apiVol = randomName('api-vol');
  const apiVolId = await newVolume(demo, { name: apiVol, size: 1 });
  await rowWith(page, apiVol).getByText('available').waitFor();
  const reset = await admin.request('POST', `/volume/v3/${admin.projectId}/volumes/${apiVolId}/action`, { 'os-reset_status': { status: 'error' } });
  expect(reset.status).toBe(202);
  await rowWith(page, apiVol).getByText('error', { exact: true }).waitFor();
  expect(await page.evaluate('window.__notReloaded')).toBe(true);

  // Switch to alt_demo: a token scoped there; only alt_demo's volumes.
  await page.getByTestId('project-switcher').click();
  await page.locator('.ant-select-item-option', { hasText: 'alt_demo' }).click();
  await page.getByRole('heading', { name: 'Instances' }).waitFor();
  await gotoMenu(page, 'Volumes');
  await rowWith(page, altVol).waitFor();
  expect(await rowWith(page, demoVol).count()).toBe(0);
  await screenshot(page, 'project-switcher');

  // The token stops working behind the dashboard's back: the next poll lands on the login page.
  const token = (await storedSession(page))!.token;
  const revoked = await h.request('DELETE', '/identity/v3/auth/tokens', undefined, { 'X-Auth-Token': admin.token, 'X-Subject-Token': token });
  expect(revoked.status).toBe(204);
  await page.getByText('Your session has expired. Please log in again.').waitFor();
  expect(await storedSession(page)).toBeNull();

  // Log in again, then log out: the token is revoked.
  await dashboardLogin(page, h.url, 'demo', 'demo-secret');
  const second = (await storedSession(page))!.token;
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  const after = await h.request('GET', `${VOL.replace('{project_id}', demo.projectId)}/volumes`, undefined, { 'X-Auth-Token': second });
  expect(after.status).toBe(401);

  // A wrong password shows Keystone's message.
  await page.getByLabel('User name').fill('demo');
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('.ant-alert-error').waitFor();
  expect(await page.locator('.ant-alert-error').innerText()).toBe('The request you have made requires authentication.');
  await context.close();
});
