import { BadRequest } from './faults';

/**
 * An integer query parameter (limit, offset): the one reader every service uses. The services
 * differ in what they take for an integer and in their words for what they refuse, so each
 * passes its rule:
 * - `digits`: Nova's query schema (parameter_types.non_negative_integer: ASCII digits, at least
 *   one; `?limit=` is refused too);
 * - `python-int`: Python's int() on the text (Cinder's common.get_pagination_params, Glance's
 *   _validate_limit): spaces around it, a sign and `_` between digits are taken, then the bounds.
 */
export interface IntegerQueryRule {
  syntax: 'digits' | 'python-int';
  /** The 400's message for a text the syntax refuses. */
  notInteger: (raw: string) => string;
  /** The least and the greatest value taken (python-int), each with the 400's message past it. */
  min?: { value: number; message: string };
  max?: { value: number; message: string };
}

const DIGITS = /^[0-9]+$/;
const PYTHON_INT = /^\s*[+-]?[0-9]+(?:_[0-9]+)*\s*$/;

/** The parameter's value by `rule`; undefined when it is absent; a 400 in the service's words otherwise. */
export function integerQuery(raw: string | undefined, rule: IntegerQueryRule): number | undefined {
  if (raw === undefined) return undefined;
  if (!(rule.syntax === 'digits' ? DIGITS : PYTHON_INT).test(raw)) throw new BadRequest(rule.notInteger(raw));
  const n = Number(raw.replace(/_/g, ''));
  if (rule.min && n < rule.min.value) throw new BadRequest(rule.min.message);
  if (rule.max && n > rule.max.value) throw new BadRequest(rule.max.message);
  return n;
}

/** Cinder's and Glance's `limit` (int(limit), refused below 0), in their common words. */
export const INT_LIMIT: IntegerQueryRule = {
  syntax: 'python-int', notInteger: () => 'limit param must be an integer', min: { value: 0, message: 'limit param must be positive' },
};
