/** The date shapes each OpenStack service really sends (see the contract's gotcha 14). */

/** Keystone: microseconds and Z. */
export function keystoneTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Nova created/updated: seconds and Z, no fraction. Glance uses the same. */
export function isoSecondsZ(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Cinder created_at and Nova launched_at: microseconds, no zone. */
export function isoMicros(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}
