// The concurrency bench's CPU accounting: the arithmetic of a phase, and /proc read for real.
import { cpuBetween, measuredCpu, sampleCpu } from '../../../bench/machine-cpu';

test('a phase: the machine\'s busy time less this process\'s and PostgreSQL\'s is the rest; cores busy over the wall time', () => {
  const use = cpuBetween({ at: 1_000, machineMs: 50_000, processMs: 200, postgresMs: 700 }, { at: 3_000, machineMs: 53_000, processMs: 900, postgresMs: 1_000 });
  expect(use).toEqual({ wallMs: 2_000, machineMs: 3_000, processMs: 700, postgresMs: 300, otherMs: 2_000, cores: 1.5 });
  // Without /proc: no machine figures, this process's still.
  expect(cpuBetween({ at: 0, machineMs: null, processMs: 0, postgresMs: null }, { at: 10, machineMs: null, processMs: 4, postgresMs: null }))
    .toEqual({ wallMs: 10, machineMs: null, processMs: 4, postgresMs: null, otherMs: null, cores: null });
});

const linux = process.platform === 'linux';
(linux ? test : test.skip)('on Linux, a busy loop shows in this process\'s CPU and in the machine\'s', async () => {
  expect(sampleCpu().machineMs).toEqual(expect.any(Number));
  const { cpu } = await measuredCpu(async () => {
    const until = performance.now() + 300;
    while (performance.now() < until); // spin
  });
  expect(cpu.processMs).toBeGreaterThan(250);
  // The machine's counters tick every 10 ms: at least this process's work, less a tick or two.
  expect(cpu.machineMs!).toBeGreaterThan(cpu.processMs - 30);
  expect(cpu.cores!).toBeGreaterThan(0.8);
});
