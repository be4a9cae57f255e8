// `snapstack serve` as a user starts it: the built bin (npm test builds it first) in a child
// process, configured from the environment only, on an ephemeral port read from its log.
import { spawn, type ChildProcess } from 'child_process';
import path from 'path';

const root = path.resolve(__dirname, '..', '..');

export interface ServedChild {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  logs(): string;
  /** Its exit: the code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The `snapstack listening` log line's fields (instance_id, data_dir...). */
  listening: Record<string, unknown>;
}

export async function serveChild(env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<ServedChild> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'snapstack.js'), 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, SNAPSTACK_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString('utf8');
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const line = out.split('\n').find((l) => l.includes('"msg":"snapstack listening"'));
    if (line) {
      const listening = JSON.parse(line) as Record<string, unknown>;
      const url = String(listening.url);
      const res = await fetch(`${url}/snapstack/v1/health`).catch(() => null);
      if (res?.ok) return { child, url, logs: () => out, exited, listening };
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`snapstack exited early (${child.exitCode ?? child.signalCode}):\n${out.slice(-20_000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`snapstack did not answer in time:\n${out.slice(-20_000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
