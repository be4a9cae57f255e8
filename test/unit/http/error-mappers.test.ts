import { mapError } from '../../../src/http/error-mappers';
import { BadRequest, Conflict, NotAcceptable, NotFound, OverLimit, Unauthorized } from '../../../src/http/faults';

describe('error mappers', () => {
  it('wraps Nova and Cinder faults in a single named key', () => {
    expect(mapError('nova', new NotFound('Instance x could not be found.'))).toMatchObject({ status: 404, body: { itemNotFound: { code: 404, message: 'Instance x could not be found.' } } });
    expect(mapError('cinder', new BadRequest('bad'))).toMatchObject({ status: 400, body: { badRequest: { code: 400, message: 'bad' } } });
    expect(mapError('nova', new Conflict('busy')).body).toEqual({ conflictingRequest: { code: 409, message: 'busy' } });
    expect(mapError('cinder', new OverLimit('too many')).body).toEqual({ overLimit: { code: 413, message: 'too many' } });
    expect(mapError('nova', new NotAcceptable('v')).body).toEqual({ computeFault: { code: 406, message: 'v' } });
  });

  it("uses Keystone's error object", () => {
    expect(mapError('keystone', new Unauthorized()).body).toEqual({
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
  });

  it("uses Glance's flat body for clients that ask for JSON, and a nested one glanceclient can read for the others", () => {
    expect(mapError('glance', new NotFound('No image found with ID x')).body).toEqual({ message: 'No image found with ID x', code: '404 Not Found', title: 'Not Found' });
    expect(mapError('glance', new NotFound('No image found with ID x'), false).body).toEqual({ error: { message: 'No image found with ID x', code: 404, title: 'Not Found' } });
    expect(mapError('nova', new NotFound('x'), false).body).toEqual(mapError('nova', new NotFound('x')).body);
  });

  it('never leaks an unexpected error, and answers 500 in the service shape', () => {
    const r = mapError('nova', new Error('SELECT * FROM secrets'));
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.body)).not.toContain('secrets');
    expect(r.body).toHaveProperty('computeFault');
  });
});
