/**
 * Named points inside multi-step operations where the crash test (test/integration/crash)
 * kills the process. SNAPSTACK_CRASH_AT=<point>[:<n>] sends SIGKILL to this process the n-th
 * time (default 1st) it passes <point>: a real kill -9, at a point the test chooses. Unset
 * (always, outside that test), a crash point costs one lookup.
 */
const spec = process.env.SNAPSTACK_CRASH_AT ?? '';
const [target, nth] = spec.split(':');
let hits = 0;

export function crashPoint(name: string): void {
  if (!target || name !== target) return;
  if (++hits < Number(nth || 1)) return;
  process.kill(process.pid, 'SIGKILL');
}
