import { useEffect, useState } from 'react';

/** The dashboard's pages: /dashboard/<page>?<params>, kept in the browser's history. */
export type Page = 'instances' | 'images' | 'volumes' | 'snapshots';
export const PAGES: Page[] = ['instances', 'images', 'volumes', 'snapshots'];
const BASE = '/dashboard/';

export interface Route {
  page: Page;
  params: URLSearchParams;
}

function current(): Route {
  const rest = window.location.pathname.startsWith(BASE) ? window.location.pathname.slice(BASE.length) : '';
  const page = (PAGES as string[]).includes(rest) ? (rest as Page) : 'instances';
  return { page, params: new URLSearchParams(window.location.search) };
}

export function navigate(page: Page, params: Record<string, string> = {}): void {
  const q = new URLSearchParams(params).toString();
  window.history.pushState(null, '', `${BASE}${page}${q ? `?${q}` : ''}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = () => setRoute(current());
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return route;
}
