import type { ImageQuotas } from '../config';
import { OverLimit } from '../http/faults';

/**
 * Glance's per-image limits (image_tag_quota, image_property_quota, image_member_quota; 128
 * each by default, -1 unlimited). Going over one is Glance's 413 with the words of its
 * *LimitExceeded exceptions; the tags and members controllers wrap them in their own sentence.
 */
export type { ImageQuotas };

/** Extra properties under Glance's reserved namespace do not count (glance.api.common.GLANCE_RESERVED_NS). */
const RESERVED_NS = 'os_glance';

type Limited = 'tags' | 'properties' | 'members';

function over(what: Limited, attempted: number, maximum: number): string {
  const words = what === 'members' ? 'image members for this image' : `image ${what}`;
  return `The limit has been exceeded on the number of allowed ${words}. Attempted: ${attempted}, Maximum: ${maximum}`;
}

/** Throws Glance's 413 when `attempted` is over the limit; `wrap` is the controller's own sentence around the words. */
export function enforceImageQuota(quotas: ImageQuotas, what: Limited, attempted: number, wrap?: (words: string) => string): void {
  const maximum = quotas[what];
  if (maximum < 0 || attempted <= maximum) return;
  const words = over(what, attempted, maximum);
  throw new OverLimit(wrap ? wrap(words) : words);
}

/** The extra properties Glance counts against image_property_quota. */
export function countedProperties(properties: Record<string, unknown>): number {
  return Object.keys(properties).filter((k) => !k.startsWith(RESERVED_NS)).length;
}

/** The tags controller's sentence (glance/api/v2/image_tags.py), trailing colon included. */
export const tagLimitWords = (imageId: string) => (words: string) => `Image tag limit exceeded for image ${imageId}: ${words}:`;

/** The members controller's sentence (glance/api/v2/image_members.py), trailing colon included. */
export const memberLimitWords = (imageId: string) => (words: string) => `Image member limit exceeded for image ${imageId}: ${words}:`;
