/**
 * What a `snapstack` command is: its name, arguments, help and examples, and a run function
 * that returns a list or a single object for the formatters (or nothing).
 */
import type { OptionSpec, OptionValues, ParsedArgs, PositionalSpec, PositionalValues } from './args';
import type { Session } from './auth';
import type { CommandOutput, OutputOptions } from './output';

export interface CommandContext {
  /** Authenticates on first use. */
  session(): Promise<Session>;
  out(text: string): void;
  err(text: string): void;
  /** Progress lines are drawn only on a terminal. */
  stderrIsTTY: boolean;
  /** Polling period of --wait, milliseconds. */
  waitIntervalMs: number;
  /** Gives up waiting after this long, milliseconds. */
  waitTimeoutMs: number;
}

/**
 * A command; its run() sees option and positional values typed from its own option specs
 * (write it with defineCommand so they are inferred).
 */
export interface CommandSpec<Os extends readonly OptionSpec[] = readonly OptionSpec[], Ps extends readonly PositionalSpec[] = readonly PositionalSpec[]> {
  /** Words, e.g. 'server image create'. */
  name: string;
  summary: string;
  description?: string;
  /** 'list' and 'show' commands get the formatter options (-f, -c, ...). */
  output?: 'list' | 'show';
  options?: Os;
  positionals?: Ps;
  /** Groups (OptionSpec.group) of which one option must be given. */
  requiredGroups?: string[];
  examples?: string[];
  run(ctx: CommandContext, args: ParsedArgs<OptionValues<Os>, PositionalValues<Ps>>): Promise<CommandOutput | void>;
}

/** A command with its options' and positionals' literal types kept, so run() reads typed values. */
export function defineCommand<const Os extends readonly OptionSpec[] = [], const Ps extends readonly PositionalSpec[] = []>(spec: CommandSpec<Os, Ps>): CommandSpec<Os, Ps> {
  return spec;
}

export const LIST_OPTIONS: OptionSpec[] = [
  { flags: ['-f', '--format'], dest: 'format', kind: 'string', metavar: '{csv,json,table,value,yaml}', help: 'the output format, defaults to table' },
  { flags: ['-c', '--column'], dest: 'columns', kind: 'append', metavar: 'COLUMN', help: 'specify the column(s) to include, can be repeated to show multiple columns' },
  { flags: ['--noindent'], dest: 'noindent', kind: 'flag', help: 'whether to disable indenting the JSON' },
  { flags: ['--quote'], dest: 'quote', kind: 'string', choices: ['all', 'minimal', 'none', 'nonnumeric'], metavar: '{all,minimal,none,nonnumeric}', help: 'when to include quotes, defaults to nonnumeric' },
  { flags: ['--print-empty'], dest: 'printEmpty', kind: 'flag', help: 'Print empty table if there is no data to show.' },
  { flags: ['--sort-column'], dest: 'sortColumns', kind: 'append', metavar: 'SORT_COLUMN', help: 'specify the column(s) to sort the data (columns specified first have a priority, non-existing columns are ignored), can be repeated' },
  { flags: ['--sort-ascending'], dest: 'sortDirection', kind: 'const', value: 'asc', group: 'sort-direction', help: 'sort the column(s) in ascending order' },
  { flags: ['--sort-descending'], dest: 'sortDirection', kind: 'const', value: 'desc', group: 'sort-direction', help: 'sort the column(s) in descending order' },
];

export const SHOW_OPTIONS: OptionSpec[] = [
  { flags: ['-f', '--format'], dest: 'format', kind: 'string', metavar: '{json,shell,table,value,yaml}', help: 'the output format, defaults to table' },
  { flags: ['-c', '--column'], dest: 'columns', kind: 'append', metavar: 'COLUMN', help: 'specify the column(s) to include, can be repeated to show multiple columns' },
  { flags: ['--noindent'], dest: 'noindent', kind: 'flag', help: 'whether to disable indenting the JSON' },
  { flags: ['--prefix'], dest: 'prefix', kind: 'string', metavar: 'PREFIX', help: 'add a prefix to all variable names' },
];

export function outputOptions(args: ParsedArgs): OutputOptions {
  const o = args.opts;
  const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    format: text(o.format, 'table'),
    columns: list(o.columns),
    noindent: !!o.noindent,
    prefix: text(o.prefix, ''),
    // The parser took these from the options' choices and const values.
    quote: text(o.quote, 'nonnumeric') as OutputOptions['quote'],
    printEmpty: !!o.printEmpty,
    sortColumns: list(o.sortColumns),
    sortDirection: text(o.sortDirection, 'asc') as OutputOptions['sortDirection'],
  };
}

export const WAIT_OPTION = { flags: ['--wait'], dest: 'wait', kind: 'flag', help: 'Wait until the operation settles, showing its status and elapsed time on a terminal' } as const satisfies OptionSpec;

export function allOptions(spec: CommandSpec): OptionSpec[] {
  const extra = spec.output === 'list' ? LIST_OPTIONS : spec.output === 'show' ? SHOW_OPTIONS : [];
  return [...(spec.options ?? []), ...extra];
}

function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

/** argparse-style help: usage, description, arguments, options, examples. */
export function renderHelp(spec: CommandSpec): string {
  const options = allOptions(spec);
  const optUsage = options.map((o) => {
    const f = o.flags[0];
    const s = o.kind === 'flag' || o.kind === 'const' ? f : `${f} ${o.metavar ?? o.dest.toUpperCase()}`;
    return o.required ? s : `[${s}]`;
  });
  const posUsage = (spec.positionals ?? []).map((p) => (p.nargs === '+' ? `${p.metavar} [${p.metavar} ...]` : p.nargs === '?' ? `[${p.metavar}]` : p.metavar));
  const usage: string[] = [];
  let line = `usage: snapstack ${spec.name} [-h]`;
  for (const item of [...optUsage, ...posUsage]) {
    if (line.length + 1 + item.length > 100 && line.trim()) {
      usage.push(line);
      line = `       ${item}`;
    } else line = `${line} ${item}`;
  }
  usage.push(line);
  const out: string[] = [...usage, '', ...wrap(spec.description ?? spec.summary, 100, '')];
  const row = (left: string, help: string) => {
    if (left.length <= 22) return [`  ${left.padEnd(24)}${wrap(help, 74, ' '.repeat(26)).join('\n')}`];
    return [`  ${left}`, `${' '.repeat(26)}${wrap(help, 74, ' '.repeat(26)).join('\n')}`];
  };
  if (spec.positionals?.length) {
    out.push('', 'positional arguments:');
    for (const p of spec.positionals) out.push(...row(p.metavar, p.help));
  }
  out.push('', 'options:', ...row('-h, --help', 'show this help message and exit'));
  for (const o of options) {
    const value = o.kind === 'flag' || o.kind === 'const' ? '' : ` ${o.metavar ?? o.dest.toUpperCase()}`;
    out.push(...row(o.flags.map((f) => f + value).join(', '), o.help));
  }
  if (spec.examples?.length) {
    out.push('', 'examples:');
    for (const e of spec.examples) out.push(e ? `  ${e}` : '');
  }
  return `${out.join('\n')}\n`;
}
