// Which database an API/store test runs against, from SNAPSTACK_TEST_DB (set
// per jest project): 'pg' = its own clone of the migrated template on the
// test server; 'embedded' = the embedded default (PostgreSQL as a child process)
// in a fresh data dir; 'pglite' = embedded PGlite there. Same test code.
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { EmbeddedDb } from '../../src/config';
import { createTestDatabase } from './test-database';

export type TestDbTarget = 'pg' | 'embedded' | 'pglite';

export interface TestDbConfig {
  /** Set for 'pg'; absent for the embedded targets (createKnex then starts one under dataDir). */
  databaseUrl?: string;
  /** 'pglite' for that target; unset otherwise (the embedded default). */
  embeddedDb?: EmbeddedDb;
  /** A fresh directory for this test's data (PGlite files, volume layers). */
  dataDir: string;
  cleanup(): Promise<void>;
}

export function testDbTarget(): TestDbTarget {
  const target = process.env.SNAPSTACK_TEST_DB ?? 'pg';
  if (target !== 'pg' && target !== 'embedded' && target !== 'pglite') throw new Error(`SNAPSTACK_TEST_DB must be pg, embedded or pglite, got "${target}"`);
  return target;
}

export async function testDbConfig(): Promise<TestDbConfig> {
  const target = testDbTarget();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-t-'));
  const removeDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  if (target === 'pglite') return { dataDir, embeddedDb: 'pglite', cleanup: async () => removeDir() };
  if (target === 'embedded') return { dataDir, cleanup: async () => removeDir() };
  try {
    const db = await createTestDatabase();
    return {
      databaseUrl: db.url,
      dataDir,
      async cleanup() {
        try {
          await db.drop();
        } finally {
          removeDir();
        }
      },
    };
  } catch (err) {
    removeDir();
    throw err;
  }
}
