/**
 * Paging semantics of every list, on more rows than a page: rows are inserted straight into the
 * tables (ties on the sort keys, NULLs, timestamps that differ only in microseconds), then each
 * list is walked page by page through its next links and compared with the order worked out here.
 */
import { randomUUID } from 'crypto';
import type { Knex } from 'knex';
import { COMPUTE, GLANCE } from '../../../support/compute-helpers';
import { Harness, Session, startHarness } from '../../../support/snapstack-harness';

type Row = Record<string, any>;
type Dir = 'asc' | 'desc';

/** Timestamps one microsecond apart (a JS Date cannot tell them apart), three to a millisecond. */
const stamp = (i: number) => `2026-01-01T00:00:00.${String(100000 + Math.floor(i / 3) * 1000 + (i % 3)).padStart(6, '0')}Z`;

/** The reference order: keys in turn, NULL below ('low') or above ('high') every value, then id. */
function expectedOrder(rows: Row[], keys: Array<[string, Dir]>, nulls: 'low' | 'high', idDir: Dir): string[] {
  const all: Array<[string, Dir]> = keys.some(([k]) => k === 'id') ? keys : [...keys, ['id', idDir]];
  const cmp = (a: Row, b: Row) => {
    for (const [k, dir] of all) {
      const x = a[k];
      const y = b[k];
      let c = 0;
      if (x === y) c = 0;
      else if (x === null) c = nulls === 'low' ? -1 : 1;
      else if (y === null) c = nulls === 'low' ? 1 : -1;
      else c = x < y ? -1 : 1;
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    return 0;
  };
  return [...rows].sort(cmp).map((r) => r.id);
}

/** Follows next links from `first` to the end; the ids in order, and the page sizes. */
async function walk(s: Session, first: string, items: string, next: (body: any) => string | undefined): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let url: string | undefined = first;
  while (url) {
    const res = await s.request('GET', url);
    expect(res.status).toBe(200);
    const page = res.body[items] as Row[];
    pages.push(page.length);
    ids.push(...page.map((r) => r.id));
    url = next(res.body);
    if (pages.length > 200) throw new Error('no end to the pages');
  }
  return { ids, pages };
}

const glanceNext = (b: any) => (b.next ? `/image${b.next}` : undefined);
const linkNext = (key: string) => (b: any) => b[key]?.find((l: any) => l.rel === 'next')?.href;

describe('list paging in SQL: markers across pages, ties, NULLs, filters, visibility', () => {
  let h: Harness;
  let db: Knex;
  let admin: Session;
  let demo: Session;
  let alt: Session;
  const demoImages: Row[] = [];
  const altPrivate: Row[] = [];
  let altSharedAccepted: Row;
  let altSharedPending: Row;
  let publicImage: Row;
  const servers: Row[] = [];
  const volumes: Row[] = [];
  const snapshots: Row[] = [];
  let altServer: string;
  let altVolume: string;

  beforeAll(async () => {
    h = await startHarness();
    db = h.app.db;
    [admin, demo, alt] = await Promise.all([h.login('admin'), h.login('demo'), h.login('alt_demo')]);
    // Only the rows made here are listed (the seeded public images are hidden from the walks by owner/visibility filters or removed).
    await db('images').delete();
    const image = (i: number, owner: string, visibility: string): Row => ({
      id: randomUUID(), name: [null, 'alpha', 'beta'][i % 3], status: 'active', visibility, owner,
      size: [null, 10, 20, 10][i % 4], created_at: stamp(Math.floor(i / 2)), updated_at: stamp(i), min_disk: i % 5, os_hidden: false,
    });
    for (let i = 0; i < 41; i++) demoImages.push(image(i, demo.projectId, i % 4 === 0 ? 'shared' : 'private'));
    for (let i = 0; i < 6; i++) altPrivate.push(image(i, alt.projectId, 'private'));
    altSharedAccepted = image(7, alt.projectId, 'shared');
    altSharedPending = image(8, alt.projectId, 'shared');
    publicImage = image(9, admin.projectId, 'public');
    const all = [...demoImages, ...altPrivate, altSharedAccepted, altSharedPending, publicImage];
    await db('images').insert(all.map((r) => ({ ...r, properties: '{}' })));
    await db('image_members').insert([
      { image_id: altSharedAccepted.id, member_id: demo.projectId, status: 'accepted' },
      { image_id: altSharedPending.id, member_id: demo.projectId, status: 'pending' },
    ]);

    const flavor = JSON.stringify({ id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, ephemeral: 0, swap: 0, extra_specs: {} });
    const server = (i: number, projectId: string): Row => ({
      id: randomUUID(), project_id: projectId, user_id: 'u', name: `srv-${i % 4}`, image_ref: 'img', flavor_id: '1', flavor,
      vm_state: i % 3 === 0 ? 'stopped' : 'active', power_state: 1, networks: 'none', created_at: stamp(Math.floor(i / 2)), updated_at: stamp(i),
    });
    for (let i = 0; i < 23; i++) servers.push(server(i, demo.projectId));
    const altRow = server(3, alt.projectId);
    altServer = altRow.id;
    await db('servers').insert([...servers, altRow]);

    const volume = (i: number, projectId: string): Row => ({
      id: randomUUID(), project_id: projectId, name: [null, 'v-a', 'v-b'][i % 3], size: 1 + (i % 4), status: i % 5 === 0 ? 'error' : 'available',
      volume_type: '__DEFAULT__', availability_zone: 'nova', created_at: stamp(Math.floor(i / 3)), updated_at: stamp(i), metadata: '{}',
    });
    for (let i = 0; i < 26; i++) volumes.push(volume(i, demo.projectId));
    const altVol = volume(1, alt.projectId);
    altVolume = altVol.id;
    await db('volumes').insert([...volumes, altVol]);
    for (let i = 0; i < 22; i++) {
      snapshots.push({
        id: randomUUID(), project_id: demo.projectId, volume_id: volumes[i % 2].id, name: [null, 's-a'][i % 2], size: 1 + (i % 3), status: 'available',
        created_at: stamp(Math.floor(i / 4)), updated_at: stamp(i), metadata: '{}',
      });
    }
    await db('snapshots').insert(snapshots);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  // ----- Glance ------------------------------------------------------------------------

  const visibleToDemo = () => [...demoImages, altSharedAccepted, publicImage];

  test.each<[string, Array<[string, Dir]>]>([
    ['default (created_at desc)', []],
    ['created_at asc', [['created_at', 'asc']]],
    ['name asc (NULLs first)', [['name', 'asc']]],
    ['size desc (NULLs last)', [['size', 'desc']]],
    ['name asc, size desc (mixed directions)', [['name', 'asc'], ['size', 'desc']]],
    ['min_disk desc, name desc', [['min_disk', 'desc'], ['name', 'desc']]],
  ])('images: marker paging by %s visits every visible image once, in order', async (_label, keys) => {
    const sort = keys.map(([k, d]) => `${k}:${d}`).join(',');
    const { ids, pages } = await walk(demo, `${GLANCE}/images?limit=7${sort ? `&sort=${sort}` : ''}`, 'images', glanceNext);
    const order = keys.length ? keys : [['created_at', 'desc'] as [string, Dir]];
    expect(ids).toEqual(expectedOrder(visibleToDemo(), order, 'low', order[order.length - 1][1]));
    expect(pages.slice(0, -1).every((n) => n === 7)).toBe(true);
  });

  test('images: sort_key/sort_dir pairs page the same way', async () => {
    const { ids } = await walk(demo, `${GLANCE}/images?limit=5&sort_key=name&sort_dir=desc&sort_key=created_at&sort_dir=asc`, 'images', glanceNext);
    expect(ids).toEqual(expectedOrder(visibleToDemo(), [['name', 'desc'], ['created_at', 'asc']], 'low', 'asc'));
  });

  test('images: filters combine with markers; a marker the filters exclude still marks its place', async () => {
    const privateOnes = demoImages.filter((r) => r.visibility === 'private');
    const { ids } = await walk(demo, `${GLANCE}/images?visibility=private&sort=name:asc&limit=4`, 'images', glanceNext);
    expect(ids).toEqual(expectedOrder(privateOnes, [['name', 'asc']], 'low', 'asc'));

    const order = expectedOrder(visibleToDemo(), [['name', 'asc']], 'low', 'asc');
    const sharedMarker = demoImages.find((r) => r.visibility === 'shared')!;
    const res = await demo.request('GET', `${GLANCE}/images?visibility=private&sort=name:asc&limit=1000&marker=${sharedMarker.id}`);
    expect(res.status).toBe(200);
    const after = order.slice(order.indexOf(sharedMarker.id) + 1).filter((id) => privateOnes.some((r) => r.id === id));
    expect(res.body.images.map((i: Row) => i.id)).toEqual(after);
  });

  test('images: a full last page still links a next page, which is empty', async () => {
    const own = demoImages.filter((r) => r.visibility === 'shared');
    const first = await demo.request('GET', `${GLANCE}/images?owner=${demo.projectId}&visibility=shared&limit=${own.length}`);
    expect(first.body.images).toHaveLength(own.length);
    expect(first.body.next).toBeDefined();
    const rest = await demo.request('GET', `/image${first.body.next}`);
    expect(rest.body.images).toEqual([]);
    expect(rest.body.next).toBeUndefined();
  });

  test('images: another project\'s private image never appears and is no marker (400); a pending share is unlisted', async () => {
    const { ids } = await walk(demo, `${GLANCE}/images?limit=9&visibility=all`, 'images', glanceNext);
    for (const hidden of [...altPrivate, altSharedPending]) expect(ids).not.toContain(hidden.id);
    expect(ids).toContain(altSharedAccepted.id);
    for (const marker of [altPrivate[2].id, randomUUID()]) {
      const res = await demo.request('GET', `${GLANCE}/images?marker=${marker}`);
      expect(res.status).toBe(400);
      // Glance's db layer's words for an unknown marker; another project's private image is not told apart (Glance: 403).
      expect(res.text).toContain(`No image found with ID ${marker}`);
    }
    // A member sees a pending share by id (as Glance), so it marks its place like any visible image.
    expect((await demo.request('GET', `${GLANCE}/images?marker=${altSharedPending.id}`)).status).toBe(200);
    // The owner and an admin page past the same image.
    expect((await alt.request('GET', `${GLANCE}/images?marker=${altPrivate[2].id}`)).status).toBe(200);
    expect((await admin.request('GET', `${GLANCE}/images?marker=${altPrivate[2].id}`)).status).toBe(200);
  });

  test('images: an admin walks every project\'s images', async () => {
    const { ids } = await walk(admin, `${GLANCE}/images?limit=10&sort=size:asc`, 'images', glanceNext);
    const everything = [...demoImages, ...altPrivate, altSharedAccepted, altSharedPending, publicImage];
    expect(ids).toEqual(expectedOrder(everything, [['size', 'asc']], 'low', 'asc'));
  });

  // ----- Nova --------------------------------------------------------------------------

  test('servers: newest first, id breaking ties, across pages (list and detail)', async () => {
    const expected = expectedOrder(servers, [['created_at', 'desc']], 'low', 'desc');
    for (const path of ['servers', 'servers/detail']) {
      const { ids, pages } = await walk(demo, `${COMPUTE}/${path}?limit=4`, 'servers', linkNext('servers_links'));
      expect(ids).toEqual(expected);
      expect(pages[pages.length - 1]).toBeLessThanOrEqual(4);
    }
  });

  test('servers: a status filter with markers; a marker outside the filter or project is 400', async () => {
    const stopped = servers.filter((r) => r.vm_state === 'stopped');
    const { ids } = await walk(demo, `${COMPUTE}/servers?status=SHUTOFF&limit=2`, 'servers', linkNext('servers_links'));
    expect(ids).toEqual(expectedOrder(stopped, [['created_at', 'desc']], 'low', 'desc'));
    const active = servers.find((r) => r.vm_state === 'active')!;
    for (const marker of [active.id, altServer]) {
      const res = await demo.request('GET', `${COMPUTE}/servers?status=SHUTOFF&marker=${marker}`);
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toBe(`marker [${marker}] not found`);
    }
    const all = await walk(admin, `${COMPUTE}/servers?all_tenants=1&limit=5`, 'servers', linkNext('servers_links'));
    expect(all.ids).toContain(altServer);
    expect(all.ids).toHaveLength(servers.length + 1);
  });

  test('flavors: each sort key and direction pages through every flavor once', async () => {
    const rows: Row[] = [];
    for (let i = 0; i < 9; i++) {
      rows.push({ id: `zz-${i}`, name: `paging-${i}`, ram: 256 * (i % 3), vcpus: 1 + (i % 2), disk: i % 4, description: i % 2 ? 'd' : null, is_public: true });
    }
    await db('flavors').insert(rows.map((r) => ({ ...r, extra_specs: '{}' })));
    try {
      const every: Row[] = (await db('flavors').where({ is_public: true, disabled: false })).map((f: Row) => ({ ...f, memory_mb: f.ram }));
      for (const [key, column, dir] of [['memory_mb', 'ram', 'desc'], ['description', 'description', 'asc'], ['flavorid', 'id', 'desc'], ['disk', 'disk', 'asc']] as const) {
        const { ids } = await walk(demo, `${COMPUTE}/flavors/detail?sort_key=${key}&sort_dir=${dir}&limit=3`, 'flavors', linkNext('flavors_links'));
        expect(ids).toEqual(expectedOrder(every, [[column, dir]], 'low', dir));
      }
      const res = await demo.request('GET', `${COMPUTE}/flavors?minDisk=2&marker=zz-1`);
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toBe('marker [zz-1] not found');
    } finally {
      await db('flavors').whereIn('id', rows.map((r) => r.id)).delete();
    }
  });

  // ----- Cinder ------------------------------------------------------------------------

  test.each<[string, Array<[string, Dir]>]>([
    ['default', []],
    ['name:asc (NULLs last)', [['name', 'asc']]],
    ['name:desc,size:asc', [['name', 'desc'], ['size', 'asc']]],
  ])('volumes: marker paging by %s', async (_label, keys) => {
    const sort = keys.map(([k, d]) => `${k}:${d}`).join(',');
    const { ids } = await walk(demo, `/volume/v3/${demo.projectId}/volumes/detail?limit=6${sort ? `&sort=${sort}` : ''}`, 'volumes', linkNext('volumes_links'));
    const all: Array<[string, Dir]> = [...(keys.length ? keys : [['created_at', 'desc'] as [string, Dir]])];
    if (!all.some(([k]) => k === 'created_at')) all.push(['created_at', all[0][1]]);
    expect(ids).toEqual(expectedOrder(volumes, all, 'high', all[0][1]));
  });

  test('volumes: a filter with markers; another project\'s volume is no marker (404)', async () => {
    const available = volumes.filter((r) => r.status === 'available');
    const { ids } = await walk(demo, `/volume/v3/${demo.projectId}/volumes?status=available&limit=5`, 'volumes', linkNext('volumes_links'));
    expect(ids).toEqual(expectedOrder(available, [['created_at', 'desc']], 'high', 'desc'));
    const res = await demo.request('GET', `/volume/v3/${demo.projectId}/volumes?marker=${altVolume}`);
    expect(res.status).toBe(404);
    expect(res.body.itemNotFound.message).toContain(altVolume);
  });

  test('snapshots: marker paging by the default order and by name', async () => {
    const path = `/volume/v3/${demo.projectId}/snapshots/detail`;
    const byDefault = await walk(demo, `${path}?limit=5`, 'snapshots', linkNext('snapshots_links'));
    expect(byDefault.ids).toEqual(expectedOrder(snapshots, [['created_at', 'desc']], 'high', 'desc'));
    // `name` sorts snapshots from 3.30 (no microversion is sent here); display_name always does.
    const byName = await walk(demo, `${path}?limit=4&sort=display_name:asc`, 'snapshots', linkNext('snapshots_links'));
    expect(byName.ids).toEqual(expectedOrder(snapshots, [['name', 'asc'], ['created_at', 'asc']], 'high', 'asc'));
    const ofOne = await walk(demo, `${path}?limit=3&volume_id=${volumes[1].id}`, 'snapshots', linkNext('snapshots_links'));
    expect(ofOne.ids).toEqual(expectedOrder(snapshots.filter((r) => r.volume_id === volumes[1].id), [['created_at', 'desc']], 'high', 'desc'));
  });
});
