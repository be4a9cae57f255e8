/**
 * pause, unpause, suspend, resume, lock, unlock, os-getConsoleOutput.
 *
 * LIMITATIONS:
 * - suspend keeps the disk, not the memory: the container is stopped (an image-backed root disk
 *   committed) and resume starts a fresh one, like a stop/start that shows SUSPENDED;
 * - the console log is what each of the server's containers printed (its boot log and PID 1's
 *   stdout/stderr), kept across the containers a stop or suspend removes (server-console-store.ts).
 */
import { Conflict } from '../http/faults';
import { ACCEPTED, atLeast, invalid, objectArgs, powerAction as power, pyRepr, ServerActionTable } from './server-action-table';

/** os-getConsoleOutput length: an integer or a string of one, >= -1, or null (all). */
function consoleLength(args: unknown): number | null {
  const o = objectArgs('os-getConsoleOutput', args, ['length']);
  const raw = o.length ?? null;
  if (raw === null) return null;
  if (typeof raw === 'string') {
    if (!/^-?[0-9]+$/.test(raw)) throw invalid('length', raw, `'${raw}' does not match '^-?[0-9]+$'`);
  } else if (typeof raw !== 'number' || !Number.isInteger(raw)) {
    throw invalid('length', raw, `${pyRepr(raw)} is not of type 'integer', 'string', 'null'`);
  }
  const n = Number(raw);
  if (n < -1) throw invalid('length', raw, `${pyRepr(raw)} is less than the minimum of -1`);
  return n;
}

export const stateActions: ServerActionTable = {
  pause: power('pause'),
  unpause: power('unpause'),
  suspend: power('suspend'),
  resume: power('resume'),
  lock: {
    lockChecked: false,
    async run(c) {
      let reason: string | null = null;
      if (atLeast(c.mv, '2.73') && c.args !== null) {
        const o = objectArgs('lock', c.args, ['locked_reason']);
        if (o.locked_reason !== undefined) {
          const r = o.locked_reason;
          if (typeof r !== 'string') throw invalid('locked_reason', r, `${pyRepr(r)} is not of type 'string'`);
          if (r.length === 0) throw invalid('locked_reason', r, "'' is too short");
          if (r.length > 255) throw invalid('locked_reason', r, `'${r}' is too long`);
          reason = r;
        }
      }
      await c.compute.actions.lock(c.server.id, c.auth, reason);
      return ACCEPTED;
    },
  },
  unlock: {
    lockChecked: false,
    async run(c) {
      await c.compute.actions.unlock(c.server.id, c.auth);
      return ACCEPTED;
    },
  },
  'os-getConsoleOutput': {
    lockChecked: false,
    async run(c) {
      const length = consoleLength(c.args);
      // check_instance_host: a server on no host (building, shelved offloaded) is not ready.
      if (['building', 'shelved_offloaded'].includes(c.server.vm_state) || c.server.task_state === 'deleting') {
        throw new Conflict(`Instance ${c.server.id} is not ready`);
      }
      return { status: 200, body: { output: await c.compute.actions.consoleOutput(c.server, length) } };
    },
  },
};
