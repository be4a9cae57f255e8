import { useEffect, useRef, useState } from 'react';

/**
 * Names of resources a page only knows by id (a server's image and volumes), read one by one
 * and remembered: a page of 20 rows asks for at most a few, never the whole list.
 */
export function useNames(ids: string[], lookup: (id: string) => Promise<string | null>): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const asked = useRef(new Set<string>());
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    for (const id of key ? key.split(',') : []) {
      if (asked.current.has(id)) continue;
      asked.current.add(id);
      lookup(id).then((n) => setNames((m) => ({ ...m, [id]: n ?? id }))).catch(() => asked.current.delete(id));
    }
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  return names;
}
