export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n === 0) return '0 bytes';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Cinder's times have no zone (UTC); Glance's and Nova's end in Z. */
export function when(t: string | null | undefined): string {
  if (!t) return '-';
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`);
  return Number.isNaN(ms) ? t : new Date(ms).toLocaleString();
}

export const nameOf = (x: { name?: string | null; id: string }) => x.name || x.id.slice(0, 8);
