import type { CommandContext } from '../../../src/cli/command';
import { CliError } from '../../../src/cli/http';
import { waitFor } from '../../../src/cli/wait';

function ctx(tty: boolean, timeoutMs = 10_000) {
  const err: string[] = [];
  const c: CommandContext = {
    session: () => Promise.reject(new Error('no session in this test')),
    out: () => undefined,
    err: (t) => { err.push(t); },
    stderrIsTTY: tty,
    waitIntervalMs: 1,
    waitTimeoutMs: timeoutMs,
  };
  return { c, err };
}

/** A resource that goes through `statuses`, one per poll. */
function sequence(statuses: (string | null)[]) {
  let i = 0;
  return () => Promise.resolve(statuses[Math.min(i++, statuses.length - 1)]);
}

const spec = (fetch: () => Promise<string | null>) => ({
  label: 'server web1',
  fetch,
  describe: (s: string | null) => s ?? 'deleted',
  done: (s: string | null) => s === 'ACTIVE',
  failure: (s: string | null) => (s === 'ERROR' ? 'Error creating server web1: No valid host was found.' : undefined),
});

describe('--wait', () => {
  it('on a terminal: one rewritten progress line with status and elapsed time, then the outcome', async () => {
    const { c, err } = ctx(true);
    expect(await waitFor(c, spec(sequence(['BUILD (scheduling)', 'BUILD (spawning)', 'ACTIVE'])))).toBe('ACTIVE');
    expect(err).toEqual([
      '\r\x1b[KWaiting for server web1: BUILD (scheduling) 0s',
      '\r\x1b[KWaiting for server web1: BUILD (spawning) 0s',
      '\r\x1b[Kserver web1: ACTIVE after 0s\n',
    ]);
  });

  it('in a pipe: silent', async () => {
    const { c, err } = ctx(false);
    await waitFor(c, spec(sequence(['BUILD', 'ACTIVE'])));
    expect(err).toEqual([]);
  });

  it('an error status ends the wait with the fault message (non-zero exit)', async () => {
    const { c, err } = ctx(true);
    await expect(waitFor(c, spec(sequence(['BUILD', 'ERROR'])))).rejects.toEqual(new CliError('Error creating server web1: No valid host was found.'));
    expect(err[err.length - 1]).toBe('\r\x1b[K');
  });

  it('gives up after the timeout with the last status', async () => {
    const { c } = ctx(false, 5);
    await expect(waitFor(c, spec(() => new Promise((r) => setTimeout(() => r('BUILD'), 3))))).rejects.toThrow(/^Timed out after 0s waiting for server web1 \(status BUILD\)$/);
  });
});
