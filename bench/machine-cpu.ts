/**
 * Where a benchmark phase's CPU went, machine-wide (Linux /proc): the whole machine's busy time,
 * this process's (Snapstack and the bench's clients share it), PostgreSQL's processes', and the
 * rest (the Docker engine, its shims and runc, the kernel, anything else running). Beside a
 * phase's wall time it bounds what overlap can give: a phase cannot finish before its CPU work is
 * spread over every core. Null fields where /proc is not there.
 */
import fs from 'fs';
import os from 'os';

/** USER_HZ: /proc's tick, 100 on every Linux architecture Node runs on. */
const TICK_MS = 10;

export interface CpuSample {
  at: number;
  machineMs: number | null;
  processMs: number;
  postgresMs: number | null;
}

export interface CpuUse {
  wallMs: number;
  /** Busy core-milliseconds of the whole machine (user, nice, system, irq, softirq, steal). */
  machineMs: number | null;
  processMs: number;
  postgresMs: number | null;
  /** The machine's busy time less this process's and PostgreSQL's. */
  otherMs: number | null;
  /** Cores busy on average over the phase. */
  cores: number | null;
}

function machineBusyMs(): number | null {
  try {
    const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + (steal ?? 0)) * TICK_MS;
  } catch {
    return null;
  }
}

/** utime + stime of every live process named `postgres` (the pool's backends live through a phase). */
function postgresMs(): number | null {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const rest = stat.slice(close + 2).split(' ');
      ticks += Number(rest[11]) + Number(rest[12]); // fields 14 and 15: utime, stime
    } catch {
      // gone meanwhile
    }
  }
  return ticks * TICK_MS;
}

export function sampleCpu(): CpuSample {
  const { user, system } = process.cpuUsage();
  return { at: performance.now(), machineMs: machineBusyMs(), processMs: (user + system) / 1000, postgresMs: postgresMs() };
}

export function cpuBetween(a: CpuSample, b: CpuSample): CpuUse {
  const wallMs = b.at - a.at;
  const machineMs = a.machineMs === null || b.machineMs === null ? null : b.machineMs - a.machineMs;
  const postgres = a.postgresMs === null || b.postgresMs === null ? null : Math.max(0, b.postgresMs - a.postgresMs);
  const processMs = b.processMs - a.processMs;
  return {
    wallMs, machineMs, processMs, postgresMs: postgres,
    otherMs: machineMs === null ? null : Math.max(0, machineMs - processMs - (postgres ?? 0)),
    cores: machineMs === null ? null : machineMs / wallMs,
  };
}

/** Runs `work`, answering its result and the CPU it took. */
export async function measuredCpu<T>(work: () => Promise<T>): Promise<{ result: T; cpu: CpuUse }> {
  const before = sampleCpu();
  const result = await work();
  return { result, cpu: cpuBetween(before, sampleCpu()) };
}

export const cores = () => os.availableParallelism?.() ?? os.cpus().length;
