/**
 * The date shapes each OpenStack service really sends (see the contract's gotcha 14). Each is
 * toISOString's text with its fixed `.mmmZ` ending cut (a list view formats two or three dates
 * per item: string slices, not a regular expression each).
 */

/** Keystone: microseconds and Z. */
export function keystoneTime(d: Date): string {
  return `${d.toISOString().slice(0, -1)}000Z`;
}

/** Nova created/updated: seconds and Z, no fraction. Glance uses the same. */
export function isoSecondsZ(d: Date): string {
  return `${d.toISOString().slice(0, -5)}Z`;
}

/** Cinder created_at and Nova launched_at: microseconds, no zone. */
export function isoMicros(d: Date): string {
  return `${d.toISOString().slice(0, -1)}000`;
}

/** ISO 8601 as oslo_utils.timeutils.parse_isotime (Nova's date-time query parameters) reads it. */
const ISO_8601 = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)?)?$/;

/** The instant `v` names, or undefined when it is not an ISO 8601 date-time. */
export function parseIsoTime(v: string): Date | undefined {
  if (!ISO_8601.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
