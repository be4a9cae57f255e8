/**
 * The reset barrier on fakes (reset-barrier.ts): a reset served by one replica quiesces every
 * live one. A board in memory stands for the replicas' rows (marks, acknowledgements, liveness);
 * each replica's runner is a fake that counts its pauses and settles on demand.
 */
import pino from 'pino';
import { ResetBarrier, type Quiescible, type ResetMarks } from '../../../src/jobs/reset-barrier';

const log = pino({ level: 'silent' });

/** The replicas' rows: what each serves, what each acknowledged, who is alive. */
class Board {
  readonly rows = new Map<string, { alive: boolean; resetting: string | null; quiesced: string[] }>();

  marksOf(id: string): ResetMarks {
    this.rows.set(id, { alive: true, resetting: null, quiesced: [] });
    const row = () => this.rows.get(id)!;
    const others = () => [...this.rows].filter(([other, r]) => other !== id && r.alive);
    return {
      markReset: async (reset) => { row().resetting = reset; },
      acknowledgeResets: async (ids) => { row().quiesced = ids; },
      resetsElsewhere: async () => others().flatMap(([, r]) => (r.resetting ? [r.resetting] : [])).sort(),
      unacknowledged: async (reset) => others().filter(([, r]) => !r.quiesced.includes(reset)).map(([other]) => other),
    };
  }
}

/** A runner: paused while pauses > 0; settle resolves when the test lets its jobs end. */
class FakeRunner implements Quiescible {
  pauses = 0;
  settles = 0;
  private release: () => void = () => undefined;
  private held: Promise<void> | null = null;
  events: string[] = [];

  pause(): void {
    this.pauses++;
    this.events.push('pause');
  }

  resume(): void {
    this.pauses--;
    this.events.push('resume');
  }

  async settle(): Promise<void> {
    this.settles++;
    await this.held;
    this.events.push('settled');
  }

  /** A job runs until finish() is called. */
  hold(): void {
    this.held = new Promise((r) => (this.release = r));
  }

  finish(): void {
    this.release();
    this.held = null;
  }
}

function replica(board: Board, id: string, ackWaitMs = 2_000) {
  const runner = new FakeRunner();
  const barrier = new ResetBarrier(board.marksOf(id), runner, log, { timeoutMs: 1_000, ackWaitMs, ackPollMs: 5 });
  return { runner, barrier };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('ResetBarrier', () => {
  test('alone: the reset runs at once, with the runner paused and resumed after; prepare once marked, before jobs settle', async () => {
    const board = new Board();
    const a = replica(board, 'a');
    const prepare = async () => {
      expect(board.rows.get('a')!.resetting).not.toBeNull();
      a.runner.events.push('prepare');
    };
    const seen = await a.barrier.serve(async () => a.runner.pauses, prepare);
    expect(seen).toBe(1);
    expect(a.runner.pauses).toBe(0);
    expect(a.runner.events).toEqual(['pause', 'prepare', 'settled', 'resume']);
    expect(board.rows.get('a')!.resetting).toBeNull();
  });

  test('waits until every other live replica paused and drained its jobs; they resume once the reset ended', async () => {
    const board = new Board();
    const a = replica(board, 'a');
    const b = replica(board, 'b');
    b.runner.hold(); // a job runs on b
    let ran = false;
    const reset = a.barrier.serve(async () => {
      ran = true;
      expect(b.runner.pauses).toBe(1); // b paused all through the reset
      return 'done';
    });
    await tick();
    expect(ran).toBe(false);
    const following = b.barrier.follow(); // b's poll: pauses, settles
    await tick();
    expect(b.runner.pauses).toBe(1);
    expect(ran).toBe(false); // b's job still runs: not acknowledged
    b.runner.finish();
    await following;
    expect(board.rows.get('b')!.quiesced).toHaveLength(1);
    await expect(reset).resolves.toBe('done');
    expect(ran).toBe(true);
    expect(b.runner.pauses).toBe(1); // until b looks again
    await b.barrier.follow();
    expect(b.runner.pauses).toBe(0);
    expect(board.rows.get('b')!.quiesced).toEqual([]);
    expect(b.runner.events).toEqual(['pause', 'settled', 'resume']);
    await b.barrier.follow(); // nothing marked: nothing happens
    expect(b.runner.events).toHaveLength(3);
  });

  test('a dead replica is not waited for', async () => {
    const board = new Board();
    const a = replica(board, 'a');
    replica(board, 'dead');
    board.rows.get('dead')!.alive = false;
    await expect(a.barrier.serve(async () => 'done')).resolves.toBe('done');
  });

  test('a live replica that never acknowledges is waited for ackWaitMs at most, then the reset goes on', async () => {
    const board = new Board();
    const a = replica(board, 'a', 100);
    replica(board, 'stuck');
    const started = Date.now();
    await expect(a.barrier.serve(async () => 'done')).resolves.toBe('done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  test('the serving replica dies mid-reset: its mark stops counting and the others resume', async () => {
    const board = new Board();
    const a = replica(board, 'a');
    const b = replica(board, 'b');
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    void a.barrier.serve(() => new Promise(() => inside())); // never returns: killed in there
    await tick();
    await b.barrier.follow();
    await entered;
    expect(b.runner.pauses).toBe(1);
    board.rows.get('a')!.alive = false; // its heartbeat expired
    await b.barrier.follow();
    expect(b.runner.pauses).toBe(0);
  });

  test('a second reset while one is under way elsewhere is acknowledged too; pauses nest with one served here', async () => {
    const board = new Board();
    const a = replica(board, 'a');
    const b = replica(board, 'b');
    const c = replica(board, 'c');
    let finishA!: () => void;
    const resetA = a.barrier.serve(() => new Promise<void>((r) => (finishA = r)));
    await tick();
    await b.barrier.follow();
    await c.barrier.follow();
    await tick();
    expect(finishA).toBeDefined(); // b and c acknowledged a's reset
    // c serves its own reset meanwhile: a and b acknowledge it, c's runner is paused twice.
    const resetC = c.barrier.serve(async () => c.runner.pauses);
    await tick();
    await a.barrier.follow();
    await b.barrier.follow();
    expect(board.rows.get('b')!.quiesced).toEqual([board.rows.get('a')!.resetting, board.rows.get('c')!.resetting].sort());
    await expect(resetC).resolves.toBe(2);
    expect(c.runner.pauses).toBe(1); // still following a's
    finishA();
    await resetA;
    expect(a.runner.pauses).toBe(1); // its own pause ended; the one for c's reset until it looks again
    for (const r of [a, b, c]) await r.barrier.follow();
    expect([a, b, c].map((r) => r.runner.pauses)).toEqual([0, 0, 0]);
  });
});
