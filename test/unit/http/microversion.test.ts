import { negotiate, microversionHeaders, Microversion } from '../../../src/http/microversion';
import { BadRequest, NotAcceptable } from '../../../src/http/faults';
import { COMPUTE_MICROVERSIONS } from '../../../src/compute/compute-versions';
import { VOLUME_MICROVERSIONS } from '../../../src/volume/volume-versions';

describe('microversion negotiation', () => {
  it('defaults to the minimum when no header is sent', () => {
    expect(negotiate(COMPUTE_MICROVERSIONS, {}).toString()).toBe('2.1');
    expect(negotiate(VOLUME_MICROVERSIONS, {}).toString()).toBe('3.0');
  });

  it('reads the new-style header for its own service type only', () => {
    expect(negotiate(COMPUTE_MICROVERSIONS, { 'openstack-api-version': 'compute 2.45' }).toString()).toBe('2.45');
    expect(negotiate(COMPUTE_MICROVERSIONS, { 'openstack-api-version': 'volume 3.40' }).toString()).toBe('2.1');
    expect(negotiate(VOLUME_MICROVERSIONS, { 'openstack-api-version': 'compute 2.5, volume 3.40' }).toString()).toBe('3.40');
  });

  it("reads Nova's legacy header, and the new one wins when both are sent", () => {
    expect(negotiate(COMPUTE_MICROVERSIONS, { 'x-openstack-nova-api-version': '2.37' }).toString()).toBe('2.37');
    expect(negotiate(COMPUTE_MICROVERSIONS, { 'x-openstack-nova-api-version': '2.37', 'openstack-api-version': 'compute 2.61' }).toString()).toBe('2.61');
  });

  it('maps latest to the maximum, which reaches what OSC sends for 2.latest', () => {
    expect(negotiate(COMPUTE_MICROVERSIONS, { 'openstack-api-version': 'compute latest' }).compare('2.92')).toBeGreaterThanOrEqual(0);
  });

  it('answers 406 with Nova\'s message out of range, 400 when malformed', () => {
    expect(() => negotiate(COMPUTE_MICROVERSIONS, { 'openstack-api-version': 'compute 2.999' })).toThrow(NotAcceptable);
    expect(() => negotiate(COMPUTE_MICROVERSIONS, { 'openstack-api-version': 'compute 2.999' })).toThrow(
      'Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.93.',
    );
    expect(() => negotiate(VOLUME_MICROVERSIONS, { 'openstack-api-version': 'volume 3.66' })).toThrow(NotAcceptable);
    expect(() => negotiate(COMPUTE_MICROVERSIONS, { 'openstack-api-version': 'compute two' })).toThrow(BadRequest);
  });

  it('compares numerically, not as text', () => {
    expect(Microversion.parse('2.10')!.compare('2.9')).toBeGreaterThan(0);
    expect(Microversion.parse('2.45')!.atLeast('2.45')).toBe(true);
    expect(Microversion.parse('2.44')!.atLeast('2.45')).toBe(false);
  });

  it('echoes both Nova headers and Vary', () => {
    const h = microversionHeaders(COMPUTE_MICROVERSIONS, Microversion.parse('2.47')!);
    expect(h).toEqual({
      'OpenStack-API-Version': 'compute 2.47',
      'X-OpenStack-Nova-API-Version': '2.47',
      Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
    });
    expect(microversionHeaders(VOLUME_MICROVERSIONS, Microversion.parse('3.40')!)).toEqual({ 'OpenStack-API-Version': 'volume 3.40', Vary: 'OpenStack-API-Version' });
  });
});
