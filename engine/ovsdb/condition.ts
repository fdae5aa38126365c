// RFC 7047 conditions ("where" clauses) with OVS's per-type semantics: < <= >= > only on scalar or
// optional-scalar integer/real columns (false when the optional value is absent), == != on whole
// values, includes/excludes as subset tests (pairs for maps), and the boolean clauses true/false.
import type { Json, RowJson } from './api.js';
import { OvsdbError, syntaxError } from './errors.js';
import { typeToEnglish } from './schema.js';
import type { ColumnSchema, ColumnType, TableSchema } from './schema.js';
import { compareAtoms, datumEquals, datumFromJson, defaultDatum, findKey } from './datum.js';
import type { Datum, NamedUuidResolver } from './datum.js';

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes' | 'true' | 'false';
const FUNCTIONS = new Set(['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes']);

export interface Clause {
  fn: ConditionFunction;
  column: ColumnSchema;
  /** Position of the column in the table's column order (see columnIndexes). */
  index: number;
  arg: Datum;
}

const indexCache = new WeakMap<TableSchema, Map<string, number>>();
/** Column name -> position in TableSchema.columns order (`_uuid` 0, `_version` 1, then the rest). */
export function columnIndexes(table: TableSchema): Map<string, number> {
  let m = indexCache.get(table);
  if (!m) {
    m = new Map();
    let i = 0;
    for (const name of table.columns.keys()) m.set(name, i++);
    indexCache.set(table, m);
  }
  return m;
}

function isScalar(t: ColumnType): boolean {
  return !t.value && t.min === 1 && t.max === 1;
}
function isOptionalScalar(t: ColumnType): boolean {
  return !t.value && t.min === 0 && t.max === 1;
}

export function parseClause(table: TableSchema, json: Json, resolve?: NamedUuidResolver): Clause {
  if (json === true || json === false) {
    return { fn: json ? 'true' : 'false', column: table.columns.get('_uuid')!, index: 0, arg: { keys: [] } };
  }
  if (!Array.isArray(json) || json.length !== 3 || typeof json[0] !== 'string' || typeof json[1] !== 'string') {
    throw syntaxError(json, 'Parse error in condition.');
  }
  const [cname, fname, argJson] = json as [string, string, Json];
  const column = table.columns.get(cname);
  if (!column) throw syntaxError(json, `No column ${cname} in table ${table.name}.`, 'unknown column');
  if (!FUNCTIONS.has(fname)) throw new OvsdbError('unknown function', `No function named ${fname}.`);
  const fn = fname as ConditionFunction;
  let type: ColumnType = column.type;
  switch (fn) {
    case '<': case '<=': case '>': case '>=':
      if (!(isScalar(type) || isOptionalScalar(type)) || (type.key.type !== 'integer' && type.key.type !== 'real')) {
        throw syntaxError(json, `Type mismatch: "${fn}" operator may not be applied to column ${cname} of type ${typeToEnglish(type)}.`);
      }
      type = { ...type, min: 1 };
      break;
    case 'excludes':
      if (!isScalar(type)) type = { ...type, min: 0, max: Infinity };
      break;
    case 'includes':
      if (!isScalar(type)) type = { ...type, min: 0 };
      break;
    default:
      break;
  }
  const arg = datumFromJson(type, argJson, resolve);
  return { fn, column, index: columnIndexes(table).get(cname)!, arg };
}

/** Parses a "where" array into clauses (throws OvsdbError). */
export function parseCondition(table: TableSchema, where: Json, resolve?: NamedUuidResolver): Clause[] {
  if (!Array.isArray(where)) throw syntaxError(where, 'array of conditions expected');
  return where.map((c) => parseClause(table, c, resolve));
}

/** Every pair (or key) of `a` appears in `b`. */
function includesAll(t: ColumnType, a: Datum, b: Datum): boolean {
  for (let i = 0; i < a.keys.length; i++) {
    const j = findKey(t.key.type, b.keys, a.keys[i]!);
    if (j < 0) return false;
    if (a.values && a.values[i] !== b.values![j]) return false;
  }
  return true;
}

/** No pair (or key) of `a` appears in `b`. */
function excludesAll(t: ColumnType, a: Datum, b: Datum): boolean {
  for (let i = 0; i < a.keys.length; i++) {
    const j = findKey(t.key.type, b.keys, a.keys[i]!);
    if (j >= 0 && (!a.values || a.values[i] === b.values![j])) return false;
  }
  return true;
}

export function evalClause(c: Clause, field: Datum): boolean {
  const t = c.column.type;
  switch (c.fn) {
    case 'true': return true;
    case 'false': return false;
    default: break;
  }
  const ordered = c.fn === '<' || c.fn === '<=' || c.fn === '>' || c.fn === '>=';
  if (isOptionalScalar(t) && field.keys.length === 0 && ordered) return false;
  if ((isScalar(t) || isOptionalScalar(t)) && field.keys.length === 1 && c.arg.keys.length === 1) {
    const cmp = compareAtoms(t.key.type, field.keys[0]!, c.arg.keys[0]!);
    switch (c.fn) {
      case '<': return cmp < 0;
      case '<=': return cmp <= 0;
      case '==': case 'includes': return cmp === 0;
      case '!=': case 'excludes': return cmp !== 0;
      case '>=': return cmp >= 0;
      case '>': return cmp > 0;
    }
  }
  switch (c.fn) {
    case '==': return datumEquals(field, c.arg);
    case '!=': return !datumEquals(field, c.arg);
    case 'includes': return includesAll(t, c.arg, field);
    case 'excludes': return excludesAll(t, c.arg, field);
    default: return false;
  }
}

export function evalClauses(clauses: Clause[], fields: Datum[]): boolean {
  for (const c of clauses) if (!evalClause(c, fields[c.index]!)) return false;
  return true;
}

/** For monitor_cond and other wire users: a predicate over rows in wire form. A column missing
 *  from the row compares as its default value. Throws OvsdbError for a bad condition. */
export function compileWhere(table: TableSchema, where: Json): (row: RowJson) => boolean {
  const clauses = parseCondition(table, where);
  return (row: RowJson): boolean => {
    for (const c of clauses) {
      if (c.fn === 'true') continue;
      if (c.fn === 'false') return false;
      const v = row[c.column.name];
      const field: Datum = v === undefined
        ? defaultDatum(c.column.type)
        : datumFromJson(c.column.type, v, undefined, true);
      if (!evalClause(c, field)) return false;
    }
    return true;
  };
}
