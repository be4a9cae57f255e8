/**
 * The pg driver builds, for every query, an empty row holding each column of the answer
 * (`Result.addFields`: the names set one by one on a null-prototype object, then spread), and
 * every row of the answer starts as a copy of it. Measured inside Snapstack: 48 µs a query for a
 * server row's 45 columns, as much as parsing eight of its rows, and 5% of a server list's CPU.
 * The empty row depends on the column names alone, so it is kept per list of names here
 * (at most MAX_SHAPES of them: Snapstack's queries have a few hundred shapes), and a query whose
 * columns were seen before costs 8 µs. The rows are the same objects with the same keys in the
 * same order; the parsers are still looked up per query, so a connection's type parsers apply.
 *
 * Upstream: brianc/node-postgres pull request 3753 ("cache field parsers and prebuilt rows per
 * query shape", open) does the same inside pg; remove this once a pg release has it. The
 * replacement is installed only on the Result this pg version has (checked by what its
 * addFields does); any other version is left as it is.
 */
import { createRequire } from 'module';

/** pg's own modules, resolved from where pg is (pg-types may be its private copy). */
const fromPg = createRequire(require.resolve('pg'));

const MAX_SHAPES = 1000;

interface FieldDescription { name: string; dataTypeID: number; format?: string }
interface TypeSource { getTypeParser(oid: number, format: string): unknown }
interface ResultInternals {
  fields: FieldDescription[];
  _parsers: unknown[] | undefined;
  _types: TypeSource | undefined;
  _prebuiltEmptyResultObject: Record<string, null> | null;
  addFields(fields: FieldDescription[]): void;
}

const shapes = new Map<string, Record<string, null>>();

/** The empty row for these columns, as pg builds it (null-prototype object spread into a plain one). */
function emptyRow(fields: FieldDescription[], key: string): Record<string, null> {
  let row = shapes.get(key);
  if (row === undefined) {
    const names: Record<string, null> = Object.create(null);
    for (const f of fields) names[f.name] = null;
    row = { ...names };
    if (shapes.size < MAX_SHAPES) shapes.set(key, row);
  }
  return row;
}

function addFields(this: ResultInternals, fieldDescriptions: FieldDescription[]): void {
  this.fields = fieldDescriptions;
  if (fieldDescriptions.length) this._parsers = new Array(fieldDescriptions.length);
  const types = this._types ?? defaultTypes;
  let key = '';
  for (let i = 0; i < fieldDescriptions.length; i++) {
    const desc = fieldDescriptions[i];
    key += `${desc.name.length}:${desc.name}`; // length-prefixed: no two lists of names share a key
    this._parsers![i] = types.getTypeParser(desc.dataTypeID, desc.format || 'text');
  }
  this._prebuiltEmptyResultObject = emptyRow(fieldDescriptions, key);
}

let defaultTypes: TypeSource;

/** Installs the cached addFields on pg's Result, once; false when this pg's Result is not the one it was written for. */
export function installResultShapes(): boolean {
  const proto = (fromPg('./result') as { prototype: ResultInternals }).prototype;
  if (proto.addFields === addFields) return true;
  const source = String(proto.addFields);
  if (!source.includes('_prebuiltEmptyResultObject') || !source.includes('getTypeParser')) return false;
  // pg's own fallback when a result has no types of its own: its module-level pg-types.
  defaultTypes = fromPg('pg-types') as TypeSource;
  proto.addFields = addFields;
  return true;
}
