import { serverActionTable } from '../../../src/compute/server-action-handlers';
import { invalid, metadataArg, nameArg, objectArgs, pyRepr } from '../../../src/compute/server-action-table';
import { checkLock, statusOf, vmStatesOfStatus } from '../../../src/compute/server-states';
import type { ServerRow } from '../../../src/compute/server-store';

test('every action of issue 11 has an entry, with Nova\'s lock check where Nova has one', () => {
  const table = serverActionTable();
  const locked = ['os-stop', 'os-start', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'shelve', 'shelveOffload', 'unshelve', 'resize', 'confirmResize', 'revertResize', 'rebuild'];
  const unlocked = ['createImage', 'createBackup', 'lock', 'unlock', 'os-getConsoleOutput'];
  for (const a of locked) expect([a, table[a]?.lockChecked]).toEqual([a, true]);
  for (const a of unlocked) expect([a, table[a]?.lockChecked]).toEqual([a, false]);
  expect(Object.keys(table).sort()).toEqual([...locked, ...unlocked].sort());
});

test("status of the actions' states follows Nova's _STATE_MAP", () => {
  expect(statusOf('active', 'pausing')).toBe('ACTIVE');
  expect(statusOf('paused', null)).toBe('PAUSED');
  expect(statusOf('suspended', 'resuming')).toBe('SUSPENDED');
  expect(statusOf('active', 'resize_prep')).toBe('RESIZE');
  expect(statusOf('stopped', 'resize_finish')).toBe('RESIZE');
  expect(statusOf('resized', null)).toBe('VERIFY_RESIZE');
  expect(statusOf('resized', 'resize_reverting')).toBe('REVERT_RESIZE');
  expect(statusOf('active', 'rebuild_spawning')).toBe('REBUILD');
  expect(statusOf('error', 'rebuilding')).toBe('REBUILD');
  expect(statusOf('shelved', 'shelving_offloading')).toBe('SHELVED');
  expect(statusOf('shelved_offloaded', 'unshelving')).toBe('SHELVED_OFFLOADED');
  expect(statusOf('nonsense', null)).toBe('UNKNOWN');
  expect(vmStatesOfStatus('verify_resize')).toEqual(['resized']);
  expect(vmStatesOfStatus('SHELVED_OFFLOADED')).toEqual(['shelved_offloaded']);
});

test('a locked server refuses non-admins only', () => {
  const s = { id: 'abc', locked: true } as unknown as ServerRow;
  expect(() => checkLock(s, { isAdmin: false })).toThrow('Instance abc is locked');
  expect(() => checkLock(s, { isAdmin: true })).not.toThrow();
  expect(() => checkLock({ ...s, locked: false }, { isAdmin: false })).not.toThrow();
});

test("request validation reads like Nova's jsonschema errors", () => {
  expect(pyRepr({ name: 'b', n: 1, ok: true, none: null })).toBe("{'name': 'b', 'n': 1, 'ok': True, 'none': None}");
  expect(() => objectArgs('createBackup', { name: 'b' }, ['name', 'rotation'], ['rotation'])).toThrow(
    "Invalid input for field/attribute createBackup. Value: {'name': 'b'}. 'rotation' is a required property",
  );
  expect(() => objectArgs('resize', { flavorRef: '1', x: 1 }, ['flavorRef'])).toThrow("Additional properties are not allowed ('x' was unexpected)");
  expect(() => objectArgs('resize', null, [])).toThrow("None is not of type 'object'");
  expect(() => nameArg('name', ' padded')).toThrow("' padded' does not match the name pattern");
  expect(nameArg('name', 'ok')).toBe('ok');
  expect(() => metadataArg({ a: 1 })).toThrow('Value must be an object of strings');
  expect(invalid('length', -2, '-2 is less than the minimum of -1').message).toBe('Invalid input for field/attribute length. Value: -2. -2 is less than the minimum of -1');
});
