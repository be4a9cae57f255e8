/**
 * createBackup: an instance snapshot with image_type=backup and backup_type, then rotation
 * (server-backup.ts). Image-backed: a committed root disk (plus its data volumes' snapshots), in
 * a job; volume-backed (Nova answers 400 there): one volume snapshot per volume and a size-0
 * image, made at once like createImage, so its task states are not seen.
 *
 * LIMITATIONS: no image-metadata quota check below 2.39.
 */
import { atLeast, invalid, metadataArg, nameArg, objectArgs, pyRepr, ServerActionTable } from './server-action-table';

/** parameter_types.non_negative_integer: an integer or a string of digits, >= 0. */
function rotationArg(value: unknown): number {
  const ok = (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^[0-9]*$/.test(value) && value !== '');
  if (!ok) {
    if (typeof value === 'string') throw invalid('rotation', value, `'${value}' does not match '^[0-9]*$'`);
    throw invalid('rotation', value, `${pyRepr(value)} is not of type 'integer', 'string'`);
  }
  const n = Number(value);
  if (n < 0) throw invalid('rotation', value, `${n} is less than the minimum of 0`);
  return n;
}

export const backupActions: ServerActionTable = {
  createBackup: {
    lockChecked: false,
    async run(c) {
      const o = objectArgs('createBackup', c.args, ['name', 'backup_type', 'rotation', 'metadata'], ['name', 'backup_type', 'rotation']);
      const name = nameArg('name', o.name);
      if (typeof o.backup_type !== 'string') throw invalid('backup_type', o.backup_type, `${pyRepr(o.backup_type)} is not of type 'string'`);
      const rotation = rotationArg(o.rotation);
      const metadata = metadataArg(o.metadata);
      const imageId = await c.compute.snapshots.createImage(c.server.id, name, metadata, { type: o.backup_type, rotation }, c.server);
      if (atLeast(c.mv, '2.45')) return { status: 202, body: { image_id: imageId } };
      // Below 2.45 the Location header only when something is kept (Nova's create_backup.py).
      return { status: 202, ...(rotation > 0 ? { headers: { Location: `${c.ctx.serviceUrl}/v2.1/images/${imageId}` } } : {}) };
    },
  },
};
