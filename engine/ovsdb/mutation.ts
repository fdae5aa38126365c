// RFC 7047 mutations with OVS's rules: += -= *= /= %= on integer/real scalars and sets (each
// element, then constraints and duplicates checked; "domain error" on division by zero, "range
// error" on 64-bit overflow), insert/delete on sets and maps (delete on a map takes pairs or keys).
import type { Json } from './api.js';
import { OvsdbError, syntaxError } from './errors.js';
import { typeToEnglish } from './schema.js';
import type { ColumnSchema, ColumnType, TableSchema } from './schema.js';
import { checkAtomConstraints, compareAtoms, countError, datumFitsCount, datumFromJson, findKey } from './datum.js';
import type { Atom, Datum, NamedUuidResolver } from './datum.js';
import { columnIndexes } from './condition.js';
import { INT64_MAX, INT64_MIN, normalizeInteger } from '../util/json-int64.js';

export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
const MUTATORS = new Set(['+=', '-=', '*=', '/=', '%=', 'insert', 'delete']);

export interface Mutation {
  mutator: Mutator;
  column: ColumnSchema;
  index: number;
  /** The type the argument was parsed with (relaxed from the column's). */
  argType: ColumnType;
  arg: Datum;
}

function typeMismatch(json: Json, m: Mutator, c: ColumnSchema): OvsdbError {
  return syntaxError(json, `Type mismatch: "${m}" operator may not be applied to column ${c.name} of type ${typeToEnglish(c.type)}.`);
}

export function parseMutation(table: TableSchema, json: Json, resolve?: NamedUuidResolver): Mutation {
  if (!Array.isArray(json) || json.length !== 3 || typeof json[0] !== 'string' || typeof json[1] !== 'string') {
    throw syntaxError(json, 'Parse error in mutation.');
  }
  const [cname, mname, argJson] = json as [string, string, Json];
  const column = table.columns.get(cname);
  if (!column) throw syntaxError(json, `No column ${cname} in table ${table.name}.`, 'unknown column');
  if (!column.mutable) throw syntaxError(json, `Cannot mutate immutable column ${cname} in table ${table.name}.`, 'constraint violation');
  if (!MUTATORS.has(mname)) throw new OvsdbError('unknown mutator', `No mutator named ${mname}.`);
  const mutator = mname as Mutator;
  const t = column.type;
  const isSet = !t.value;
  let argType: ColumnType;
  let arg: Datum;
  if (mutator === 'insert' || mutator === 'delete') {
    // Only sets (anything but exactly one element) and maps accept insert/delete.
    if (isSet && t.min === 1 && t.max === 1) throw typeMismatch(json, mutator, column);
    argType = { ...t, min: 0, max: mutator === 'delete' ? Infinity : t.max };
    try {
      arg = datumFromJson(argType, argJson, resolve);
    } catch (e) {
      if (!(t.value && mutator === 'delete')) throw e;
      // "delete" on a map also accepts a set of keys.
      argType = { key: t.key, min: 0, max: Infinity };
      arg = datumFromJson(argType, argJson, resolve);
    }
  } else {
    if (t.value || (t.key.type !== 'integer' && t.key.type !== 'real') || (mutator === '%=' && t.key.type === 'real')) {
      throw typeMismatch(json, mutator, column);
    }
    argType = { key: { type: t.key.type, refType: 'strong' }, min: 1, max: 1 };
    arg = datumFromJson(argType, argJson, resolve);
  }
  return { mutator, column, index: columnIndexes(table).get(cname)!, argType, arg };
}

export function parseMutations(table: TableSchema, json: Json, resolve?: NamedUuidResolver): Mutation[] {
  if (!Array.isArray(json)) throw syntaxError(json, 'array of mutations expected');
  return json.map((m) => parseMutation(table, m, resolve));
}


function rangeError(m: Mutator): OvsdbError {
  return new OvsdbError('range error', `Result of "${m}" operation is out of range.`);
}

function intOp(m: Mutator, x: number | bigint, y: number | bigint): number | bigint {
  const bx = BigInt(x);
  const by = BigInt(y);
  let r: bigint;
  switch (m) {
    case '+=': r = bx + by; break;
    case '-=': r = bx - by; break;
    case '*=': r = bx * by; break;
    case '/=':
    case '%=':
      if (by === 0n) throw new OvsdbError('domain error', 'Division by zero.');
      if (bx === INT64_MIN && by === -1n) throw rangeError(m);
      r = m === '/=' ? bx / by : bx % by; // BigInt division truncates toward zero, as C does
      break;
    default: throw new Error('not an arithmetic mutator');
  }
  if (r < INT64_MIN || r > INT64_MAX) throw rangeError(m);
  return normalizeInteger(r);
}

function realOp(m: Mutator, x: number, y: number): number {
  let r: number;
  switch (m) {
    case '+=': r = x + y; break;
    case '-=': r = x - y; break;
    case '*=': r = x * y; break;
    case '/=':
      if (y === 0) throw new OvsdbError('domain error', 'Division by zero.');
      r = x / y;
      break;
    default: throw new Error('not a real mutator');
  }
  if (!(r >= -Number.MAX_VALUE && r <= Number.MAX_VALUE)) throw rangeError(m);
  return r;
}

/** Applies one mutation to a datum, returning the new datum (throws OvsdbError). */
export function applyMutation(mu: Mutation, dst: Datum): Datum {
  const t = mu.column.type;
  const kt = t.key.type;
  switch (mu.mutator) {
    case 'insert': {
      const keys = dst.keys.slice();
      const values = dst.values?.slice();
      for (let i = 0; i < mu.arg.keys.length; i++) {
        const k = mu.arg.keys[i]!;
        const at = findKey(kt, keys, k);
        if (at >= 0) continue; // existing keys keep their value
        keys.splice(-at - 1, 0, k);
        if (values) values.splice(-at - 1, 0, mu.arg.values![i]!);
      }
      const out: Datum = values ? { keys, values } : { keys };
      if (!datumFitsCount(t, out)) throw countError(t, out);
      return out;
    }
    case 'delete': {
      const keys = dst.keys.slice();
      const values = dst.values?.slice();
      const pairs = mu.arg.values !== undefined;
      for (let i = 0; i < mu.arg.keys.length; i++) {
        const at = findKey(kt, keys, mu.arg.keys[i]!);
        if (at < 0) continue;
        if (pairs && values![at] !== mu.arg.values![i]) continue;
        keys.splice(at, 1);
        if (values) values.splice(at, 1);
      }
      const out: Datum = values ? { keys, values } : { keys };
      if (!datumFitsCount(t, out)) throw countError(t, out);
      return out;
    }
    default: {
      const y = mu.arg.keys[0] as number | bigint;
      const keys: Atom[] = dst.keys.map((x) => (kt === 'integer' ? intOp(mu.mutator, x as number | bigint, y) : realOp(mu.mutator, x as number, y as number)));
      for (const k of keys) checkAtomConstraints(t.key, k);
      const sorted = keys.slice().sort((a, b) => compareAtoms(kt, a, b));
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i - 1] === sorted[i]) {
          throw new OvsdbError('constraint violation', `Result of "${mu.mutator}" operation contains duplicates.`);
        }
      }
      return { keys: sorted };
    }
  }
}
