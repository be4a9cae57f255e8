/**
 * Where fault rules live: table `fault_rules`, shared by every process on the database (replicas
 * included). Each change moves the `faults.epoch` setting in the same transaction, so a process
 * that reads the epoch (with the identity epoch: no extra round trip) knows when to read the
 * rules again; a clear also moves `faults.cleared`, which ends delays under way in every process.
 */
import type { Knex } from 'knex';
import type { FaultPoint, FaultRule, FaultRuleStore } from './fault-rules';

export const FAULTS_EPOCH_KEY = 'faults.epoch';
const CLEARED_KEY = 'faults.cleared';

const COLUMNS = ['id', 'target', 'action', 'project_id', 'count', 'remaining', 'delay_ms', 'message', 'status', 'service', 'operation_id', 'created_at'];

type Row = Omit<FaultRule, 'created_at'> & { created_at: Date | string };

function toRule(row: Row): FaultRule {
  return { ...row, created_at: new Date(row.created_at).toISOString() } as FaultRule;
}

/** One rule of each action at most: the oldest matching one, locked while its count goes down. */
function pick(action: 'delay' | 'fail'): string {
  return `UPDATE fault_rules SET remaining = remaining - 1
     WHERE remaining > 0 AND id = (
       SELECT id FROM fault_rules
        WHERE action = '${action}' AND target = :target AND remaining > 0
          AND (project_id IS NULL OR project_id = :project) AND (service IS NULL OR service = :service)
          AND (operation_id IS NULL OR operation_id = :operation)
        ORDER BY created_at, id LIMIT 1 FOR UPDATE)
     RETURNING ${COLUMNS.join(', ')}`;
}

// FOR UPDATE, not SKIP LOCKED: a second operation at the same moment waits the one statement the
// first holds the row for, then takes the count that is left (SKIP LOCKED would let it pass by a
// count=2 rule's second firing). Rows whose count ran out go in a later statement (exhausted()).
const CONSUME = `WITH d AS (${pick('delay')}), f AS (${pick('fail')}) SELECT * FROM d UNION ALL SELECT * FROM f`;

export class KnexFaultRuleStore implements FaultRuleStore {
  constructor(private readonly db: Knex) {}

  async insert(rule: FaultRule): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('fault_rules').insert({ ...rule, created_at: new Date(rule.created_at) });
      await bump(trx, FAULTS_EPOCH_KEY);
    });
  }

  async list(): Promise<FaultRule[]> {
    const rows = await this.db('fault_rules').where('remaining', '>', 0).orderBy([{ column: 'created_at' }, { column: 'id' }]).select(COLUMNS);
    return rows.map(toRule);
  }

  async get(id: string): Promise<FaultRule | undefined> {
    const row = await this.db('fault_rules').where({ id }).andWhere('remaining', '>', 0).first(COLUMNS);
    return row ? toRule(row) : undefined;
  }

  async remove(id: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const gone = await trx('fault_rules').where({ id }).andWhere('remaining', '>', 0).delete().returning('id');
      if (gone.length) await bump(trx, FAULTS_EPOCH_KEY);
      return gone.length > 0;
    });
  }

  async clear(): Promise<number> {
    return this.db.transaction(async (trx) => {
      const gone = await trx('fault_rules').delete().returning('remaining');
      await bump(trx, FAULTS_EPOCH_KEY);
      await bump(trx, CLEARED_KEY);
      return gone.filter((r: { remaining: number }) => r.remaining > 0).length;
    });
  }

  async consume(point: FaultPoint): Promise<FaultRule[]> {
    const result = await this.db.raw(CONSUME, {
      target: point.target, project: point.projectId ?? null, service: point.service ?? null, operation: point.operationId ?? null,
    });
    const rows: Row[] = result.rows ?? result;
    return rows.map(toRule);
  }

  async exhausted(ids: string[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      const gone = await trx('fault_rules').whereIn('id', ids).andWhere('remaining', '<=', 0).delete().returning('id');
      if (gone.length) await bump(trx, FAULTS_EPOCH_KEY);
    });
  }

  async epoch(): Promise<string> {
    return (await this.db('settings').where({ key: FAULTS_EPOCH_KEY }).first('value'))?.value ?? '0';
  }

  async clears(): Promise<string> {
    return (await this.db('settings').where({ key: CLEARED_KEY }).first('value'))?.value ?? '0';
  }
}

async function bump(trx: Knex.Transaction, key: string): Promise<void> {
  await trx.raw(`INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = (settings.value::bigint + 1)::text`, [key]);
}
