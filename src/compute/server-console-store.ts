import type { Knex } from 'knex';
import { countedDelete } from '../db/counted-delete';

/**
 * How much of a console log is kept and shown: the last 100 KiB, as Nova's libvirt driver reads
 * (MAX_CONSOLE_BYTES). Logs are latin1 text here, one character per byte.
 */
export const MAX_CONSOLE_BYTES = 100 * 1024;

/**
 * Knex queries for server_console_logs: the console of a server's earlier containers, so the
 * console outlives a stop, a suspend or a hard reboot as a VM's console log file does.
 */
export class ServerConsoleStore {
  constructor(private readonly db: Knex) {}

  /**
   * Keeps the log of `containerId` (the container being retired). Idempotent: kept again for
   * the same container (a retire resumed after a crash) it replaces that container's part, it is
   * never appended twice.
   */
  async keep(serverId: string, containerId: string, log: string): Promise<void> {
    await this.db.raw(
      `insert into server_console_logs (server_id, earlier, container_id, container_log, updated_at) values (?, '', ?, ?, now())
       on conflict (server_id) do update set
         earlier = case when server_console_logs.container_id = excluded.container_id then server_console_logs.earlier
                        else right(server_console_logs.earlier || server_console_logs.container_log, ${MAX_CONSOLE_BYTES}) end,
         container_id = excluded.container_id, container_log = excluded.container_log, updated_at = now()`,
      [serverId, containerId, log.slice(-MAX_CONSOLE_BYTES)],
    );
  }

  /**
   * What the console showed before `currentContainerId`, and the kept log of that container
   * itself when it was retired once already (a retire that did not finish).
   */
  async before(serverId: string, currentContainerId: string | null): Promise<{ earlier: string; current: string | null }> {
    const row: { earlier: string; container_id: string; container_log: string } | undefined = await this.db('server_console_logs').where({ server_id: serverId }).first();
    if (!row) return { earlier: '', current: null };
    if (row.container_id === currentContainerId) return { earlier: row.earlier, current: row.container_log };
    return { earlier: row.earlier + row.container_log, current: null };
  }

  async remove(serverId: string): Promise<void> {
    await this.db('server_console_logs').where({ server_id: serverId }).delete();
  }

  /** Reset: every server's kept console. */
  async removeAll(): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    await countedDelete(rows, 'server_console_logs', this.db('server_console_logs'));
    return rows;
  }
}
