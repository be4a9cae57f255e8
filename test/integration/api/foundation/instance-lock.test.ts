/**
 * Issue 16, item 8: a second server on the same data directory, or on the same database, refuses
 * to start with a clear message; the first keeps serving; a clean stop frees both.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startSnapstack } from '../../../../src/app';
import { InstanceLockError } from '../../../../src/db/instance-lock';
import { createLogger } from '../../../../src/logger';
import { startHarness, Harness } from '../../../support/snapstack-harness';

describe('one server per data directory and per database', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ dockerMode: 'none' }); });
  afterAll(async () => { await h.stop(); });
  const silent = createLogger('silent');

  it('refuses a second server on the same data directory, naming the holder', async () => {
    const second = startSnapstack({ ...h.app.config, port: 0 }, { logger: silent });
    await expect(second).rejects.toThrow(InstanceLockError);
    await expect(second).rejects.toThrow(new RegExp(`pid ${process.pid}.*data directory ${h.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect((await h.request('GET', '/snapstack/v1/health')).status).toBe(200);
  });

  it('refuses a second server on the same database from another data directory', async () => {
    if (!h.app.config.databaseUrl) return expect(h.app.config.databaseUrl).toBeUndefined(); // the embedded database lives in the data dir, locked above
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-lock-'));
    try {
      const second = startSnapstack({ ...h.app.config, port: 0, dataDir: otherDir }, { logger: silent });
      await expect(second).rejects.toThrow(/Another Snapstack server is using the database/);
      // The refused server left no lock behind in its own data directory.
      expect(fs.existsSync(path.join(otherDir, 'snapstack.lock'))).toBe(false);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a dead process, and frees its own on close', async () => {
    await h.app.close();
    expect(fs.existsSync(path.join(h.dataDir, 'snapstack.lock'))).toBe(false);
    fs.writeFileSync(path.join(h.dataDir, 'snapstack.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
    const again = await startSnapstack({ ...h.app.config, port: 0 }, { logger: silent });
    try {
      expect((await fetch(`${again.url}/snapstack/v1/health`)).status).toBe(200);
    } finally {
      await again.close();
    }
    expect(fs.existsSync(path.join(h.dataDir, 'snapstack.lock'))).toBe(false);
  });
});
