import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

/** How often lists and followed resources are re-read: status changes appear without a refresh. */
export const POLL_MS = 2500;

export interface PagedList<T> {
  rows: T[];
  loading: boolean;
  error: string | null;
  page: number;
  hasNext: boolean;
  next(): void;
  prev(): void;
  reload(): void;
}

/**
 * One page of a list the service pages (limit + marker, as Nova, Cinder and Glance do): asks for
 * one row more than shown to know whether a next page exists, and re-reads the page while shown.
 */
export function usePagedList<T extends { id: string }>(
  fetchPage: (limit: number, marker?: string) => Promise<T[]>, deps: unknown[], pageSize = 20,
): PagedList<T> {
  // A new filter or project starts again from the first page, in the same render: the page is
  // never read with the old filter's marker.
  const generation = useMemo(() => ({}), deps);
  const [paging, setPaging] = useState({ generation, markers: [undefined] as (string | undefined)[] });
  const markers = paging.generation === generation ? paging.markers : [undefined];
  const setMarkers = (f: (m: (string | undefined)[]) => (string | undefined)[]) =>
    setPaging((p) => ({ generation, markers: f(p.generation === generation ? p.markers : [undefined]) }));
  const [rows, setRows] = useState<T[]>([]);
  const [hasNext, setHasNext] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const marker = markers[markers.length - 1];
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const got = await fetchRef.current(pageSize + 1, marker);
        if (!live) return;
        setRows(got.slice(0, pageSize));
        setHasNext(got.length > pageSize);
        setError(null);
      } catch (err) {
        if (live) setError((err as Error).message);
      } finally {
        if (live) {
          setLoading(false);
          timer = setTimeout(load, POLL_MS);
        }
      }
    };
    setLoading(true);
    void load();
    return () => { live = false; if (timer) clearTimeout(timer); };
  }, [marker, tick, pageSize, ...deps]);

  return {
    rows, loading, error, hasNext, page: markers.length,
    next: () => { if (rows.length) setMarkers((m) => [...m, rows[rows.length - 1].id]); },
    prev: () => setMarkers((m) => (m.length > 1 ? m.slice(0, -1) : m)),
    reload: useCallback(() => setTick((t) => t + 1), []),
  };
}

/**
 * One page of the rows `keep` accepts from a service list the API cannot filter that way (a
 * project's own snapshots among the shared ones, instance snapshots among images): reads on
 * from `marker` until `limit` kept rows or the list's end, so a page is full; it reads more
 * than one page only while skipping rows of the other kind.
 */
export async function keptPage<T extends { id: string }>(
  fetchPage: (limit: number, marker?: string) => Promise<T[]>, keep: (row: T) => boolean, limit: number, marker?: string,
): Promise<T[]> {
  const kept: T[] = [];
  for (let from = marker; ;) {
    const got = await fetchPage(limit, from);
    kept.push(...got.filter(keep));
    if (kept.length >= limit || got.length < limit) return kept.slice(0, limit);
    from = got[got.length - 1].id;
  }
}

/** Polls `probe` until `done` says so; the caller shows progress meanwhile. */
export async function follow<T>(probe: () => Promise<T>, done: (v: T) => boolean, onUpdate?: (v: T) => void, timeoutMs = 10 * 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    onUpdate?.(v);
    if (done(v)) return v;
    if (Date.now() > until) throw new Error('Timed out waiting for the operation to finish');
    await new Promise((r) => setTimeout(r, 1000));
  }
}
