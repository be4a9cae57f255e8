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
  // Spins until this process has used 200 ms of CPU (not of wall time: a loaded machine gives less).
  const used = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };
  const { cpu } = await measuredCpu(async () => {
    const until = used() + 200;
    while (used() < until); // spin
  });
  expect(cpu.processMs).toBeGreaterThanOrEqual(200);
  // The machine's busy time holds this process's, less a tick or two of its 10 ms counters.
  expect(cpu.machineMs!).toBeGreaterThan(cpu.processMs - 30);
  expect(cpu.cores!).toBeGreaterThan(0);
  expect(cpu.otherMs!).toBeGreaterThanOrEqual(0);
});
