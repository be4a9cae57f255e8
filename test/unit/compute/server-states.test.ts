import { checkState, statusOf, vmStatesOfStatus } from '../../../src/compute/server-states';
import type { ServerRow } from '../../../src/compute/server-store';

test("status follows Nova's state map", () => {
  expect(statusOf('building', 'spawning')).toBe('BUILD');
  expect(statusOf('active', null)).toBe('ACTIVE');
  expect(statusOf('active', 'image_snapshot')).toBe('ACTIVE');
  expect(statusOf('active', 'powering-off')).toBe('ACTIVE');
  expect(statusOf('active', 'rebooting')).toBe('REBOOT');
  expect(statusOf('active', 'rebooting_hard')).toBe('HARD_REBOOT');
  expect(statusOf('stopped', 'powering-on')).toBe('SHUTOFF');
  expect(statusOf('error', null)).toBe('ERROR');
  expect(vmStatesOfStatus('shutoff')).toEqual(['stopped']);
  expect(vmStatesOfStatus('bogus')).toBeNull();
});

test("409 texts name the attribute that is wrong, as Nova's check_instance_state does", () => {
  const s = { id: 'abc', vm_state: 'active', task_state: 'image_snapshot', launched_at: new Date() } as unknown as ServerRow;
  expect(() => checkState(s, 'createImage', { vmStates: ['active'] })).toThrow("Cannot 'createImage' instance abc while it is in task_state image_snapshot");
  expect(() => checkState(s, 'start', { vmStates: ['stopped'] })).toThrow("Cannot 'start' instance abc while it is in vm_state active");
  const never = { id: 'abc', vm_state: 'error', task_state: null, launched_at: null } as unknown as ServerRow;
  expect(() => checkState(never, 'stop', { vmStates: ['error'], mustBeLaunched: true })).toThrow('launched_at None');
});
