/**
 * The date shapes each OpenStack service really sends (see the contract's gotcha 14). Each is
 * toISOString's text with its `.mmmZ` ending changed, built from the date's UTC fields: a list
 * view formats two or three dates per item, and toISOString costs about three times as much.
 * Years outside 1000-9999 (and invalid dates, which throw) keep toISOString's own text.
 */

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** toISOString's text up to the seconds ('2026-11-30T10:00:01'), and its milliseconds. */
function isoUpToSeconds(d: Date): string {
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) return d.toISOString().slice(0, -5);
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** Keystone: microseconds and Z. */
export function keystoneTime(d: Date): string {
  return `${isoUpToSeconds(d)}.${pad3(d.getUTCMilliseconds())}000Z`;
}

/** Nova created/updated: seconds and Z, no fraction. Glance uses the same. */
export function isoSecondsZ(d: Date): string {
  return `${isoUpToSeconds(d)}Z`;
}

/** Cinder created_at and Nova launched_at: microseconds, no zone. */
export function isoMicros(d: Date): string {
  return `${isoUpToSeconds(d)}.${pad3(d.getUTCMilliseconds())}000`;
}

/** ISO 8601 as oslo_utils.timeutils.parse_isotime (Nova's date-time query parameters) reads it. */
const ISO_8601 = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)?)?$/;

/** The instant `v` names, or undefined when it is not an ISO 8601 date-time. */
export function parseIsoTime(v: string): Date | undefined {
  if (!ISO_8601.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
