/**
 * The dashboard's files are served by the API's own process: `/` redirects to /dashboard/,
 * pages get the app, assets are files, and nothing missing is ever answered with the app.
 */
import fs from 'fs';
import path from 'path';
import { startHarness, type Harness } from '../../../support/snapstack-harness';
import { dashboardDir } from '../../../../src/dashboard/dashboard-static';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.stop(); });

const built = () => fs.existsSync(path.join(dashboardDir(), 'index.html'));

test('the dashboard is built into the package (npm run build)', () => {
  expect(built()).toBe(true);
});

test('/ redirects to /dashboard/, which serves the app with its assets from the package', async () => {
  const root = await fetch(`${h.url}/`, { redirect: 'manual' });
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe('/dashboard/');

  const index = await fetch(`${h.url}/dashboard/`);
  expect(index.status).toBe(200);
  expect(index.headers.get('content-type')).toMatch(/text\/html/);
  const html = await index.text();
  const asset = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(asset).toBeDefined();
  // No CDN: every script and stylesheet is the package's own.
  expect(html).not.toMatch(/(src|href)="https?:/);

  const js = await fetch(`${h.url}${asset}`);
  expect(js.status).toBe(200);
  expect(js.headers.get('content-type')).toMatch(/javascript/);
  expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(0);
});

test('a page path gets the app; a missing asset is a JSON 404, not the page', async () => {
  const page = await fetch(`${h.url}/dashboard/snapshots?highlight=x`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<div id="root">');

  const missing = await h.request('GET', '/dashboard/assets/nope.js');
  expect(missing.status).toBe(404);
  expect(missing.body).toEqual({ error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' } });
});

test('the APIs are untouched: unknown paths outside /dashboard stay JSON 404s', async () => {
  const res = await h.request('GET', '/nothing-here');
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
});
