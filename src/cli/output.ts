/**
 * cliff's formatters, as the `openstack` client prints: table (PrettyTable's box), json, yaml,
 * value, csv (lists) and shell (single objects); `-c COLUMN` picks columns (in the command's
 * order), `--sort-column` sorts list rows.
 */
import { PyFloat, pyJson, pyStr } from '../shared/py-format';
import { pyYamlDump } from './py-yaml';

/** A value with a human form (table) and a machine form (json, yaml, value...), like cliff's FormattableColumn. */
export class Formatted {
  constructor(readonly human: string, readonly machine: unknown) {}
}

export type Cell = unknown;

export interface ListOutput {
  kind: 'list';
  columns: string[];
  rows: Cell[][];
}

export interface ShowOutput {
  kind: 'show';
  /** In display order (commands sort them as openstack does). */
  fields: [string, Cell][];
}

export type CommandOutput = ListOutput | ShowOutput;

export interface OutputOptions {
  format: string;
  columns: string[];
  noindent: boolean;
  prefix: string;
  quote: 'all' | 'minimal' | 'nonnumeric' | 'none';
  printEmpty: boolean;
  sortColumns: string[];
  sortDirection: 'asc' | 'desc';
}

export const LIST_FORMATS = ['csv', 'json', 'table', 'value', 'yaml'];
export const SHOW_FORMATS = ['json', 'shell', 'table', 'value', 'yaml'];

export function defaultOutputOptions(): OutputOptions {
  return { format: 'table', columns: [], noindent: false, prefix: '', quote: 'nonnumeric', printEmpty: false, sortColumns: [], sortDirection: 'asc' };
}

export class OutputError extends Error {}

const machine = (c: Cell): unknown => (c instanceof Formatted ? c.machine : c);
const human = (c: Cell): unknown => (c instanceof Formatted ? c.human : c);

/** DictColumn: key='value', sorted keys, nested dicts flattened with dots. */
export function formatDict(data: Record<string, unknown> | null | undefined, prefix?: string): string | null {
  if (data === null || data === undefined) return null;
  const parts: string[] = [];
  for (const k of Object.keys(data).sort(pySortCompare)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const v = data[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) parts.push(formatDict(v as Record<string, unknown>, key) ?? '');
    else if (v !== null && v !== undefined) parts.push(`${key}='${pyStr(v)}'`);
    else parts.push(`${key}=`);
  }
  return parts.join(', ');
}

/** ListColumn: sorted, comma separated. */
export function formatList(data: unknown[] | null | undefined): string | null {
  if (data === null || data === undefined) return null;
  return data.map(pyStr).sort(pySortCompare).join(', ');
}

export function dictColumn(v: Record<string, unknown> | null | undefined): Formatted {
  return new Formatted(formatDict(v) ?? 'None', { ...(v ?? {}) });
}

export function listColumn(v: unknown[] | null | undefined): Formatted {
  return new Formatted(formatList(v) ?? 'None', v ?? null);
}

export function listDictColumn(v: Record<string, unknown>[] | null | undefined): Formatted {
  return new Formatted(v ? v.map((d) => formatDict(d)).join('\n') : 'None', v ?? null);
}

/** DictListColumn: key=a, b; key2=c (server addresses). */
export function dictListColumn(v: Record<string, unknown[]> | null | undefined): Formatted {
  const text = v ? Object.keys(v).sort(pySortCompare).filter((k) => v[k] != null).map((k) => `${k}=${formatList(v[k])}`).join('; ') : 'None';
  return new Formatted(text, { ...(v ?? {}) });
}

/** Python's default string ordering (code points). */
export function pySortCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function blockWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    // wcwidth.wcswidth: -1 as soon as one character is a control character.
    if ((c > 0 && c < 0x20) || (c >= 0x7f && c < 0xa0)) return -1;
    if (c === 0 || (c >= 0x300 && c <= 0x36f) || c === 0x200b) continue;
    // East Asian wide and full-width characters take two columns (as wcwidth says).
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

function cellText(c: Cell): string {
  return pyStr(human(c)).replace(/\r\n/g, '\n').replace(/\r/g, ' ');
}

function justify(text: string, width: number, align: 'l' | 'r' | 'c'): string {
  const excess = width - blockWidth(text);
  if (align === 'l') return text + ' '.repeat(excess);
  if (align === 'r') return ' '.repeat(excess) + text;
  const half = Math.floor(excess / 2);
  if (excess % 2 === 0) return ' '.repeat(half) + text + ' '.repeat(half);
  return blockWidth(text) % 2 ? ' '.repeat(half) + text + ' '.repeat(half + 1) : ' '.repeat(half + 1) + text + ' '.repeat(half);
}

/** PrettyTable with padding 1, as cliff configures it. */
export function renderTable(headers: string[], rows: Cell[][], aligns: ('l' | 'r' | 'c')[]): string {
  const texts = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(blockWidth(h), ...texts.map((r) => Math.max(...r[i].split('\n').map(blockWidth)))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]) => `|${cells.map((c, i) => ` ${justify(c, widths[i], aligns[i])} `).join('|')}|`;
  const out = [rule, line(headers), rule];
  for (const r of texts) {
    const split = r.map((c) => c.split('\n'));
    const height = Math.max(...split.map((s) => s.length));
    for (let y = 0; y < height; y++) out.push(line(split.map((s) => s[y] ?? '')));
  }
  out.push(rule);
  return out.join('\n');
}

function alignOf(c: Cell): 'l' | 'r' {
  const v = c;
  return typeof v === 'number' || v instanceof PyFloat ? 'r' : 'l';
}

function csvField(v: unknown, mode: OutputOptions['quote']): string {
  // Python's csv module: bools are ints (numeric), None is an empty string, the escape
  // character (a backslash, as cliff sets it) is always escaped.
  const isNumber = typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
  const s = v === null || v === undefined ? '' : pyStr(v);
  if (mode === 'none') return s.replace(/([",\\\r\n])/g, '\\$1');
  const escaped = s.replace(/\\/g, '\\\\');
  const quoted = mode === 'all' || (mode === 'nonnumeric' && !isNumber) || (mode === 'minimal' && /[",\r\n]/.test(s));
  return quoted ? `"${escaped.replace(/"/g, '""')}"` : escaped;
}

function selectColumns(names: string[], wanted: string[]): boolean[] | null {
  if (wanted.length === 0) return null;
  const keep = names.map((n) => wanted.includes(n));
  if (!keep.some(Boolean)) {
    throw new OutputError(`No recognized column names in [${wanted.map((w) => `'${w}'`).join(', ')}]. Recognized columns are (${names.map((n) => `'${n}'`).join(', ')}${names.length === 1 ? ',' : ''}).`);
  }
  return keep;
}

function sortRows(out: ListOutput, opts: OutputOptions): Cell[][] {
  let rows = out.rows;
  const indexes = opts.sortColumns.map((c) => out.columns.indexOf(c)).filter((i) => i >= 0);
  for (const index of indexes.reverse()) {
    const key = (r: Cell[]) => machine(r[index]);
    rows = [...rows].sort((a, b) => {
      const x = key(a), y = key(b);
      if ((x == null) !== (y == null)) return x == null ? 1 : -1;
      if (x == null) return 0;
      const xv = x instanceof PyFloat ? x.value : x;
      const yv = y instanceof PyFloat ? y.value : y;
      // JS's relational comparison of whatever the cells hold (same-typed in one column).
      const [xs, ys] = [xv as string, yv as string];
      return xs < ys ? -1 : xs > ys ? 1 : 0;
    });
    if (opts.sortDirection === 'desc') rows.reverse();
  }
  return rows;
}

/** Renders a command's result in the chosen format; the text ends with a newline. */
export function renderOutput(out: CommandOutput, opts: OutputOptions): string {
  if (out.kind === 'list') {
    if (!LIST_FORMATS.includes(opts.format)) throw new OutputError(`argument -f/--format: invalid choice: '${opts.format}' (choose from ${LIST_FORMATS.map((f) => `'${f}'`).join(', ')})`);
    const keep = selectColumns(out.columns, opts.columns);
    const pick = <T>(xs: T[]) => (keep ? xs.filter((_, i) => keep[i]) : xs);
    const columns = pick(out.columns);
    const rows = sortRows(out, opts).map(pick);
    switch (opts.format) {
      case 'table': {
        if (rows.length === 0 && !opts.printEmpty) return '\n';
        const aligns = rows.length ? rows[0].map(alignOf) : columns.map(() => 'c' as const);
        return `${renderTable(columns, rows, aligns)}\n`;
      }
      case 'json':
        return `${pyJson(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, machine(r[i])]))), opts.noindent ? null : 2)}\n`;
      case 'yaml':
        return pyYamlDump(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, machine(r[i])]))));
      case 'value':
        return rows.map((r) => `${r.map((c) => pyStr(machine(c))).join(' ')}\n`).join('');
      default: // csv
        return [columns, ...rows.map((r) => r.map(machine))].map((r) => `${r.map((v) => csvField(v, opts.quote)).join(',')}\n`).join('');
    }
  }
  if (!SHOW_FORMATS.includes(opts.format)) throw new OutputError(`argument -f/--format: invalid choice: '${opts.format}' (choose from ${SHOW_FORMATS.map((f) => `'${f}'`).join(', ')})`);
  const names = out.fields.map(([n]) => n);
  const keep = selectColumns(names, opts.columns);
  const fields = keep ? out.fields.filter((_, i) => keep[i]) : out.fields;
  switch (opts.format) {
    case 'table':
      if (fields.length === 0) return '\n';
      return `${renderTable(['Field', 'Value'], fields.map(([n, v]) => [n, v]), ['l', 'l'])}\n`;
    case 'json':
      return `${pyJson(Object.fromEntries(fields.map(([n, v]) => [n, machine(v)])), opts.noindent ? null : 2)}\n`;
    case 'yaml':
      return fields.map(([n, v]) => pyYamlDump({ [n]: machine(v) })).join('');
    case 'value':
      return fields.map(([, v]) => `${pyStr(machine(v))}\n`).join('');
    default: // shell
      return fields.map(([n, v]) => {
        const name = n.toLowerCase().replace(/ /g, '_').replace(/[:-]/g, '_');
        return `${opts.prefix}${name}="${pyStr(machine(v)).replace(/"/g, '\\"')}"\n`;
      }).join('');
  }
}

/** A show command's fields from a dict, sorted by key as `zip(*sorted(info.items()))` does. */
export function sortedFields(info: Record<string, Cell>): [string, Cell][] {
  return Object.keys(info).sort(pySortCompare).map((k) => [k, info[k]]);
}

/** A list cell the way osc_lib's get_item_properties reads it: '' when the key is absent. */
export function field(obj: object | null | undefined, key: string): unknown {
  return obj && key in obj ? (obj as Record<string, unknown>)[key] : '';
}
