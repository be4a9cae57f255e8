/**
 * The desktop launcher's Snapshots dialog, in a real browser against two real Snapstacks:
 * Workspace and Namespace sections, create, rename, restore (as a new volume and by revert), delete, export to the snapshots
 * folder with progress, download, upload to the second machine, import and restore there, and
 * the data is identical.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Browser, Page } from 'playwright-core';
import { startHarness, type Harness, type Session } from '../support/snapstack-harness';
import { randomName, waitForVolume } from '../support/compute-helpers';
import { exportAndWait, FINGERPRINT, newSnapshot, newVolume, onVolume, projectFolder, SS, VOL } from '../support/archive-helpers';
import { dashboardLogin, gone, gotoMenu, launchBrowser, newPage, rowWith, screenshot, succeeded } from '../support/browser';

// Real boots, snapshots and archives in Docker behind a real browser: minutes on a loaded 2-core machine.
jest.setTimeout(600_000);

let a: Harness;
let b: Harness;
let browser: Browser;
let workspaceDir: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-e2e-'));

beforeAll(async () => {
  workspaceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-ws-'));
  a = await startHarness({ workspaceDir });
  b = await startHarness();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await a?.stop();
  await b?.stop();
  fs.rmSync(workspaceDir, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function volumeNamed(s: Session, name: string): Promise<any> {
  const res = await s.request('GET', `${VOL}/volumes/detail?name=${encodeURIComponent(name)}`);
  expect(res.body.volumes).toHaveLength(1);
  return waitForVolume(s, res.body.volumes[0].id, ['available']);
}

async function snapshotAction(page: Page, section: 'workspace' | 'namespace', name: string, action: string): Promise<void> {
  const row = rowWith(page.getByTestId(`${section}-snapshots`), name);
  if (action === 'Restore') return row.getByRole('button', { name: 'Restore' }).click();
  await row.getByRole('button', { name: /More/ }).click();
  await page.getByRole('menuitem', { name: action }).click();
}

test('workspace and namespace snapshots: create, rename, restore, delete, export, download, upload to another Snapstack, restore, same data', async () => {
  // A workspace snapshot (demo data for everyone): the admin promotes one of admin's snapshots.
  const admin = await a.login('admin');
  const adminVol = await newVolume(admin);
  await onVolume(a, admin, adminVol, 'mkdir -p /data/demo && echo shipped-demo-data > /data/demo/readme.txt');
  const wsSource = await newSnapshot(admin, adminVol, randomName('ws-demo'));
  await exportAndWait(admin, `${SS}/snapshots/${wsSource}/promote`);
  const demoA = await a.login('demo');
  const wsSnap = (await demoA.request('GET', `${VOL}/snapshots/detail`)).body.snapshots.find((s: any) => s['os-extended-snapshot-attributes:project_id'] === 'workspace');
  expect(wsSnap).toBeDefined();

  const { context, page } = await newPage(browser);
  await dashboardLogin(page, a.url, 'demo', 'demo-secret');

  // Volumes: create one and put data in it.
  await gotoMenu(page, 'Volumes');
  const volName = randomName('e2e-data');
  await page.getByRole('button', { name: 'Create Volume' }).click();
  await page.getByLabel('Volume Name').fill(volName);
  await page.getByRole('dialog').getByRole('button', { name: 'Create Volume' }).click();
  await succeeded(page, `Volume ${volName} is available`);
  await rowWith(page, volName).getByText('available').waitFor();
  const vol = await volumeNamed(demoA, volName);
  await onVolume(a, demoA, vol.id, `mkdir -p /data/app && echo state-${randomName('v')} > /data/app/state.txt && ln -s state.txt /data/app/current && chmod 640 /data/app/state.txt`);
  const original = await onVolume(a, demoA, vol.id, FINGERPRINT);
  await screenshot(page, 'volumes');

  // Snapshots: the two sections side by side; the workspace one restores into a volume of demo's own.
  await gotoMenu(page, 'Snapshots');
  await rowWith(page.getByTestId('workspace-snapshots'), wsSnap.name).waitFor();
  await snapshotAction(page, 'workspace', wsSnap.name, 'Restore');
  const fromWs = randomName('from-ws');
  await page.getByLabel('New Volume Name').fill(fromWs);
  await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
  await succeeded(page, `Volume ${fromWs} restored`);
  expect(await onVolume(a, demoA, (await volumeNamed(demoA, fromWs)).id, 'cat /data/demo/readme.txt')).toContain('shipped-demo-data');

  // Namespace: create, rename.
  const snapName = randomName('e2e-ns');
  await page.getByTestId('namespace-snapshots').getByRole('button', { name: 'Create Snapshot' }).click();
  await page.getByLabel('Snapshot Name').fill(snapName);
  await page.getByRole('dialog').getByRole('combobox', { name: 'Volume' }).click();
  await page.locator('.ant-select-item-option', { hasText: volName }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Create Snapshot' }).click();
  await succeeded(page, `Snapshot ${snapName} is available`);
  await rowWith(page.getByTestId('namespace-snapshots'), snapName).getByText('available').waitFor();
  // The workspace snapshot is not the project's: it never shows among the namespace ones.
  expect(await rowWith(page.getByTestId('namespace-snapshots'), wsSnap.name).count()).toBe(0);

  const renamed = `${snapName}-renamed`;
  await snapshotAction(page, 'namespace', snapName, 'Rename');
  await page.getByLabel('New Name').fill(renamed);
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await succeeded(page, `Snapshot renamed to ${renamed}`);
  await rowWith(page.getByTestId('namespace-snapshots'), renamed).waitFor();

  // Restore as a new volume: the snapshot's data.
  await snapshotAction(page, 'namespace', renamed, 'Restore');
  const restoredName = randomName('e2e-restored');
  await page.getByLabel('New Volume Name').fill(restoredName);
  await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
  await succeeded(page, `Volume ${restoredName} restored`);
  expect(await onVolume(a, demoA, (await volumeNamed(demoA, restoredName)).id, FINGERPRINT)).toBe(original);

  // Restore by reverting the volume itself to the snapshot (Cinder's revert): later changes go.
  await onVolume(a, demoA, vol.id, 'echo changed-after-the-snapshot > /data/app/state.txt && rm /data/app/current');
  expect(await onVolume(a, demoA, vol.id, FINGERPRINT)).not.toBe(original);
  await snapshotAction(page, 'namespace', renamed, 'Restore');
  // Reduced motion (the browser's setting): the dialog opens without its zoom animation.
  expect(await page.locator('.ant-modal').getAttribute('class')).not.toMatch(/zoom/);
  await page.getByRole('dialog').getByRole('radio', { name: /Revert volume/ }).check();
  await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
  await succeeded(page, `Volume ${volName} reverted to ${renamed}`);
  expect(await onVolume(a, demoA, vol.id, FINGERPRINT)).toBe(original);

  // Export to the snapshots folder: a live progress bar, then the archive in the folder.
  await snapshotAction(page, 'namespace', renamed, 'Export to Folder');
  await page.locator('.long-action .ant-progress').first().waitFor();
  await succeeded(page, /Exported to the snapshots folder as/);
  const archiveName = (await page.locator('.long-action-done', { hasText: 'Exported' }).first().innerText()).match(/as (\S+\.tar)/)![1];
  const archiveRow = rowWith(page.getByTestId('snapshot-folder'), archiveName);
  await archiveRow.getByText('ready').waitFor();
  await screenshot(page, 'launcher-snapshots');

  // Download it through the browser.
  const [download] = await Promise.all([page.waitForEvent('download'), archiveRow.getByRole('button', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toBe(archiveName);
  const downloaded = path.join(tmp, archiveName);
  await download.saveAs(downloaded);
  expect(fs.readFileSync(downloaded).equals(fs.readFileSync(path.join(projectFolder(a, demoA), archiveName)))).toBe(true);

  // Delete: a snapshot made only to be deleted.
  const doomed = randomName('e2e-doomed');
  await newSnapshot(demoA, vol.id, doomed);
  await rowWith(page.getByTestId('namespace-snapshots'), doomed).waitFor();
  await snapshotAction(page, 'namespace', doomed, 'Delete');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await succeeded(page, `Snapshot ${doomed} deleted`);
  expect(await gone(rowWith(page.getByTestId('namespace-snapshots'), doomed))).toBe(0);
  await context.close();

  // The second Snapstack: upload from this computer, import and restore, same data.
  const demoB = await b.login('demo');
  const other = await newPage(browser);
  await dashboardLogin(other.page, b.url, 'demo', 'demo-secret');
  await gotoMenu(other.page, 'Snapshots');
  await other.page.getByTestId('upload-input').setInputFiles(downloaded);
  await succeeded(other.page, `${archiveName} is in the snapshots folder`);
  const uploadedRow = rowWith(other.page.getByTestId('snapshot-folder'), archiveName);
  await uploadedRow.getByText('ready').waitFor();
  await uploadedRow.getByRole('button', { name: 'Import and Restore' }).click();
  await succeeded(other.page, /restored as volume/);
  const restoredB = (await demoB.request('GET', `${VOL}/volumes/detail`)).body.volumes.find((v: any) => v.name === `${renamed}-restored`);
  expect(restoredB).toBeDefined();
  await waitForVolume(demoB, restoredB.id, ['available']);
  expect(await onVolume(b, demoB, restoredB.id, FINGERPRINT)).toBe(original);
  await rowWith(other.page.getByTestId('namespace-snapshots'), renamed).waitFor();
  await screenshot(other.page, 'launcher-imported');
  await other.context.close();
});
