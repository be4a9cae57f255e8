/** Nova's `links` pairs: self under /v2.1, bookmark without the version. */
export function links(serviceUrl: string, collection: string, id: string) {
  return [
    { rel: 'self', href: `${serviceUrl}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${serviceUrl}/${collection}/${id}` },
  ];
}

/** `<coll>_links` with a next page, Nova style: the same query with marker=<last id>. */
export function nextLinks(serviceUrl: string, path: string, query: Record<string, string | string[]>, lastId: string) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k === 'marker') continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  }
  params.set('marker', lastId);
  return [{ rel: 'next', href: `${serviceUrl}/v2.1/${path}?${params.toString()}` }];
}
