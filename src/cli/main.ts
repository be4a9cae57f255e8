import { loadConfig } from '../config';
import { startSnapstack } from '../app';
import { VERSION } from '../version';

const USAGE = `usage: snapstack <command>

Commands:
  serve        start the Snapstack server (every service on one port)
  --version    print the version

Configuration is read from the environment; see the README.`;

/** Entry point of the `snapstack` command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === '--version' || command === 'version') {
    process.stdout.write(`snapstack ${VERSION}\n`);
    return 0;
  }
  if (command === 'serve') return serve();
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  process.stderr.write(`snapstack: unknown command '${command}'\n${USAGE}\n`);
  return 2;
}

async function serve(): Promise<number> {
  const config = loadConfig();
  const snapstack = await startSnapstack(config);
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
