import { keptPage } from '../../../web/src/hooks';

/** A service list of ids 0..n-1 in order, paged by limit and marker; counts the reads. */
function service(n: number) {
  const all = Array.from({ length: n }, (_, i) => ({ id: String(i) }));
  const reads: Array<{ limit: number; marker?: string }> = [];
  const fetchPage = async (limit: number, marker?: string) => {
    reads.push({ limit, marker });
    const from = marker === undefined ? 0 : all.findIndex((r) => r.id === marker) + 1;
    return all.slice(from, from + limit);
  };
  return { fetchPage, reads };
}

describe('keptPage (a page of the rows a list cannot filter on the server)', () => {
  test('reads on past rows of the other kind until the page is full, from the marker', async () => {
    const s = service(100);
    // Every third row is kept: a page of 5 needs three reads of 5.
    const page = await keptPage(s.fetchPage, (r) => Number(r.id) % 3 === 0, 5, '2');
    expect(page.map((r) => r.id)).toEqual(['3', '6', '9', '12', '15']);
    expect(s.reads).toEqual([{ limit: 5, marker: '2' }, { limit: 5, marker: '7' }, { limit: 5, marker: '12' }]);
  });

  test('one read when the rows are all kept; stops at the end of the list', async () => {
    const all = service(100);
    expect((await keptPage(all.fetchPage, () => true, 10)).map((r) => r.id)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(all.reads).toHaveLength(1);
    const short = service(7);
    expect((await keptPage(short.fetchPage, (r) => r.id !== '3', 10)).map((r) => r.id)).toEqual(['0', '1', '2', '4', '5', '6']);
    expect(short.reads).toHaveLength(1);
  });
});
