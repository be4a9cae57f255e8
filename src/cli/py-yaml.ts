/**
 * yaml.safe_dump(data, default_flow_style=False) as PyYAML writes it (what cliff's `-f yaml`
 * prints): sorted keys, block style, PyYAML's choice of plain/single/double-quoted scalars and
 * its line folding at 80 columns. A port of the parts of yaml/emitter.py that such data uses.
 */
import { PyFloat, pyFloatRepr } from '../shared/py-format';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const BREAKS = '\n\x85\u2028\u2029';
const WS = '\0 \t\r\n\x85\u2028\u2029';

const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

function analyze(s: string): Analysis {
  if (!s) return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  const chars = Array.from(s);
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false, breakSpace = false, spaceBreak = false;
  let precededByWs = true;
  let followedByWs = chars.length === 1 || WS.includes(chars[1]);
  let previousSpace = false, previousBreak = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWs) blockIndicators = true;
      if (ch === '-' && followedByWs) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWs) blockIndicators = true;
      if (ch === '#' && precededByWs) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const code = ch.codePointAt(0)!;
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) {
      // allow_unicode is False in safe_dump: any non-ASCII character is "special".
      special = true;
    }
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWs = WS.includes(ch);
    followedByWs = i + 2 >= chars.length || WS.includes(chars[i + 2]);
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || special) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

const ESCAPES: Record<string, string> = {
  '\0': '0', '\x07': 'a', '\x08': 'b', '\x09': 't', '\x0A': 'n', '\x0B': 'v', '\x0C': 'f', '\x0D': 'r',
  '\x1B': 'e', '"': '"', '\\': '\\', '\x85': 'N', '\xA0': '_', '\u2028': 'L', '\u2029': 'P',
};

class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  indent: number | null = null;
  indents: (number | null)[] = [];

  write(data: string) {
    this.out += data;
    this.column += data.length;
  }

  lineBreak() {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.out += '\n';
  }

  writeIndent() {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.lineBreak();
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
    }
  }

  indicator(ind: string, needWhitespace: boolean, whitespace = false, indention = false) {
    this.write(this.whitespace || !needWhitespace ? ind : ` ${ind}`);
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
  }

  increaseIndent(indentless = false) {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  node(v: unknown, ctx: { mapping?: boolean; simpleKey?: boolean }) {
    if (Array.isArray(v)) {
      if (v.length === 0) return this.flowEmpty('[', ']');
      const indentless = !!ctx.mapping && !this.indention;
      this.increaseIndent(indentless);
      for (const item of v) {
        this.writeIndent();
        this.indicator('-', true, false, true);
        this.node(item, {});
      }
      this.indent = this.indents.pop() ?? null;
      return;
    }
    if (v !== null && typeof v === 'object' && !(v instanceof PyFloat)) {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (entries.length === 0) return this.flowEmpty('{', '}');
      this.increaseIndent();
      for (const [k, x] of entries) {
        this.writeIndent();
        this.scalar(k, { mapping: true, simpleKey: true });
        this.indicator(':', false);
        this.node(x, { mapping: true });
      }
      this.indent = this.indents.pop() ?? null;
      return;
    }
    this.scalar(v, ctx);
  }

  flowEmpty(open: string, close: string) {
    this.indicator(open, true, true);
    this.indicator(close, false);
  }

  scalar(v: unknown, ctx: { mapping?: boolean; simpleKey?: boolean }) {
    let text: string;
    let implicitPlain = true;
    if (v === null || v === undefined) text = 'null';
    else if (v === true || v === false) text = String(v);
    else if (v instanceof PyFloat) text = pyFloatRepr(v.value).replace('inf', '.inf').replace('nan', '.nan');
    else if (typeof v === 'number') text = Number.isInteger(v) ? String(v) : pyFloatRepr(v);
    else {
      text = String(v);
      implicitPlain = !IMPLICIT.some((re) => re.test(text));
    }
    const a = analyze(text);
    const simple = !!ctx.simpleKey;
    // PyYAML's expect_scalar: a scalar's continuation lines sit one level deeper.
    this.indents.push(this.indent);
    this.indent = this.indent === null ? BEST_INDENT : this.indent + BEST_INDENT;
    if (implicitPlain && !(simple && (a.empty || a.multiline)) && a.allowBlockPlain) this.plain(text, !simple);
    else if (a.allowSingleQuoted && !(simple && a.multiline)) this.singleQuoted(text, !simple);
    else this.doubleQuoted(text, !simple);
    this.indent = this.indents.pop() ?? null;
  }

  plain(text: string, split: boolean) {
    if (!text) return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(text.slice(start, end));
          start = end;
        }
      } else if (ch === null || ch === ' ') {
        this.write(text.slice(start, end));
        start = end;
      }
      if (ch !== null) spaces = ch === ' ';
    }
  }

  singleQuoted(text: string, split: boolean) {
    this.indicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== text.length) this.writeIndent();
          else this.write(text.slice(start, end));
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (text[start] === '\n') this.lineBreak();
          for (const br of text.slice(start, end)) {
            if (br === '\n') this.lineBreak();
            else { this.out += br; this.column = 0; }
          }
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(text.slice(start, end));
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
    this.indicator("'", false);
  }

  doubleQuoted(s: string, split: boolean) {
    this.indicator('"', true);
    // Index by code point, as Python does.
    const chars = Array.from(s);
    const text = { length: chars.length, slice: (a: number, b: number) => chars.slice(a, b).join('') } as const;
    let start = 0;
    for (let end = 0; end <= text.length; end++) {
      const ch = end < text.length ? chars[end] : null;
      const code = ch === null ? 0 : ch.codePointAt(0)!;
      if (ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(code >= 0x20 && code <= 0x7e)) {
        if (start < end) {
          this.write(text.slice(start, end));
          start = end;
        }
        if (ch !== null) {
          let data: string;
          if (ESCAPES[ch] !== undefined) data = `\\${ESCAPES[ch]}`;
          else if (code <= 0xff) data = `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
          else if (code <= 0xffff) data = `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
          else data = `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
          this.write(data);
          start = end + 1;
        }
      }
      if (end > 0 && end < text.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
        const data = `${text.slice(start, end)}\\`;
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === ' ') this.write('\\');
      }
    }
    this.indicator('"', false);
  }
}

/** yaml.safe_dump(data, default_flow_style=False). */
export function pyYamlDump(data: unknown): string {
  const e = new Emitter();
  e.node(data, {});
  e.writeIndent();
  // A bare scalar document is "open ended" in PyYAML: it ends with "...".
  if (data === null || typeof data !== 'object' || data instanceof PyFloat) {
    e.indicator('...', true);
    e.writeIndent();
  }
  return e.out;
}
