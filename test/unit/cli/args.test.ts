import { OptionSpec, parseArgs, PositionalSpec, UsageError } from '../../../src/cli/args';

const OPTIONS: OptionSpec[] = [
  { flags: ['--flavor'], dest: 'flavor', kind: 'string', help: '', required: true },
  { flags: ['--image'], dest: 'image', kind: 'string', help: '', group: 'disk' },
  { flags: ['--volume'], dest: 'volume', kind: 'string', help: '', group: 'disk' },
  { flags: ['--size'], dest: 'size', kind: 'int', help: '' },
  { flags: ['--wait'], dest: 'wait', kind: 'flag', help: '' },
  { flags: ['--property'], dest: 'property', kind: 'keyvalue', help: '' },
  { flags: ['-c', '--column'], dest: 'columns', kind: 'append', help: '' },
  { flags: ['--hard'], dest: 'type', kind: 'const', value: 'HARD', group: 'type', help: '' },
  { flags: ['--soft'], dest: 'type', kind: 'const', value: 'SOFT', group: 'type', help: '' },
  { flags: ['-f', '--format'], dest: 'format', kind: 'string', choices: ['json', 'table'], help: '' },
];
const POS: PositionalSpec[] = [{ name: 'names', metavar: '<name>', nargs: '+', help: '' }];

const parse = (argv: string[], groups: string[] = []) => parseArgs(argv, OPTIONS, POS, groups);

describe('the argument parser', () => {
  it('reads long and short options, = forms, flags, repeatable and key=value options, positionals anywhere', () => {
    const a = parse(['web1', '--flavor', 'm1.tiny', '--size=2', '-c', 'id', '-cname', '--wait', '--property', 'a=b=c', 'web2', '--', '--odd']);
    expect(a.opts).toMatchObject({ flavor: 'm1.tiny', size: 2, columns: ['id', 'name'], wait: true, property: { a: 'b=c' } });
    expect(a.pos.names).toEqual(['web1', 'web2', '--odd']);
    expect(a.given.has('size')).toBe(true);
  });

  it('says what is wrong as argparse does', () => {
    const msg = (argv: string[], groups?: string[]) => { try { parse(argv, groups); return ''; } catch (e) { expect(e).toBeInstanceOf(UsageError); return (e as Error).message; } };
    expect(msg(['x'])).toBe('the following arguments are required: --flavor');
    expect(msg(['--flavor', 'f'])).toBe('the following arguments are required: <name>');
    expect(msg(['--flavor', 'f', 'x', '--image', 'i', '--volume', 'v'])).toBe('argument --volume: not allowed with argument --image');
    expect(msg(['--flavor', 'f', 'x'], ['disk'])).toBe('one of the arguments --image --volume is required');
    expect(msg(['--flavor', 'f', 'x', '--size', 'big'])).toBe("argument --size: invalid int value: 'big'");
    expect(msg(['--flavor', 'f', 'x', '--bogus'])).toBe('unrecognized arguments: --bogus');
    expect(msg(['--flavor', 'f', 'x', '-f', 'xml'])).toBe("argument -f: invalid choice: 'xml' (choose from 'json', 'table')");
    expect(msg(['--flavor', 'f', 'x', '--property', 'novalue'])).toBe("argument --property: Expected 'key=value' type, but got: novalue");
    expect(msg(['--flavor'])).toBe('argument --flavor: expected one argument');
    expect(msg(['--flavor', 'f', 'x', '--hard', '--soft'])).toBe('argument --soft: not allowed with argument --hard');
  });

  it('const options share a destination', () => {
    expect(parse(['--flavor', 'f', 'x', '--hard']).opts.type).toBe('HARD');
    expect(parse(['--flavor', 'f', 'x']).opts.type).toBeUndefined();
  });

  it('optional positionals take what the required ones leave', () => {
    const a = parseArgs(['a', 'b'], [], [{ name: 'x', metavar: 'X', nargs: '?', help: '' }, { name: 'y', metavar: 'Y', help: '' }]);
    expect(a.pos).toEqual({ x: 'a', y: 'b' });
    const b = parseArgs(['b'], [], [{ name: 'x', metavar: 'X', nargs: '?', help: '' }, { name: 'y', metavar: 'Y', help: '' }]);
    expect(b.pos).toEqual({ x: undefined, y: 'b' });
  });
});
