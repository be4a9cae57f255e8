import { useEffect, useRef, useState } from 'react';
import { Select } from 'antd';

export interface Option { value: string; label: string }

/** How many options a SearchSelect reads at a time: the newest, or those matching what was typed. */
export const SEARCH_LIMIT = 50;

/**
 * A Select over a list the service filters by name: it shows the first SEARCH_LIMIT rows, and
 * what the user types is sent to the service (never the whole list read into the browser).
 */
export function SearchSelect({ search, ariaLabel, ...props }: {
  search: (name: string | undefined) => Promise<Option[]>; ariaLabel: string; value?: string; onChange?: (v: string) => void; placeholder?: string;
}) {
  const [options, setOptions] = useState<Option[]>([]);
  const [text, setText] = useState('');
  const searchRef = useRef(search);
  searchRef.current = search;
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      searchRef.current(text.trim() || undefined).then((o) => { if (live) setOptions(o); }).catch(() => undefined);
    }, text ? 300 : 0);
    return () => { live = false; clearTimeout(timer); };
  }, [text]);
  return <Select aria-label={ariaLabel} style={{ width: '100%' }} showSearch filterOption={false} onSearch={setText} options={options} {...props} />;
}
