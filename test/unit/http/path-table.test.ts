import { PathTable } from '../../../src/http/path-table';

const table = () => {
  const t = new PathTable<string>();
  for (const p of ['/', '/v3', '/v3/{project_id}/volumes', '/v3/{project_id}/volumes/detail', '/v3/{project_id}/volumes/{volume_id}', '/v3/{project_id}/volumes/{volume_id}/action', '/v3/{alpha}/other']) t.add(p, p);
  return t;
};
const found = (t: PathTable<string>, path: string) => t.match(path).map((m) => [m.value, Object.fromEntries(m.rawParams)]);

describe('PathTable', () => {
  it('finds the one path a request names, with its raw parameters', () => {
    expect(found(table(), '/v3/p1/volumes/v%201/action')).toEqual([['/v3/{project_id}/volumes/{volume_id}/action', { project_id: 'p1', volume_id: 'v%201' }]]);
  });

  it('yields a literal segment\'s path before a parameter\'s', () => {
    expect(found(table(), '/v3/p1/volumes/detail').map(([v]) => v)).toEqual(['/v3/{project_id}/volumes/detail', '/v3/{project_id}/volumes/{volume_id}']);
  });

  it('takes one optional trailing slash, and the root both ways', () => {
    expect(found(table(), '/v3/p1/volumes/').map(([v]) => v)).toEqual(['/v3/{project_id}/volumes']);
    expect(found(table(), '/v3/p1/volumes//')).toEqual([]);
    expect(found(table(), '/').map(([v]) => v)).toEqual(['/']);
    expect(found(table(), '/v3/').map(([v]) => v)).toEqual(['/v3']);
  });

  it('never takes an empty segment as a parameter, and compares literals case-sensitively', () => {
    expect(found(table(), '/v3//volumes')).toEqual([]);
    expect(found(table(), '/V3/p1/volumes')).toEqual([]);
    expect(found(table(), '/v3/p1/volumes/a/b/c')).toEqual([]);
  });

  it('tries differently named parameters at one place in the order of their names', () => {
    expect(found(table(), '/v3/x/other')).toEqual([['/v3/{alpha}/other', { alpha: 'x' }]]);
    const t = new PathTable<string>();
    t.add('/a/{zeta}', 'z');
    t.add('/a/{alpha}', 'a');
    expect(t.match('/a/1').map((m) => m.value)).toEqual(['a', 'z']);
  });
});
