// Which database an API/store test runs against, from SNAPSTACK_TEST_DB (set
// per jest project): 'pg' = its own clone of the migrated template on the
// test server; 'pglite' = embedded PGlite in a fresh data dir. Same test code.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { createTestDatabase } from './test-database';

export type TestDbTarget = 'pg' | 'pglite';

export interface TestDbConfig {
  /** Set for 'pg'; absent for 'pglite' (createKnex then uses PGlite under dataDir). */
  databaseUrl?: string;
  /** A fresh directory for this test's data (PGlite files, volume layers). */
  dataDir: string;
  cleanup(): Promise<void>;
}

export function testDbTarget(): TestDbTarget {
  const target = process.env.SNAPSTACK_TEST_DB ?? 'pg';
  if (target !== 'pg' && target !== 'pglite') throw new Error(`SNAPSTACK_TEST_DB must be pg or pglite, got "${target}"`);
  return target;
}

export async function testDbConfig(): Promise<TestDbConfig> {
  const target = testDbTarget();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snapstack-t-'));
  const removeDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  if (target === 'pglite') {
    return { dataDir, cleanup: async () => removeDir() };
  }
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
