import { BadRequest } from '../../../src/http/faults';
import { INT_LIMIT, integerQuery, type IntegerQueryRule } from '../../../src/http/integer-query';

const DIGITS: IntegerQueryRule = { syntax: 'digits', notInteger: (raw) => `not digits: [${raw}]` };
const OFFSET: IntegerQueryRule = {
  syntax: 'python-int', notInteger: () => 'offset must be an integer',
  min: { value: 0, message: 'offset must be >= 0' }, max: { value: 10, message: 'offset must be <= 10' },
};

function refusal(raw: string, rule: IntegerQueryRule): string {
  try {
    integerQuery(raw, rule);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequest);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(raw)} was taken`);
}

describe('integerQuery', () => {
  test('absent is undefined under every rule', () => {
    for (const rule of [DIGITS, OFFSET, INT_LIMIT]) expect(integerQuery(undefined, rule)).toBeUndefined();
  });

  test("digits (Nova's query schema): ASCII digits only, at least one", () => {
    expect(integerQuery('0', DIGITS)).toBe(0);
    expect(integerQuery('007', DIGITS)).toBe(7);
    for (const raw of ['', ' 1', '+1', '-1', '1.0', '1_0', '١']) expect(refusal(raw, DIGITS)).toBe(`not digits: [${raw}]`);
  });

  test("python-int (Cinder's and Glance's int()): spaces, a sign and underscores between digits, then the bounds", () => {
    expect(integerQuery(' 7 ', OFFSET)).toBe(7);
    expect(integerQuery('+3', OFFSET)).toBe(3);
    expect(integerQuery('1_0', OFFSET)).toBe(10);
    expect(integerQuery('-0', INT_LIMIT)).toBe(-0);
    for (const raw of ['', ' ', '1.5', '1e3', '0x1', '_1', '1__0', '1_', 'abc']) expect(refusal(raw, OFFSET)).toBe('offset must be an integer');
    expect(refusal('-1', OFFSET)).toBe('offset must be >= 0');
    expect(refusal('11', OFFSET)).toBe('offset must be <= 10');
    expect(refusal('', INT_LIMIT)).toBe('limit param must be an integer');
    expect(refusal('-2', INT_LIMIT)).toBe('limit param must be positive');
  });
});
