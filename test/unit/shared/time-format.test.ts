import fc from 'fast-check';
import { isoMicros, isoSecondsZ, keystoneTime } from '../../../src/shared/time-format';

/** What each shape was defined as: toISOString's text with its `.mmmZ` ending changed. */
const reference = {
  keystoneTime: (d: Date) => `${d.toISOString().slice(0, -1)}000Z`,
  isoSecondsZ: (d: Date) => `${d.toISOString().slice(0, -5)}Z`,
  isoMicros: (d: Date) => `${d.toISOString().slice(0, -1)}000`,
};

describe('OpenStack date texts', () => {
  it('are toISOString\'s text, reshaped, for any date (years outside 1000-9999 too)', () => {
    fc.assert(fc.property(fc.date({ noInvalidDate: true }), (d) => {
      expect(keystoneTime(d)).toBe(reference.keystoneTime(d));
      expect(isoSecondsZ(d)).toBe(reference.isoSecondsZ(d));
      expect(isoMicros(d)).toBe(reference.isoMicros(d));
    }), { numRuns: 5000 });
    const d = new Date(Date.UTC(2026, 10, 30, 9, 5, 7, 42));
    expect([keystoneTime(d), isoSecondsZ(d), isoMicros(d)]).toEqual(['2026-11-30T09:05:07.042000Z', '2026-11-30T09:05:07Z', '2026-11-30T09:05:07.042000']);
  });

  it('throw on an invalid date, as toISOString does', () => {
    expect(() => isoSecondsZ(new Date(NaN))).toThrow(RangeError);
  });
});
