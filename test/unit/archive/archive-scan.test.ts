// The quick look a listing takes (manifest and tar headers only) finds structural problems.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { scanArchive } from '../../../src/archive/archive-scan';
import { craftArchive, plainLayer, tarOf } from '../../support/archive-craft';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-scan-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function scan(buf: Buffer) {
  const file = path.join(dir, `${Math.random().toString(16).slice(2)}.tar`);
  fs.writeFileSync(file, buf);
  return scanArchive(file);
}

describe('scanArchive', () => {
  it('reads a valid archive\'s manifest', async () => {
    const { buffer, manifest } = await craftArchive({ layers: [plainLayer('x-1'), plainLayer('x-2')] });
    const r = await scan(buffer);
    expect(r.problem).toBeNull();
    expect(r.manifest?.archive_id).toBe(manifest.archive_id);
  });

  it.each<[string, () => Promise<Buffer>, RegExp]>([
    ['a truncated file', async () => (await craftArchive({ layers: [plainLayer('x-1', [{ name: 'b', data: Buffer.alloc(20_000) }])] })).buffer.subarray(0, 9000), /truncated/],
    ['a missing checksums file', async () => (await craftArchive({ layers: [plainLayer('x-1')], omitChecksums: true })).buffer, /checksums.sha256 missing/],
    ['an unknown version', async () => (await craftArchive({ layers: [plainLayer('x-1')], manifest: (m: any) => (m.version = 3) })).buffer, /version 3/],
    ['a resized layer', async () => (await craftArchive({ layers: [plainLayer('x-1')], manifest: (m) => (m.volumes[0].layers[0].bytes += 512) })).buffer, /the manifest declares/],
    ['an extra entry', async () => (await craftArchive({ layers: [plainLayer('x-1')], extra: [{ name: 'x.sh', data: 'x' }] })).buffer, /unexpected entry "x.sh"/],
    ['another tar', async () => tarOf([{ name: 'a', data: 'b' }]), /not a snapstack archive/],
    ['a tiny file', async () => Buffer.from('garbage'), /shorter than one tar header/],
  ])('reports %s', async (_what, make, message) => {
    expect((await scan(await make())).problem).toMatch(message);
  });
});
