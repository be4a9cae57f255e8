/**
 * A small argparse: long and short options (`--name x`, `--name=x`, `-c x`, `-cx`), flags,
 * repeatable and key=value options, positionals with `?`/`+`, required and mutually exclusive
 * groups. Errors read like argparse's and exit with 2.
 */

export type OptionKind = 'string' | 'int' | 'flag' | 'append' | 'keyvalue' | 'const';

export interface OptionSpec {
  flags: string[];
  dest: string;
  kind: OptionKind;
  help: string;
  metavar?: string;
  /** For 'const' options: the value stored (several options may share a dest). */
  value?: string | boolean;
  choices?: string[];
  required?: boolean;
  /** Options with the same group are mutually exclusive. */
  group?: string;
}

export interface PositionalSpec {
  name: string;
  metavar: string;
  nargs?: 1 | '?' | '+';
  help: string;
}

/** What an option holds (see OptionValueOf for each kind). */
export type OptionValue = string | number | boolean | string[] | Record<string, string> | undefined;
export type PositionalValue = string | string[] | undefined;

/** An option's value by its kind: flags are false, lists [] and maps {} when not given. */
export type OptionValueOf<O extends OptionSpec> =
  O['kind'] extends 'flag' ? boolean
    : O['kind'] extends 'append' ? string[]
    : O['kind'] extends 'keyvalue' ? Record<string, string>
    : O['kind'] extends 'const' ? O['value'] | undefined
    : (O['kind'] extends 'int' ? number : string) | (O['required'] extends true ? never : undefined);

/** Every option's value by its dest (options sharing a dest: the union of their values). */
export type OptionValues<Os extends readonly OptionSpec[]> = { [O in Os[number] as O['dest']]: OptionValueOf<O> };

/** Every positional's value by its name: a list for nargs '+', maybe undefined for '?'. */
export type PositionalValues<Ps extends readonly PositionalSpec[]> = {
  [P in Ps[number] as P['name']]: P['nargs'] extends '+' ? string[] : P['nargs'] extends '?' ? string | undefined : string;
};

export interface ParsedArgs<Opts = Record<string, OptionValue>, Pos = Record<string, PositionalValue>> {
  opts: Opts;
  pos: Pos;
  /** Which option dests were given on the command line. */
  given: Set<string>;
}

export class UsageError extends Error {}

function initialValue(o: OptionSpec): OptionValue {
  switch (o.kind) {
    case 'flag': return false;
    case 'append': return [];
    case 'keyvalue': return {};
    default: return undefined;
  }
}

export function parseArgs(argv: string[], options: readonly OptionSpec[], positionals: readonly PositionalSpec[], requiredGroups: string[] = []): ParsedArgs {
  const opts: Record<string, OptionValue> = {};
  for (const o of options) if (!(o.dest in opts)) opts[o.dest] = initialValue(o);
  const given = new Set<string>();
  const groupUsed = new Map<string, string>();
  const rest: string[] = [];
  const byFlag = new Map<string, OptionSpec>();
  for (const o of options) for (const f of o.flags) byFlag.set(f, o);

  const display = (o: OptionSpec) => o.flags.filter((f) => f.startsWith('--'))[0] ?? o.flags[0];
  const take = (o: OptionSpec, flag: string, value: string | undefined) => {
    if (o.group) {
      const other = groupUsed.get(o.group);
      if (other && other !== display(o)) throw new UsageError(`argument ${flag}: not allowed with argument ${other}`);
      groupUsed.set(o.group, display(o));
    }
    given.add(o.dest);
    if (o.kind === 'flag') { opts[o.dest] = true; return; }
    if (o.kind === 'const') { opts[o.dest] = o.value; return; }
    if (value === undefined) throw new UsageError(`argument ${flag}: expected one argument`);
    if (o.choices && !o.choices.includes(value)) {
      throw new UsageError(`argument ${flag}: invalid choice: '${value}' (choose from ${o.choices.map((c) => `'${c}'`).join(', ')})`);
    }
    switch (o.kind) {
      case 'int': {
        if (!/^[-+]?\d+$/.test(value.trim())) throw new UsageError(`argument ${flag}: invalid int value: '${value}'`);
        opts[o.dest] = Number(value);
        return;
      }
      case 'append': (opts[o.dest] as string[]).push(value); return;
      case 'keyvalue': {
        const eq = value.indexOf('=');
        if (eq < 0) throw new UsageError(`argument ${flag}: Expected 'key=value' type, but got: ${value}`);
        (opts[o.dest] as Record<string, string>)[value.slice(0, eq)] = value.slice(eq + 1);
        return;
      }
      default: opts[o.dest] = value;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') { rest.push(...argv.slice(i + 1)); break; }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const flag = eq >= 0 ? tok.slice(0, eq) : tok;
      const o = byFlag.get(flag);
      if (!o) throw new UsageError(`unrecognized arguments: ${tok}`);
      const needsValue = o.kind !== 'flag' && o.kind !== 'const';
      if (eq >= 0) {
        if (!needsValue) throw new UsageError(`argument ${flag}: ignored explicit argument '${tok.slice(eq + 1)}'`);
        take(o, flag, tok.slice(eq + 1));
      } else if (needsValue) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && next.length > 1 && !/^-\d/.test(next))) throw new UsageError(`argument ${flag}: expected one argument`);
        take(o, flag, next);
        i++;
      } else take(o, flag, undefined);
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1 && !/^-\d/.test(tok)) {
      const flag = tok.slice(0, 2);
      const o = byFlag.get(flag);
      if (!o) throw new UsageError(`unrecognized arguments: ${tok}`);
      const needsValue = o.kind !== 'flag' && o.kind !== 'const';
      if (!needsValue) {
        if (tok.length > 2) throw new UsageError(`unrecognized arguments: ${tok}`);
        take(o, flag, undefined);
      } else if (tok.length > 2) take(o, flag, tok.slice(2));
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`argument ${flag}: expected one argument`);
        take(o, flag, next);
        i++;
      }
      continue;
    }
    rest.push(tok);
  }

  const pos: Record<string, PositionalValue> = {};
  const missing: string[] = [];
  let idx = 0;
  positionals.forEach((p, n) => {
    const remainingRequired = positionals.slice(n + 1).filter((q) => q.nargs !== '?').length;
    if (p.nargs === '+') {
      const count = Math.max(0, rest.length - idx - remainingRequired);
      if (count === 0) missing.push(p.metavar);
      pos[p.name] = rest.slice(idx, idx + count);
      idx += count;
    } else if (p.nargs === '?') {
      pos[p.name] = rest.length - idx > remainingRequired ? rest[idx++] : undefined;
    } else if (idx < rest.length) pos[p.name] = rest[idx++];
    else missing.push(p.metavar);
  });
  for (const o of options) if (o.required && !given.has(o.dest)) missing.push(display(o));
  if (missing.length) throw new UsageError(`the following arguments are required: ${missing.join(', ')}`);
  for (const g of requiredGroups) {
    if (!groupUsed.has(g)) {
      const names = options.filter((o) => o.group === g).map(display);
      throw new UsageError(`one of the arguments ${names.join(' ')} is required`);
    }
  }
  if (idx < rest.length) throw new UsageError(`unrecognized arguments: ${rest.slice(idx).join(' ')}`);
  return { opts, pos, given };
}
