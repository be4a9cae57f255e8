/**
 * The `snapstack` command: `serve` starts the server; every other command is an
 * openstack-like client that talks to a Snapstack (or any OpenStack) over its HTTP API only.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CONFIG_VARIABLES } from '../config';
import { parseArgs, UsageError } from './args';
import { authenticate, Session } from './auth';
import { allOptions, CommandContext, CommandSpec, outputOptions, renderHelp } from './command';
import { ALL_COMMANDS } from './commands';
import { ConfigError, defaultSources, extractGlobalArgs, GLOBAL_OPTIONS, resolveConfig } from './config';
import { CliError } from './http';
import { OutputError, renderOutput } from './output';
import { VERSION } from '../version';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

const defaultIo = (): CliIo => ({
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  stderrIsTTY: !!process.stderr.isTTY,
  env: process.env,
});

function usage(): string {
  const width = Math.max(...ALL_COMMANDS.map((c) => c.name.length)) + 2;
  const lines = [
    'usage: snapstack [--os-cloud <cloud>] [--os-auth-url <url>] [--os-*...] [--debug] <command> [options]',
    '',
    'A client for Snapstack (and OpenStack): the openstack command line\'s commands, flags and',
    'output formats, over the HTTP API only. Configure it as the openstack client: OS_CLOUD with',
    'clouds.yaml, or OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, OS_USER_DOMAIN_NAME,',
    'OS_PROJECT_DOMAIN_NAME (or the matching --os-* options). With nothing set, it uses the local',
    'Snapstack (http://127.0.0.1:8700) as demo/demo.',
    '',
    'Commands:',
    `  ${'serve'.padEnd(width)}start the Snapstack server (every service on one port); --ephemeral: throwaway`,
    `  ${'--version'.padEnd(width)}print the version`,
    ...ALL_COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Global options:',
    ...GLOBAL_OPTIONS.flatMap((o) => {
      const left = `${o.flags[0]}${o.metavar ? ` ${o.metavar}` : ''}`;
      // A flag too long for its column gets its help on the next line, as argparse does.
      return left.length < 34 ? [`  ${left.padEnd(34)}${o.help}`] : [`  ${left}`, `${' '.repeat(36)}${o.help}`];
    }),
    '',
    'Seed workflows:',
    '  snapstack server stop --wait web1                                  # snapshot a stopped server',
    '  snapstack server image create --name web1-snap --wait web1',
    '  snapstack image list --private                                     # list private images',
    '  snapstack image set --name web1-golden web1-snap                   # rename a snapshot',
    '  snapstack volume snapshot set --name db-before-upgrade db-snap',
    '  snapstack flavor list --min-disk "$(snapstack image show -f value -c min_disk web1-golden)"',
    '  snapstack server create --image web1-golden --flavor m1.small --network none --wait web2',
    '',
    "'snapstack <command> --help' shows a command's options and examples.",
  ];
  return `${lines.join('\n')}\n`;
}

/** The command named by the leading words of argv (longest match). */
function findCommand(words: string[]): { spec?: CommandSpec; used: number } {
  let best: { spec?: CommandSpec; used: number } = { used: 0 };
  for (const spec of ALL_COMMANDS) {
    const parts = spec.name.split(' ');
    if (parts.length > best.used && parts.every((p, i) => words[i] === p)) best = { spec, used: parts.length };
  }
  return best;
}

function numberEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = Number(env[name]);
  return env[name] && Number.isFinite(n) && n > 0 ? n : fallback;
}

async function runCommand(spec: CommandSpec, argv: string[], global: Record<string, string | boolean>, io: CliIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(renderHelp(spec));
    return 0;
  }
  let args;
  try {
    args = parseArgs(argv, allOptions(spec), spec.positionals ?? [], spec.requiredGroups);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`usage: snapstack ${spec.name} [-h] ...\nsnapstack ${spec.name}: error: ${err.message}\n`);
    return 2;
  }
  const debug = !!global.debug;
  let session: Promise<Session> | undefined;
  const ctx: CommandContext = {
    session() {
      session ??= (async () => {
        const config = resolveConfig(global, { ...defaultSources(), env: io.env });
        if (config.notice) io.stderr(`${config.notice}\n`);
        return authenticate(config, { debug, log: (line) => io.stderr(`${line}\n`) });
      })();
      return session;
    },
    out: io.stdout,
    err: io.stderr,
    stderrIsTTY: io.stderrIsTTY,
    waitIntervalMs: numberEnv(io.env, 'SNAPSTACK_CLI_POLL_INTERVAL', 1) * 1000,
    waitTimeoutMs: numberEnv(io.env, 'SNAPSTACK_CLI_WAIT_TIMEOUT', 1800) * 1000,
  };
  try {
    // parseArgs read argv with this very spec's options and positionals: the values have the types run() declares.
    const result = await spec.run(ctx, args as Parameters<CommandSpec['run']>[1]);
    if (result) io.stdout(renderOutput(result, outputOptions(args)));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    if (err instanceof CliError || err instanceof OutputError) {
      io.stderr(`${err.message}\n`);
      if (debug && err.stack) io.stderr(`${err.stack}\n`);
      return err instanceof CliError ? err.exitCode : 1;
    }
    io.stderr(`snapstack: ${(err as Error)?.message ?? err}\n`);
    if (debug && (err as Error)?.stack) io.stderr(`${(err as Error).stack}\n`);
    return 1;
  }
}

/** Entry point of the `snapstack` command; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  if (argv[0] === 'serve') return serve(argv.slice(1), io);
  let global: Record<string, string | boolean>;
  let rest: string[];
  try {
    ({ global, rest } = extractGlobalArgs(argv));
  } catch (err) {
    io.stderr(`snapstack: error: ${(err as Error).message}\n`);
    return 2;
  }
  const [first] = rest;
  if (first === '--version' || first === 'version') {
    io.stdout(`snapstack ${VERSION}\n`);
    return 0;
  }
  if (!first || first === '--help' || first === '-h' || (first === 'help' && rest.length === 1)) {
    io.stdout(usage());
    return first ? 0 : 2;
  }
  if (first === 'help') {
    const { spec, used } = findCommand(rest.slice(1));
    if (spec && used === rest.length - 1) {
      io.stdout(renderHelp(spec));
      return 0;
    }
    io.stderr(`snapstack: no command '${rest.slice(1).join(' ')}'; 'snapstack --help' lists them\n`);
    return 2;
  }
  const firstOption = rest.findIndex((w) => w.startsWith('-'));
  const words = firstOption < 0 ? rest : rest.slice(0, firstOption);
  const { spec, used } = findCommand(words);
  if (!spec) {
    const prefix = words.join(' ');
    const near = ALL_COMMANDS.filter((c) => prefix && c.name.startsWith(`${words[0]} `));
    io.stderr(`snapstack: '${prefix || first}' is not a snapstack command. See 'snapstack --help'.\n`);
    if (near.length) io.stderr(`Did you mean one of these?\n${near.map((c) => `  ${c.name}`).join('\n')}\n`);
    return 2;
  }
  return runCommand(spec, rest.slice(used), global, io);
}

const SERVE_HELP = `usage: snapstack serve [-h] [--ephemeral]

Start the Snapstack server: Keystone, Nova, Cinder and Glance APIs on one port
(default http://127.0.0.1:8700), state under SNAPSTACK_DATA_DIR (default ./data: an embedded
PostgreSQL run as a child process, or PGlite with SNAPSTACK_DB=pglite) or in DATABASE_URL.
One server per data directory and per database: a second refuses to start.
Stops cleanly on SIGTERM or SIGINT.

options:
  -h, --help   show this help message and exit
  --ephemeral  run on a new temporary data directory and remove everything this instance
               made (its Docker containers, volumes and images, its rows, the directory) when
               it stops, also on SIGINT and SIGTERM

Configured by environment variables only:
${CONFIG_VARIABLES.map((v) => `  ${v}`).join('\n')}

examples:
  snapstack serve
  SNAPSTACK_PORT=8701 SNAPSTACK_DATA_DIR=/var/lib/snapstack snapstack serve
  snapstack serve --ephemeral
`;

async function serve(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(SERVE_HELP);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--ephemeral');
  if (unknown.length) {
    io.stderr(`usage: snapstack serve [-h] [--ephemeral]\nsnapstack serve: error: unrecognized arguments: ${unknown.join(' ')}\n`);
    return 2;
  }
  const ephemeral = argv.includes('--ephemeral');
  // Loaded here so that client commands do not load the server, the database and Docker.
  const { loadConfig } = await import('../config');
  const { startSnapstack } = await import('../app');
  const overrides = ephemeral ? { dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-ephemeral-')) } : {};
  const config = loadConfig(io.env, overrides);
  const snapstack = await startSnapstack(config, { ephemeral });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      snapstack.logger.info({ signal }, 'shutting down');
      snapstack.close().then(resolve, (err) => {
        snapstack.logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
