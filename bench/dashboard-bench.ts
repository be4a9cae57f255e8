/**
 * `npm run bench:dashboard`: the dashboard at 1,000 rows (issue 12). One Snapstack; the demo
 * project holds 1,000 images, volumes, volume snapshots and servers (rows inserted straight into
 * the tables, as bench:api-scale does), and beside it alt_demo holds 25 of each (the reference).
 * In Debian's chromium (playwright-core, never a download) each user logs in and, for the
 * Instances, Images, Volumes and Snapshots pages, the bench measures: navigation to the first
 * table page rendered, the page's JS heap then (after a garbage collection), Next to the second
 * page rendered (at 25 rows it holds 5 rows, at 1,000 a full page), and from the first page a
 * name filter (Enter) to the one matching row. Each figure is the median
 * of REPEAT visits, the two projects' visits alternating; the table sets 1,000 rows beside 25
 * and gives the ratio.
 * Target: every time and the heap within 1.5x of the 25-row figure (the pages read one page
 * from the server, so the cost must not grow with the row count).
 */
import type { Browser, CDPSession, Locator, Page } from 'playwright-core';
import { dashboardLogin, launchBrowser, newPage } from '../test/support/browser';
import { DEMO_PASSWORD, fmtMs, median, now, printTable, runMain, seedRows, withSnapstack, type RowCounts } from './bench-helpers';

const REPEAT = Number(process.env.BENCH_REPEAT || 5);
const BIG: RowCounts = { images: 1_000, volumes: 1_000, snapshots: 1_000, servers: 1_000 };
const SMALL: RowCounts = { images: 25, volumes: 25, snapshots: 25, servers: 25 };
const TARGET = 1.5;

interface PageSpec {
  title: 'Instances' | 'Images' | 'Volumes' | 'Snapshots';
  path: string;
  /** The one row the filter leaves (present at both sizes). */
  target: string;
  /** What is typed into the filter (Nova's name filter is a regular expression). */
  filter: string;
  placeholder: string;
  /** The table measured: the Snapshots page's own (namespace) section. */
  scope?: string;
}

const PAGES: PageSpec[] = [
  { title: 'Instances', path: 'instances', target: 'srv-3', filter: '^srv-3$', placeholder: 'Filter by name' },
  { title: 'Images', path: 'images', target: 'img-3', filter: 'img-3', placeholder: 'Filter by exact name' },
  { title: 'Volumes', path: 'volumes', target: 'vol-3', filter: 'vol-3', placeholder: 'Filter by exact name' },
  { title: 'Snapshots', path: 'snapshots', target: 'snap-3', filter: 'snap-3', placeholder: 'Filter by exact name', scope: '[data-testid="namespace-snapshots"]' },
];

interface Figures { open: number; next: number; filter: number; heap: number }

const ROWS = 'tr.ant-table-row';
/** The page's document, in functions playwright runs in the browser (Node's types have no DOM). */
declare const document: any;

/** Text of the scope's first table row, or '' while none is rendered. */
const firstRowText = (page: Page, scope: string) => page.evaluate(([s, r]) => document.querySelector(`${s} ${r}`)?.textContent ?? '', [scope, ROWS] as const);

async function heapBytes(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
}

/** One visit of one page: open; the heap with the first page shown; next page; back; filter. */
async function visit(page: Page, cdp: CDPSession, base: string, spec: PageSpec): Promise<Figures> {
  const scope = spec.scope ?? 'main';
  const table: Locator = page.locator(scope).first();
  await page.goto('about:blank');
  let t = now();
  await page.goto(`${base}/dashboard/${spec.path}`);
  await table.locator(ROWS).first().waitFor();
  const open = now() - t;

  const heap = await heapBytes(cdp);

  const first = await firstRowText(page, scope);
  t = now();
  await table.getByRole('button', { name: 'Next page' }).click();
  await page.waitForFunction(([s, r, before]) => {
    const row = document.querySelector(`${s} ${r}`);
    return !!row && row.textContent !== before && document.querySelector(s)!.textContent!.includes('Page 2');
  }, [scope, ROWS, first] as const);
  const next = now() - t;

  // Back to page 1 (not measured): the filter then replaces a full page at both sizes.
  await table.getByRole('button', { name: 'Previous page' }).click();
  await page.waitForFunction(([s, r, before]) => document.querySelector(`${s} ${r}`)?.textContent === before && document.querySelector(s)!.textContent!.includes('Page 1'), [scope, ROWS, first] as const);

  const box = table.getByPlaceholder(spec.placeholder);
  await box.fill(spec.filter);
  t = now();
  await box.press('Enter');
  await page.waitForFunction(([s, r, name]) => {
    const rows = document.querySelectorAll(`${s} ${r}`);
    return rows.length === 1 && rows[0].querySelector('td')?.textContent === name;
  }, [scope, ROWS, spec.target] as const);
  const filter = now() - t;
  return { open, next, filter, heap };
}

interface Viewer { page: Page; cdp: CDPSession; figures: Map<string, Figures[]> }

async function viewer(browser: Browser, base: string, user: 'demo' | 'alt_demo'): Promise<Viewer> {
  const { page } = await newPage(browser);
  const cdp = await page.context().newCDPSession(page);
  await dashboardLogin(page, base, user, DEMO_PASSWORD);
  return { page, cdp, figures: new Map() };
}

/**
 * Both projects in one browser, each visit of the 1,000-row project right after the same visit
 * of the 25-row one: a machine whose load drifts weighs on both sides alike.
 */
async function measure(base: string): Promise<{ big: Map<string, Figures>; small: Map<string, Figures> }> {
  const browser = await launchBrowser();
  try {
    const small = await viewer(browser, base, 'alt_demo');
    const big = await viewer(browser, base, 'demo');
    for (const spec of PAGES) {
      for (const v of [small, big]) await visit(v.page, v.cdp, base, spec); // warm-up: code compiled, assets cached
      for (let i = 0; i < REPEAT; i++) {
        for (const v of [small, big]) v.figures.set(spec.title, [...(v.figures.get(spec.title) ?? []), await visit(v.page, v.cdp, base, spec)]);
      }
      console.log(`${spec.title}: measured`);
    }
    const medians = (v: Viewer) => new Map([...v.figures].map(([title, runs]) => [title, {
      open: median(runs.map((r) => r.open)), next: median(runs.map((r) => r.next)),
      filter: median(runs.map((r) => r.filter)), heap: median(runs.map((r) => r.heap)),
    }]));
    return { big: medians(big), small: medians(small) };
  } finally {
    await browser.close();
  }
}

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  let big = new Map<string, Figures>();
  let small = new Map<string, Figures>();
  await withSnapstack('dashboard', async ({ app, api }) => {
    const users = await app.db('users').whereIn('name', ['demo', 'alt_demo']).select('id', 'name');
    const userId = (name: string) => users.find((u: { name: string }) => u.name === name)!.id;
    const altProject = await app.db('projects').where({ name: 'alt_demo' }).first('id');
    await seedRows(app.db, api.projectId, userId('demo'), BIG);
    await seedRows(app.db, altProject.id, userId('alt_demo'), SMALL);
    ({ big, small } = await measure(app.url));
  });
  console.log(`\nDashboard pages in chromium: ${BIG.servers} rows of each kind in one project beside ${SMALL.servers} in another; median of ${REPEAT} visits`);
  console.log('open: navigation to the first table page rendered; heap: JS heap after GC with that page shown; next: to page 2; filter: Enter on page 1 to the one matching row\n');
  const lines: string[][] = [];
  const misses: string[] = [];
  const cell = (b: number, s: number, fmt: (x: number) => string) => [fmt(b), fmt(s), `${(b / s).toFixed(2)}x`];
  for (const spec of PAGES) {
    const b = big.get(spec.title)!;
    const s = small.get(spec.title)!;
    for (const k of ['open', 'next', 'filter', 'heap'] as const) {
      if (b[k] / s[k] > TARGET) misses.push(`${spec.title} ${k}: ${(b[k] / s[k]).toFixed(2)}x the 25-row figure (target ${TARGET}x)`);
    }
    lines.push([spec.title, ...cell(b.open, s.open, fmtMs), ...cell(b.next, s.next, fmtMs), ...cell(b.filter, s.filter, fmtMs), ...cell(b.heap, s.heap, mib)]);
  }
  printTable(['page', 'open 1,000', 'open 25', 'ratio', 'next 1,000', 'next 25', 'ratio', 'filter 1,000', 'filter 25', 'ratio', 'heap 1,000', 'heap 25', 'ratio'], lines);
  console.log(misses.length ? `\nTargets missed:\n- ${misses.join('\n- ')}` : '\nAll targets met.');
}

runMain(main);
