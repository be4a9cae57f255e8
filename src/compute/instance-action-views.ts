import type { Microversion } from '../http/microversion';
import { isoMicros } from '../shared/time-format';
import type { InstanceActionEventRow, InstanceActionRow } from './instance-action-store';
import { hostId } from './server-views';

const at = (mv: Microversion | null, v: string) => mv?.atLeast(v) ?? false;
const time = (d: Date | null) => (d ? isoMicros(new Date(d)) : null);

/** An action as Nova's index and show give it (updated_at from 2.58). */
export function instanceActionView(a: InstanceActionRow, mv: Microversion | null) {
  return {
    action: a.action, instance_uuid: a.server_id, request_id: a.request_id, user_id: a.user_id, project_id: a.project_id,
    start_time: time(a.start_time), message: a.message, ...(at(mv, '2.58') ? { updated_at: time(a.updated_at) } : {}),
  };
}

/**
 * The events of an action's show: admins see them always (with traceback, host from 2.62,
 * details from 2.84), other callers from 2.51 without those; hostId from 2.62. undefined: not shown.
 */
export function instanceActionEvents(events: InstanceActionEventRow[], projectId: string, mv: Microversion | null, isAdmin: boolean) {
  if (!isAdmin && !at(mv, '2.51')) return undefined;
  return events.map((e) => ({
    event: e.event, start_time: time(e.start_time), finish_time: time(e.finish_time), result: e.result,
    ...(isAdmin ? { traceback: e.traceback } : {}),
    ...(isAdmin && at(mv, '2.62') ? { host: e.host } : {}),
    ...(at(mv, '2.62') ? { hostId: hostId(projectId) } : {}),
    ...(isAdmin && at(mv, '2.84') ? { details: e.details } : {}),
  }));
}
