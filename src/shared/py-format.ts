/**
 * Python's ways of printing values, so `snapstack` output matches the `openstack` client's
 * byte for byte: repr()/str() (value, csv, shell and table cells holding lists or dicts) and
 * json.dump(ensure_ascii=True).
 */

/** A number Python holds as a float (JSON.parse turns 1.0 into 1; Python prints 1.0). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  // toExponential() gives the shortest digits that round-trip, as Python's repr does.
  const [mantissa, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= -5 + 1 && exp < 16) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      out = `${intPart}.${frac || '0'}`;
    } else {
      out = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return negative ? `-${out}` : out;
}

function isPrintable(code: number): boolean {
  // Close to str.isprintable(): control characters, separators and surrogates are not.
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return false;
  if (code === 0xad || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) return false;
  if (code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200f) || code === 0x202f || code === 0x205f || code === 0x3000) return false;
  if (code === 0xfeff || code === 0xfffe || code === 0xffff) return false;
  return true;
}

/** repr() of a str. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (isPrintable(code)) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** repr() of a JSON-like value. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(v);
}

/** str() of a JSON-like value: strings as they are, everything else as repr(). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** json.dumps(v, indent=2 or None), Python's defaults otherwise (ensure_ascii, ", " and ": "). */
export function pyJson(v: unknown, indent: number | null = 2, level = 0): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (v instanceof PyFloat) return Number.isFinite(v.value) ? pyFloatRepr(v.value) : Number.isNaN(v.value) ? 'NaN' : v.value > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  if (typeof v === 'string') return jsonString(v);
  const isArray = Array.isArray(v);
  const items: [string | null, unknown][] = isArray
    ? (v as unknown[]).map((x) => [null, x])
    : Object.entries(v as Record<string, unknown>);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  const render = ([k, x]: [string | null, unknown]) => (k === null ? '' : `${jsonString(k)}: `) + pyJson(x, indent, level + 1);
  if (indent === null) return open + items.map(render).join(', ') + close;
  const pad = ' '.repeat(indent * (level + 1));
  return `${open}\n${items.map((it) => pad + render(it)).join(',\n')}\n${' '.repeat(indent * level)}${close}`;
}
