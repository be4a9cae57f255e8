/**
 * The OpenStack dashboard walkthrough, in a real browser against a real Snapstack with Docker:
 * launch a volume-backed server, write data into its volume, Create Snapshot from Instances, see
 * the 0-byte snapshot on Images and its volume snapshot under Volumes, launch from it (a flavor
 * too small is shown as not allowed), find the data in the new server's volume.
 */
import type { Browser, Page } from 'playwright-core';
import { startHarness, type Harness, type Session } from '../support/snapstack-harness';
import { COMPUTE, containerOf, dockerExec, randomName } from '../support/compute-helpers';
import { dashboardLogin, gone, gotoMenu, launchBrowser, newPage, rowMenu, rowWith, screenshot, succeeded } from '../support/browser';
import { newVolume } from '../support/archive-helpers';

// Real boots, snapshots and archives in Docker behind a real browser: minutes on a loaded 2-core machine.
jest.setTimeout(600_000);

let h: Harness;
let browser: Browser;
let demo: Session;

beforeAll(async () => {
  h = await startHarness();
  demo = await h.login('demo');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

async function serverNamed(name: string): Promise<any> {
  const res = await demo.request('GET', `${COMPUTE}/servers/detail?name=^${name}$`);
  expect(res.body.servers).toHaveLength(1);
  return res.body.servers[0];
}

/** Launch Instance wizard: Details, Source, Flavor; waits for the ACTIVE message. */
async function launch(page: Page, name: string, pickSource: () => Promise<void>, flavor: string): Promise<void> {
  await page.getByLabel('Instance Name').fill(name);
  await page.getByRole('dialog').getByRole('button', { name: 'Next', exact: true }).click();
  await pickSource();
  await page.getByRole('dialog').getByRole('button', { name: 'Next', exact: true }).click();
  await page.getByLabel(`Select ${flavor}`).check();
  await page.getByRole('dialog').getByRole('button', { name: 'Launch Instance' }).click();
  await page.getByTestId('launch-done').waitFor({ timeout: 120_000 });
}

test('log in, launch volume-backed, Create Snapshot, see it on Images and Volumes, launch from it with the data', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(`${h.url}/`);
  await page.waitForURL(/\/dashboard\//);
  await page.getByLabel('User name').waitFor();
  await screenshot(page, 'login');
  await dashboardLogin(page, h.url, 'demo', 'demo-secret');
  expect(page.url()).toMatch(/\/dashboard\/$/);

  // A volume-backed server: the busybox image onto a new 1 GiB volume, flavor m1.small (20 GiB disk).
  const source = randomName('e2e-src');
  await page.getByRole('button', { name: 'Launch Instance' }).click();
  await launch(page, source, async () => {
    await page.getByLabel('Create New Volume').click();
    await page.getByLabel('Allocate busybox').click();
    await page.getByTestId('source-allocated').getByText('busybox').waitFor();
  }, 'm1.small');
  await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  await rowWith(page, source).getByText('ACTIVE').waitFor();
  const server = await serverNamed(source);
  expect(server.image).toBe('');
  expect(server['os-extended-volumes:volumes_attached']).toHaveLength(1);
  await screenshot(page, 'instances');

  // Data into its root volume (mounted at /mnt/vda in the server's container).
  const payload = `written-by-e2e-${randomName('x')}`;
  const container = await containerOf(h.app.instanceId, server.id);
  await dockerExec(container!.Id, `echo ${payload} > /mnt/vda/e2e.txt && sync`);

  // Create Snapshot from the Instances page: the dialog, then Images with the new row highlighted.
  const snapName = randomName('e2e-snap');
  await rowWith(page, source).getByRole('button', { name: 'Create Snapshot' }).click();
  await page.getByLabel('Snapshot Name').fill(snapName);
  await screenshot(page, 'create-snapshot');
  await page.getByRole('dialog').getByRole('button', { name: 'Create Snapshot' }).click();
  await page.waitForURL(/\/dashboard\/images\?highlight=/, { timeout: 120_000 });
  const row = page.locator('tr.row-highlight', { hasText: snapName });
  await row.waitFor();
  await expect(row.locator('td').nth(1).innerText()).resolves.toBe('snapshot');
  await row.getByText('0 bytes').waitFor();
  await row.getByTestId('snapshot-note').waitFor();
  await screenshot(page, 'images');

  // Its volume snapshot under Volumes → Snapshots (Nova names it "snapshot for <image>").
  await row.getByTestId('snapshot-note').click();
  await page.getByRole('heading', { name: 'Snapshots', exact: true }).waitFor();
  const volSnapRow = rowWith(page, `snapshot for ${snapName}`);
  await volSnapRow.getByText('available').waitFor({ timeout: 60_000 });
  await screenshot(page, 'snapshots');

  // Launch from the snapshot: m1.tiny (1 GiB disk) is below the snapshot's min_disk (20): not allowed.
  await gotoMenu(page, 'Images');
  await rowWith(page, snapName).getByRole('button', { name: 'Launch' }).click();
  const restored = randomName('e2e-restored');
  await page.getByLabel('Instance Name').fill(restored);
  await page.getByRole('dialog').getByRole('button', { name: 'Next', exact: true }).click();
  await page.getByTestId('source-allocated').getByText(snapName).waitFor();
  await screenshot(page, 'launch-source');
  await page.getByRole('dialog').getByRole('button', { name: 'Next', exact: true }).click();
  const tiny = rowWith(page.getByTestId('flavor-available'), 'm1.tiny');
  await tiny.getByTestId('flavor-warning-m1.tiny').waitFor();
  await tiny.getByText(/below the source's minimum of 20 GiB/).waitFor();
  expect(await page.getByLabel('Select m1.tiny').count()).toBe(0);
  await screenshot(page, 'launch-flavor');
  await page.getByLabel('Select m1.small').check();
  await page.getByRole('dialog').getByRole('button', { name: 'Launch Instance' }).click();
  await page.getByTestId('launch-done').waitFor({ timeout: 120_000 });
  await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

  // The data is in the new server's volume.
  const copy = await serverNamed(restored);
  expect(copy.status).toBe('ACTIVE');
  const copyContainer = await containerOf(h.app.instanceId, copy.id);
  expect((await dockerExec(copyContainer!.Id, 'cat /mnt/vda/e2e.txt')).trim()).toBe(payload);

  // Row actions: shut off and start (status and task state followed), attach and detach a volume.
  await gotoMenu(page, 'Instances');
  const restoredRow = rowWith(page, restored);
  await rowMenu(page, restoredRow, 'Shut Off Instance');
  await succeeded(page, `${restored}: done`);
  await restoredRow.getByText('SHUTOFF').waitFor();
  await rowMenu(page, restoredRow, 'Start Instance');
  await succeeded(page, `${restored}: done`);
  await restoredRow.getByText('ACTIVE').waitFor();

  const extra = randomName('e2e-extra');
  await newVolume(demo, { name: extra, size: 1 });
  await gotoMenu(page, 'Volumes');
  await rowMenu(page, rowWith(page, extra), 'Attach');
  await page.getByRole('dialog').getByRole('combobox', { name: 'Instance' }).click();
  await page.locator('.ant-select-item-option', { hasText: restored }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Attach Volume' }).click();
  await succeeded(page, /attached on \/dev\/vd/);
  await rowWith(page, extra).getByText('in-use').waitFor();
  await rowMenu(page, rowWith(page, extra), 'Detach');
  await succeeded(page, `Volume ${extra} detached`);
  await rowWith(page, extra).getByText('available').waitFor();

  // Edit Image renames the snapshot; Delete Instance removes the copy.
  await gotoMenu(page, 'Images');
  await rowMenu(page, rowWith(page, snapName), 'Edit Image');
  await page.getByRole('dialog').getByLabel('Name').fill(`${snapName}-v2`);
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await rowWith(page, `${snapName}-v2`).waitFor();
  await gotoMenu(page, 'Instances');
  await rowMenu(page, rowWith(page, restored), 'Delete Instance');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await succeeded(page, `Instance ${restored} deleted`);
  expect(await gone(rowWith(page, restored))).toBe(0);
  await context.close();

  // Project isolation: alt_demo sees none of demo's servers or snapshots.
  const other = await newPage(browser);
  await dashboardLogin(other.page, h.url, 'alt_demo', 'alt-secret');
  await other.page.locator('.ant-table-placeholder').waitFor();
  expect(await rowWith(other.page, source).count()).toBe(0);
  await gotoMenu(other.page, 'Images');
  await rowWith(other.page, 'busybox').waitFor();
  expect(await rowWith(other.page, snapName).count()).toBe(0);
  await other.context.close();
});
