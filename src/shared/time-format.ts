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
