/**
 * Named points inside multi-step operations where the crash test (test/integration/crash)
 * kills the process. SNAPSTACK_CRASH_AT=<point>[:<n>] sends SIGKILL to this process the n-th
 * time (default 1st) it passes <point> once the server is up (armCrashPoints: start-up
 * recovery is not counted): a real kill -9, at a point the test chooses. Unset (always,
 * outside that test), a crash point costs one comparison.
 */
const spec = process.env.SNAPSTACK_CRASH_AT ?? '';
const [target, nth] = spec.split(':');
let armed = false;
let hits = 0;

/** Called once the server listens and has recovered. */
export function armCrashPoints(): void {
  armed = true;
}

export function crashPoint(name: string): void {
  if (!armed || !target || name !== target) return;
  if (++hits < Number(nth || 1)) return;
  process.kill(process.pid, 'SIGKILL');
}
